"""The timeline's model: every year, month, day and ISO week that has items.

``Timeline(articles, settings)`` files the items under their periods (in
the items' own time zone, which the contract sets to the site's), links each
period to the previous and next one that has items, and answers the
questions the templates ask (the latest edition, the days and stories on the
home page, the months the calendar draws). An edition (a day or a week)
opens with its lead item and lists the others by category.

Nothing here reads or writes files or talks to Pelican: the plugin
(``kilas_timeline.py``) makes one ``Timeline`` per build.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby, pairwise
from operator import attrgetter


class _Week:
    """The ISO week of a period's first day (a week's edition names it)."""

    date: date

    @property
    def iso_year(self) -> int:
        return self.date.isocalendar()[0]

    @property
    def iso_week(self) -> int:
        return self.date.isocalendar()[1]


@dataclass(eq=False)
class Period(_Week):
    """A year, month, day or ISO week that has items (newest first)."""

    # Kilas' incremental build: a page that reads its period but not its
    # items (a year's tenth page shows its count) is not written again when
    # an item's title changes. ``count`` reads the list without telling it.
    kilas_items = ("articles",)

    kind: str
    key: tuple
    date: date
    articles: list = field(default_factory=list)
    url: str = ""
    save_as: str = ""
    # Links to the previous and next period of its kind that has items.
    previous: PeriodLink | None = None
    next: PeriodLink | None = None
    parts: list = field(default_factory=list)  # months of a year, days of a month
    category_order: tuple = field(default=(), repr=False)
    # Links to the periods holding it: a day's month and week, a month's year.
    year: PeriodLink | None = field(default=None, repr=False)
    month: PeriodLink | None = field(default=None, repr=False)
    week: PeriodLink | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        return len(vars(self)["articles"])

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


@dataclass(frozen=True, eq=False)
class PeriodLink(_Week):
    """Another period as a page links to it (a neighbour, or the month and
    week of a day): what names it and its address, not its items. A page
    that links to the next year is not about the next year's items, so it
    is not written again when that year gains one."""

    kind: str
    key: tuple
    date: date
    url: str

    @classmethod
    def to(cls, period: Period | None) -> PeriodLink | None:
        if period is None:
            return None
        return cls(period.kind, period.key, period.date, period.url)


def newest_first(articles) -> list:
    """``articles`` newest first, as Pelican lists them: items of the same
    time by slug (then file). Every page listing items keeps this order, and
    previous/next walk it back, so items of one minute never swap places
    between a day's page and a region's."""
    ordered = sorted(articles, key=attrgetter("slug", "source_path"))
    ordered.sort(key=attrgetter("date"), reverse=True)
    return ordered


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
        newest = newest_first(articles)
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
            month.year = self._by_key[("year", month.key[:1])]
            month.year.parts.append(month)
            for day in month.parts:
                day.month, day.week = month, self.week_of(day.date)
        # What a period's page shows of other periods: links (see PeriodLink).
        for period in self._by_key.values():
            period.previous = PeriodLink.to(period.previous)
            period.next = PeriodLink.to(period.next)
            period.year = PeriodLink.to(period.year)
            period.month = PeriodLink.to(period.month)
            period.week = PeriodLink.to(period.week)

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
