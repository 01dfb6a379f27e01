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
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import groupby, pairwise
from operator import attrgetter
from zoneinfo import ZoneInfo

from pelican import signals
from pelican.generators import Generator

logger = logging.getLogger(__name__)

DEFAULT_SETTINGS = {
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


class TimelineSettingsError(ValueError):
    """A timeline setting has a value the plugin cannot use."""


@dataclass(eq=False)
class Period:
    """A year, month, day or ISO week that has items (newest first)."""

    kind: str
    key: tuple
    date: date
    articles: list = field(default_factory=list)
    url: str = ""
    save_as: str = ""
    previous: Period | None = None
    next: Period | None = None
    parts: list = field(default_factory=list)  # months of a year, days of a month
    category_order: tuple = field(default=(), repr=False)

    @property
    def count(self) -> int:
        return len(self.articles)

    @property
    def end(self) -> date:
        """The last day of the period."""
        if self.kind == "year":
            return date(self.date.year, 12, 31)
        if self.kind == "month":
            last = calendar.monthrange(self.date.year, self.date.month)[1]
            return self.date.replace(day=last)
        if self.kind == "week":
            return self.date + timedelta(days=6)
        return self.date

    @property
    def iso_year(self) -> int:
        return self.date.isocalendar()[0]

    @property
    def iso_week(self) -> int:
        return self.date.isocalendar()[1]

    @property
    def lead(self):
        """The item an edition opens with: the newest pinned one, else the newest."""
        pinned = [a for a in self.articles if is_pinned(a)]
        return (pinned or self.articles or [None])[0]

    @property
    def groups(self) -> list[tuple]:
        """``(category, items)`` of every item, in the edition's category order."""
        return group_by_category(self.articles, self.category_order)

    @property
    def rest_groups(self) -> list[tuple]:
        """``groups`` without the lead item (it opens the edition)."""
        lead = self.lead
        return group_by_category(
            [a for a in self.articles if a is not lead], self.category_order
        )

    @property
    def modified(self) -> datetime:
        return max(getattr(a, "modified", None) or a.date for a in self.articles)


def is_pinned(article) -> bool:
    """``Pin: yes`` in the item's header (read as "true" by the contract)."""
    return str(getattr(article, "pin", "")).casefold() == "true"


def group_by_category(articles, order=()) -> list[tuple]:
    """``(category, items)``; items keep their order (newest first). With an
    ``order`` of category names, those come first in that order; the other
    categories follow, the one with the newest item first."""
    groups: dict = {}
    for article in articles:
        groups.setdefault(article.category, []).append(article)
    rank = {name.casefold(): number for number, name in enumerate(order)}
    return sorted(
        groups.items(),
        key=lambda pair: (
            rank.get(pair[0].name.casefold(), len(rank)),
            -max(a.date for a in pair[1]).timestamp(),
            pair[0].name,
        ),
    )


def _day(article) -> date:
    return article.date.date()


def _link(periods: list[Period]) -> None:
    for before, after in pairwise(periods):
        before.next, after.previous = after, before


class Timeline:
    """Every period with items, oldest first, linked to its neighbours."""

    def __init__(self, articles: list, settings: dict) -> None:
        chosen = settings.get("TIMELINE_CATEGORY_ORDER", "newest")
        order = () if chosen == "newest" else tuple(chosen)
        newest = sorted(articles, key=attrgetter("date"), reverse=True)
        self.articles = newest
        self.settings = settings

        def periods(kind: str, key, first_day) -> list[Period]:
            found = []
            for value, group in groupby(newest, key=key):
                found.append(
                    Period(
                        kind, value, first_day(value), list(group), category_order=order
                    )
                )
            found.reverse()
            for period in found:
                period.url, period.save_as = self._urls(kind, period.date)
            _link(found)
            return found

        self.years = periods(
            "year", lambda a: (a.date.year,), lambda k: date(k[0], 1, 1)
        )
        self.months = periods(
            "month",
            lambda a: (a.date.year, a.date.month),
            lambda k: date(k[0], k[1], 1),
        )
        self.days = periods(
            "day", lambda a: (a.date.year, a.date.month, a.date.day), lambda k: date(*k)
        )
        weeks: dict[tuple, list] = {}
        for article in newest:
            weeks.setdefault(_day(article).isocalendar()[:2], []).append(article)
        self.weeks = [
            Period(
                "week",
                key,
                date.fromisocalendar(key[0], key[1], 1),
                items,
                category_order=order,
            )
            for key, items in sorted(weeks.items())
        ]
        for week in self.weeks:
            week.url, week.save_as = self._urls("week", week.date)
        _link(self.weeks)
        self._by_key = {
            (p.kind, p.key): p
            for p in self.years + self.months + self.days + self.weeks
        }
        # Days are filed under their month in one pass (oldest first), not
        # by scanning every day once per month.
        days_of: dict[tuple, list] = {}
        for day in self.days:
            days_of.setdefault(day.key[:2], []).append(day)
        for month in self.months:
            month.parts = days_of.get(month.key, [])
            self._by_key[("year", month.key[:1])].parts.append(month)

    def _urls(self, kind: str, day: date) -> tuple[str, str]:
        prefix = {
            "year": "YEAR_ARCHIVE",
            "month": "MONTH_ARCHIVE",
            "day": "DAY_ARCHIVE",
            "week": "EDITION",
        }[kind]
        url = self.settings.get(f"{prefix}_URL") or ""
        save_as = self.settings.get(f"{prefix}_SAVE_AS") or ""
        return url.format(date=day), save_as.format(date=day)

    def period(self, period_num) -> Period | None:
        """The year, month or day of Pelican's ``period_num`` tuple."""
        kind = {1: "year", 2: "month", 3: "day"}.get(len(period_num))
        return self._by_key.get((kind, tuple(period_num)))

    def week_of(self, day: date) -> Period | None:
        """The week holding ``day`` (every day page asks: a lookup, not a scan)."""
        return self._by_key.get(("week", tuple(day.isocalendar()[:2])))

    @property
    def latest_day(self) -> Period | None:
        return self.days[-1] if self.days else None

    @property
    def latest_week(self) -> Period | None:
        return self.weeks[-1] if self.weeks else None

    @property
    def home_days(self) -> list[Period]:
        """The days before the latest edition shown on the home page."""
        count = self.settings["TIMELINE_HOME_DAYS"]
        return list(reversed(self.days[-count - 1 : -1])) if count else []

    @property
    def calendar_months(self) -> list[Period]:
        """The latest months with items that the calendar draws, oldest first."""
        return self.months[-self.settings["TIMELINE_CALENDAR_MONTHS"] :]

    @property
    def years_newest_first(self) -> list[Period]:
        return list(reversed(self.years))

    @property
    def home_stories(self) -> list[dict]:
        """Developing stories: stories with items on the days the home page
        shows (the latest and ``TIMELINE_HOME_DAYS`` before it), the one with
        the newest item first; each ``{"story", "latest", "count"}`` (count:
        its items on those days)."""
        count = self.settings["TIMELINE_HOME_DAYS"]
        days = self.days[-count - 1 :]
        stories: dict = {}
        for day in reversed(days):
            for article in day.articles:
                story = getattr(article, "story", None)
                if not story:
                    continue
                entry = stories.setdefault(
                    story, {"story": story, "latest": article, "count": 0}
                )
                entry["count"] += 1
        return list(stories.values())[: self.settings["TIMELINE_HOME_STORIES"]]


LEVELS = 4  # shades of a day with items; 0 is a day without


def calendar_level(count: int, most: int) -> int:
    """0 for a day without items, 1 to LEVELS by its share of the busiest day."""
    if not count:
        return 0
    return max(1, min(LEVELS, -(-LEVELS * count // max(most, 1))))


def calendar_grid(months: list[Period]) -> list[dict]:
    """The calendar of ``months``, for the theme to draw as month tables:
    ``[{"month": Period, "weeks": [[cell or None] * 7]}]``, weeks from Monday;
    a cell is ``{"date", "count", "level", "day"}`` (``day``: the day's
    Period when it has items). Levels are relative to the busiest day drawn."""
    most = max((day.count for month in months for day in month.parts), default=1)
    drawn = []
    for month in months:
        days = {day.date: day for day in month.parts}
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(
            month.date.year, month.date.month
        )
        rows = []
        for week in weeks:
            row = []
            for when in week:
                if when.month != month.date.month:
                    row.append(None)
                    continue
                day = days.get(when)
                count = day.count if day else 0
                row.append(
                    {
                        "date": when,
                        "count": count,
                        "level": calendar_level(count, most),
                        "day": day,
                    }
                )
            rows.append(row)
        drawn.append({"month": month, "weeks": rows})
    return drawn


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
        # Published with its first item, updated with its latest: the entry's
        # id (a tag URI with this date) stays when the week gets more items.
        self.date = min(a.date for a in week.articles)
        self.modified = week.modified
        self.author = author
        if self.date.tzinfo is None:  # pragma: no cover (the contract sets one)
            self.date = datetime.combine(week.end, time(23, 59), tz)

    def get_content(self, siteurl: str) -> str:
        del siteurl  # links were made absolute by the template
        return self._content


def read_settings(settings: dict) -> None:
    """Check the timeline settings once; an error names key and allowed values."""
    for key in _COUNT_SETTINGS:
        value = settings[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TimelineSettingsError(
                f"kilas_timeline: {key} is {value!r}; use a whole number, 0 or more"
            )
    order = settings["TIMELINE_CATEGORY_ORDER"]
    if order != "newest" and (
        not isinstance(order, (list, tuple))
        or not all(isinstance(name, str) and name for name in order)
    ):
        raise TimelineSettingsError(
            f'kilas_timeline: TIMELINE_CATEGORY_ORDER is {order!r}; use "newest" '
            'or a list of category names, e.g. ["Bencana", "Nasional"]'
        )
    categories = {name.casefold() for name in settings.get("KILAS_CATEGORIES", ())}
    unknown = [
        name
        for name in (order if order != "newest" else ())
        if categories and name.casefold() not in categories
    ]
    if unknown:
        raise TimelineSettingsError(
            f"kilas_timeline: TIMELINE_CATEGORY_ORDER names {', '.join(unknown)}, "
            f"not in KILAS_CATEGORIES ({', '.join(settings['KILAS_CATEGORIES'])})"
        )
    for key in _URL_SETTINGS:
        value = settings[key]
        if value is None and key == "EDITION_FEED_ATOM":
            continue
        if not isinstance(value, str):
            raise TimelineSettingsError(
                f"kilas_timeline: {key} is {value!r}; use a string such as "
                "'linimasa/{date:%Y}/', or '' for no page"
            )
        try:
            value.format(date=date(2024, 8, 4))
        except (KeyError, IndexError, ValueError) as exc:
            raise TimelineSettingsError(
                f"kilas_timeline: {key} = {value!r} cannot be filled in ({exc}); "
                "only {date:...} with strftime codes is allowed"
            ) from None


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
    return [(day, list(items)) for day, items in groupby(articles, key=_day)]


# -- signal receivers ----------------------------------------------------------
def apply_defaults(pelican) -> None:
    """Fill in the settings the site did not set, then check them all."""
    for key, value in DEFAULT_SETTINGS.items():
        pelican.settings.setdefault(key, value)
    read_settings(pelican.settings)


def add_filters(generator) -> None:
    """Every template may group items by day (the story page does) and draw
    the calendar."""
    generator.env.filters["by_day"] = by_day
    generator.env.filters["calendar_grid"] = calendar_grid


def take_over_day_archives(generator) -> None:
    """Day pages are editions (``day.html``), not paginated period archives."""
    generator.period_archives.pop("day", None)


def get_generators(pelican):
    return TimelineGenerator


def register() -> None:
    # initialized: defaults and checks before anything is read.
    signals.initialized.connect(apply_defaults)
    # generator_init: each generator has its own Jinja environment.
    signals.generator_init.connect(add_filters)
    # article_generator_finalized: drop Pelican's day archives, ours replace them.
    signals.article_generator_finalized.connect(take_over_day_archives)
    # get_generators: our generator writes days, editions, the index and feed.
    signals.get_generators.connect(get_generators)
