"""The calendar of the timeline index: months drawn as weeks of days.

``calendar_grid(months)`` gives the theme the data of month tables (the
``calendar_grid`` filter; ``partials/calendar.html`` draws them, colours
are the theme's): each day with its count of items and a level from 0 (no
item) to ``LEVELS``, relative to the busiest day drawn. ``months`` are
periods of the timeline's model (``periods.Period``: ``date``, and ``parts``,
its days with items, each with ``date`` and ``count``).
"""

from __future__ import annotations

import calendar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .periods import Period

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
