"""kilas_search: shard planning and shard keys (Pagefind runs are covered by
tests/test_search.py)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from kilas_search import kilas_search
from kilas_search.kilas_search import plan_shards, shard_key


def pages(year: int, month: int, count: int, tag: str = "") -> list:
    return [
        (f"{year}/{month:02d}/{tag}{n}/index.html", date(year, month, 1 + n))
        for n in range(count)
    ]


def test_a_year_within_the_limit_is_one_shard_and_newest_comes_first():
    plan = plan_shards(pages(2023, 5, 2) + pages(2024, 1, 1) + pages(2024, 8, 2), 5)
    assert list(plan) == ["2024", "2023"]
    assert plan["2024"] == [
        "2024/01/0/index.html",
        "2024/08/0/index.html",
        "2024/08/1/index.html",
    ]


def test_a_full_year_becomes_runs_of_whole_months_named_after_their_first():
    # January 2, February 2, March 1, April 4 with at most 3 a shard.
    items = pages(2024, 1, 2) + pages(2024, 2, 2) + pages(2024, 3, 1)
    items += pages(2024, 4, 4)
    plan = plan_shards(items, 3)
    assert {name: len(shard) for name, shard in plan.items()} == {
        "2024-04": 4,  # a month larger than the limit stays whole
        "2024-02": 3,  # February and March
        "2024-01": 2,
    }
    assert list(plan) == ["2024-04", "2024-02", "2024-01"]


def test_a_new_item_moves_no_other_years_items():
    before = plan_shards(pages(2023, 3, 4) + pages(2024, 6, 2), 3)
    after = plan_shards(pages(2023, 3, 4) + pages(2024, 6, 3), 3)
    assert before["2023-03"] == after["2023-03"]
    assert len(after["2024"]) == 3


def test_every_page_is_in_exactly_one_shard():
    items = [(f"p{n}.html", date(2020 + n % 3, 1 + n % 12, 1)) for n in range(200)]
    plan = plan_shards(items, 7)
    placed = [page for shard in plan.values() for page in shard]
    assert sorted(placed) == sorted(page for page, _ in items)
    assert plan_shards([], 7) == {}


def test_a_shard_key_follows_its_pages_bytes_and_language():
    digests = {"a": [1, 2, 3, "aa"], "b": [1, 2, 3, "bb"], "c": [1, 2, 3, "cc"]}
    key = shard_key(["a", "b"], digests, "id")
    assert key == shard_key(["a", "b"], dict(digests, c=[0, 0, 0, "x"]), "id")
    assert key != shard_key(["a", "b"], dict(digests, b=[1, 2, 3, "b2"]), "id")
    assert key != shard_key(["a", "b"], digests, "en")
    assert key != shard_key(["a"], digests, "id")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SEARCH_INDEX", "ya"),
        ("SEARCH_BUNDLE_DIR", "../luar"),
        ("SEARCH_BUNDLE_DIR", "/"),
        ("SEARCH_RANKING", {"pageLenght": 0.0}),
        ("SEARCH_RANKING", {"pageLength": "0"}),
        ("SEARCH_SHARD_ITEMS", 0),
    ],
)
def test_bad_settings_name_the_key(key, value):
    pelican = SimpleNamespace(settings={key: value})
    with pytest.raises(kilas_search.SearchSettingError, match=f"{key} = "):
        kilas_search.validate_settings(pelican)
