"""Kilas timeline: the timeline index, day pages, weekly editions.

Pelican writes the year and month pages itself (its period archives, settings
``YEAR_ARCHIVE_*`` and ``MONTH_ARCHIVE_*``, template ``period_archives.html``).
This plugin adds what Pelican lacks:

- ``timeline`` in the template context: every year, month, day and ISO week
  that has items, each linked to the previous and next one that has items
  (empty periods are skipped), the latest edition for the home page, and the
  months the calendar draws;
- the day page, which is that day's edition grouped by category. It uses
  Pelican's ``DAY_ARCHIVE_URL``/``DAY_ARCHIVE_SAVE_AS`` but replaces Pelican's
  paginated day archive with ``day.html``;
- a page per ISO week (``EDITION_URL``, ``edition.html``) and a feed of the
  weekly editions (``EDITION_FEED_ATOM``);
- the timeline index (``TIMELINE_URL``, ``timeline.html``) with a calendar
  of items per day (``calendar_grid``: the data of month tables that the
  theme draws; colours are the theme's).

An edition (a day or a week) opens with its lead item (the newest item with
``Pin: yes``, else the newest item) and lists the others by category; the
categories come in ``TIMELINE_CATEGORY_ORDER`` ("newest": the category of the
newest item first; or a list of category names, the rest after them, newest
first).

The model is ``periods.py``, the calendar's data ``calendar_grid.py``; this
module is the plugin: settings, the generator and the filters.
"""

from __future__ import annotations

import difflib
import logging
from datetime import date, datetime, time
from itertools import groupby
from zoneinfo import ZoneInfo

from kilas_settings import Rule, SettingError, apply, optional, rule, whole
from pelican import signals
from pelican.generators import Generator

from .calendar_grid import calendar_grid
from .periods import Period, Timeline

logger = logging.getLogger(__name__)

DEFAULTS = {
    "TIMELINE_URL": "linimasa/",
    "TIMELINE_SAVE_AS": "linimasa/index.html",
    "EDITION_URL": "edisi/{date:%G}-w{date:%V}/",
    "EDITION_SAVE_AS": "edisi/{date:%G}-w{date:%V}/index.html",
    "EDITION_FEED_ATOM": "feeds/edisi.atom.xml",
    # Days shown on the home page after the latest edition.
    "TIMELINE_HOME_DAYS": 6,
    # Months (with items) the calendar on the timeline index draws.
    "TIMELINE_CALENDAR_MONTHS": 12,
    # Categories of an edition: "newest" (the category of the newest item
    # first) or a list of category names in the editor's order.
    "TIMELINE_CATEGORY_ORDER": "newest",
    # Developing stories on the home page: at most this many stories with
    # items in the days the home page shows.
    "TIMELINE_HOME_STORIES": 5,
}
# Pelican's own period settings (default "": no page) are set in pelicanconf.py.
_URL_SETTINGS = (
    "TIMELINE_URL",
    "TIMELINE_SAVE_AS",
    "YEAR_ARCHIVE_URL",
    "YEAR_ARCHIVE_SAVE_AS",
    "MONTH_ARCHIVE_URL",
    "MONTH_ARCHIVE_SAVE_AS",
    "DAY_ARCHIVE_URL",
    "DAY_ARCHIVE_SAVE_AS",
    "EDITION_URL",
    "EDITION_SAVE_AS",
    "EDITION_FEED_ATOM",
)
_COUNT_SETTINGS = (
    "TIMELINE_HOME_DAYS",
    "TIMELINE_CALENDAR_MONTHS",
    "TIMELINE_HOME_STORIES",
)


class TimelineSettingsError(SettingError):
    """A timeline setting has a value the plugin cannot use."""


class EditionEntry:
    """A weekly edition as an entry of the edition feed."""

    def __init__(
        self,
        week: Period,
        title: str,
        summary: str,
        content: str,
        tz: ZoneInfo,
        author: str = "",
    ) -> None:
        self.week = week
        self.title = title
        self.url = week.url
        self.summary = summary
        self._content = content
        # Published as the week opens (its Monday, 00.00 in the site's zone),
        # updated with its latest item: the entry's id (a tag URI with this
        # date) is the week's own, so it stays when an item is dated back
        # to the Monday or the week's first item is hidden.
        self.date = datetime.combine(week.date, time(0, 0), tz)
        self.modified = week.modified
        self.author = author

    def get_content(self, siteurl: str) -> str:
        del siteurl  # links were made absolute by the template
        return self._content


def _category_order(settings: dict) -> Rule:
    """'newest', or names of KILAS_CATEGORIES (any case) when the site lists
    them; a misspelt name gets the site's spelling as a suggestion."""
    known = list(settings.get("KILAS_CATEGORIES") or ())
    by_folded = {name.casefold(): name for name in known}
    folded = set(by_folded)
    allowed = '"newest" or a list of category names, e.g. ["Bencana", "Nasional"]'
    if known:
        allowed += f", from KILAS_CATEGORIES ({', '.join(known)})"

    def near(order) -> str | None:
        """['Bencana'] for ['Bencanaa']; None when a name has no near one."""
        fixed = []
        for name in order:
            close = difflib.get_close_matches(name.casefold(), folded, 1, 0.75)
            fixed.append(by_folded[close[0]] if close else None)
        return repr(fixed) if None not in fixed and fixed != list(order) else None

    return rule(
        lambda order: (
            order == "newest"
            or (
                isinstance(order, list | tuple)
                and all(isinstance(name, str) and name for name in order)
                and (not folded or all(name.casefold() in folded for name in order))
            )
        ),
        allowed,
        near,
    )


def _url_pattern(value: str) -> bool:
    return isinstance(value, str) and value.format(date=date(2024, 8, 4)) is not None


_URL_RULE = rule(
    _url_pattern,
    "a text such as 'linimasa/{date:%Y}/' (only {date:...} with strftime codes),"
    " or '' for no page",
)


def rules(settings: dict) -> dict[str, Rule]:
    """What each timeline setting may be (Pelican's own period settings too)."""
    return {
        **dict.fromkeys(_COUNT_SETTINGS, whole(0)),
        "TIMELINE_CATEGORY_ORDER": _category_order(settings),
        **dict.fromkeys(_URL_SETTINGS, _URL_RULE),
        "EDITION_FEED_ATOM": optional(_URL_RULE),
    }


class TimelineGenerator(Generator):
    """Writes day pages, weekly editions, their feed and the timeline index."""

    def generate_context(self) -> None:
        self.timeline = Timeline(self.context.get("articles", []), self.settings)
        self.context["timeline"] = self.timeline

    def generate_output(self, writer) -> None:
        relative = self.settings["RELATIVE_URLS"]
        self._write_periods(writer, self.timeline.days, "day", relative)
        self._write_periods(writer, self.timeline.weeks, "edition", relative)
        save_as = self.settings["TIMELINE_SAVE_AS"]
        if save_as and self.timeline.days:
            writer.write_file(
                save_as,
                self.get_template("timeline"),
                self.context,
                relative_urls=relative,
                template_name="timeline",
                url=self.settings["TIMELINE_URL"],
            )
        self._write_edition_feed(writer)

    def _write_periods(self, writer, periods, template_name, relative) -> None:
        template = self.get_template(template_name)
        for period in periods:
            if not period.save_as:
                continue
            writer.write_file(
                period.save_as,
                template,
                self.context,
                relative_urls=relative,
                template_name=template_name,
                url=period.url,
                period=period,
            )

    def _write_edition_feed(self, writer) -> None:
        path = self.settings["EDITION_FEED_ATOM"]
        if not path or not self.timeline.weeks:
            return
        macros = self.get_template("partials/edition_feed").make_module(
            vars=dict(self.context)
        )
        tz = ZoneInfo(self.settings["TIMEZONE"])
        # The site's editors compile the weekly edition (an Atom entry needs
        # an author's name).
        author = self.settings.get("AUTHOR") or self.settings["SITENAME"]
        entries = [
            EditionEntry(
                week,
                str(macros.entry_title(week)).strip(),
                str(macros.entry_summary(week)).strip(),
                str(macros.entry_content(week)).strip(),
                tz,
                author,
            )
            # Pelican's feed keeps the latest FEED_MAX_ITEMS (None: all).
            for week in self.timeline.weeks[::-1][: self.settings["FEED_MAX_ITEMS"]]
        ]
        writer.write_feed(
            entries,
            self.context,
            path,
            feed_title=str(macros.feed_title()).strip(),
        )


def by_day(articles) -> list[tuple[date, list]]:
    """Jinja filter: ``(day, items)`` for consecutive items of the same day."""
    return [
        (day, list(items))
        for day, items in groupby(articles, key=lambda article: article.date.date())
    ]


# -- signal receivers ----------------------------------------------------------
def check_settings(pelican) -> None:
    """Fill in the settings the site did not set, then check them all."""
    settings = pelican.settings
    apply(settings, DEFAULTS, rules(settings), "kilas_timeline", TimelineSettingsError)


def add_filters(generator) -> None:
    """Every template may group items by day (the story page does) and draw
    the calendar."""
    generator.env.filters["by_day"] = by_day
    generator.env.filters["calendar_grid"] = calendar_grid


def take_over_day_archives(generator) -> None:
    """Day pages are editions (``day.html``), not paginated period archives."""
    generator.period_archives.pop("day", None)


def give_archives_their_period(generators) -> None:
    """Pelican's year and month pages get their ``Period`` as ``period``
    (Pelican's own is a tuple of names no template of ours shows): a page
    reads its own period, not the whole timeline."""
    timeline = next(
        (g.timeline for g in generators if isinstance(g, TimelineGenerator)), None
    )
    if timeline is None:
        return
    for generator in generators:
        for archives in (getattr(generator, "period_archives", None) or {}).values():
            for archive in archives:
                found = timeline.period(archive["period_num"])
                if found is not None:
                    archive["period"] = found


def get_generators(pelican):
    return TimelineGenerator


def register() -> None:
    # initialized: defaults and checks before anything is read.
    signals.initialized.connect(check_settings)
    # generator_init: each generator has its own Jinja environment.
    signals.generator_init.connect(add_filters)
    # article_generator_finalized: drop Pelican's day archives, ours replace them.
    signals.article_generator_finalized.connect(take_over_day_archives)
    # all_generators_finalized: the timeline is made; Pelican's period pages
    # are not written yet.
    signals.all_generators_finalized.connect(give_archives_their_period)
    # get_generators: our generator writes days, editions, the index and feed.
    signals.get_generators.connect(get_generators)
