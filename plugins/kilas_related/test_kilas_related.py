"""kilas_related: neighbours and the ranking of related items."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from kilas_related import kilas_related
from kilas_related.kilas_related import link_neighbours, rank_related

START = datetime(2024, 8, 1, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
WEIGHTS = kilas_related.DEFAULTS["KILAS_RELATED_WEIGHTS"]


def _term(slug: str):
    return SimpleNamespace(slug=slug, name=slug)


def item(name: str, hours: float, story=None, regions=(), tags=(), lang="id"):
    return SimpleNamespace(
        source_path=f"{name}.md",
        slug=name,
        date=START + timedelta(hours=hours),
        story=_term(story) if story else None,
        regions=[_term(r) for r in regions],
        tags=[_term(t) for t in tags],
        lang=lang,
    )


def names(items) -> list[str]:
    return [i.source_path[:-3] for i in items]


def test_story_weighs_more_than_regions_and_tags():
    here = item("here", 0, story="banjir", regions=["KP"], tags=["a", "b"])
    others = [
        item("tag", 1, tags=["a"]),  # 1
        item("story", 30, story="banjir"),  # 4
        item("region_tag", 2, regions=["KP"], tags=["b"]),  # 2
        item("nothing", 0.5),
    ]
    rank_related([here, *others], 4, WEIGHTS)
    assert names(here.related_articles) == ["story", "region_tag", "tag"]
    nothing = others[-1]
    assert nothing.related_articles == []  # sharing nothing: never listed


def test_ties_go_to_the_nearest_in_time_then_the_file():
    here = item("here", 0, tags=["a"])
    others = [
        item("far", -10, tags=["a"]),
        item("near_b", 2, tags=["a"]),
        item("near_a", -2, tags=["a"]),
        item("nearest", 1, tags=["a"]),
    ]
    rank_related([here, *others], 4, WEIGHTS)
    assert names(here.related_articles) == ["nearest", "near_a", "near_b", "far"]


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_at_most_the_limit(limit):
    items = [item(f"i{n}", n, tags=["a"]) for n in range(8)]
    rank_related(items, limit, WEIGHTS)
    assert all(len(i.related_articles) == limit for i in items)
    assert all(i not in i.related_articles for i in items)


def test_weights_are_the_sites():
    here = item("here", 0, story="s", tags=["a", "b", "c"])
    story, tags = item("story", 5, story="s"), item("tags", 6, tags=["a", "b", "c"])
    rank_related([here, story, tags], 1, WEIGHTS)
    assert names(here.related_articles) == ["story"]  # 4 against 3
    rank_related([here, story, tags], 1, {"story": 2, "region": 1, "tag": 1})
    assert names(here.related_articles) == ["tags"]  # 2 against 3
    rank_related([here, story, tags], 2, {"story": 0, "region": 0, "tag": 1})
    assert names(here.related_articles) == ["tags"]  # a weight of 0 shares nothing


def test_neighbours_follow_the_lists_read_backwards():
    # Lists show b above c (same time: by slug), so b is the newer of the two.
    a, b, c = item("a", 0), item("b", 1), item("c", 1)
    link_neighbours([c, a, b])
    assert (a.prev_article, a.next_article) == (None, c)
    assert (c.prev_article, c.next_article) == (a, b)
    assert (b.prev_article, b.next_article) == (c, None)


def test_each_language_is_ranked_and_linked_apart():
    first = item("id1", 0, story="s")
    second = item("id2", 1, story="s")
    english = item("en1", 2, story="s", lang="en")
    settings = {}
    kilas_related.check_settings(SimpleNamespace(settings=settings))
    generator = SimpleNamespace(
        settings=settings, articles=[first, second], translations=[english]
    )
    kilas_related.relate_articles(generator)
    assert first.related_articles == [second]
    assert english.related_articles == []
    assert (second.next_article, english.prev_article) == (None, None)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("KILAS_RELATED_MAX", -1),
        ("KILAS_RELATED_MAX", True),
        ("KILAS_RELATED_WEIGHTS", {"cerita": 4}),
        ("KILAS_RELATED_WEIGHTS", {"story": -1}),
        ("KILAS_RELATED_WEIGHTS", [4, 1, 1]),
    ],
)
def test_bad_settings_name_the_key(key, value):
    with pytest.raises(ValueError, match=f"kilas_related: {key} = "):
        kilas_related.check_settings(SimpleNamespace(settings={key: value}))
