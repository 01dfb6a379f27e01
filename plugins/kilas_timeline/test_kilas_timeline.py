"""kilas_timeline: the calendar's data and levels (whole timelines are built
in tests/test_timeline.py)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from kilas_timeline.calendar_grid import LEVELS, calendar_grid, calendar_level


def month(year: int, number: int, counts: dict[int, int]):
    days = [
        SimpleNamespace(date=date(year, number, d), count=c) for d, c in counts.items()
    ]
    return SimpleNamespace(date=date(year, number, 1), parts=days)


def test_levels_split_the_busiest_day_into_four_shades():
    assert LEVELS == 4
    assert calendar_level(0, 8) == 0
    assert [calendar_level(n, 8) for n in range(1, 9)] == [1, 1, 2, 2, 3, 3, 4, 4]
    assert calendar_level(1, 100) == 1  # a day with an item is never blank
    assert calendar_level(3, 0) == 4  # no busiest day: treated as 1


def test_a_month_is_weeks_from_monday_with_blanks_outside_it():
    august = month(2024, 8, {4: 2, 5: 1})
    (drawn,) = calendar_grid([august])
    assert drawn["month"] is august
    weeks = drawn["weeks"]
    assert len(weeks) == 5 and all(len(week) == 7 for week in weeks)
    # 1 August 2024 is a Thursday: Monday to Wednesday are outside the month.
    assert weeks[0][:3] == [None, None, None]
    assert weeks[0][3]["date"] == date(2024, 8, 1)
    sunday = weeks[0][6]
    assert (sunday["date"], sunday["count"], sunday["level"]) == (
        date(2024, 8, 4),
        2,
        4,
    )
    assert sunday["day"] is august.parts[0]
    monday = weeks[1][0]
    assert (monday["count"], monday["level"]) == (1, 2)
    empty = weeks[1][1]
    assert (empty["count"], empty["level"], empty["day"]) == (0, 0, None)
    cells = [cell for week in weeks for cell in week if cell]
    assert [cell["date"].day for cell in cells] == list(range(1, 32))


def test_levels_are_relative_to_the_busiest_day_of_every_month_drawn():
    quiet, busy = month(2024, 7, {1: 1}), month(2024, 8, {1: 4})
    drawn = calendar_grid([quiet, busy])
    first = next(cell for week in drawn[0]["weeks"] for cell in week if cell)
    assert first["level"] == 1  # 1 of 4, not the busiest of its own month
    assert calendar_grid([]) == []
