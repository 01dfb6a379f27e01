"""Kilas related items: previous and next item, and a few related items.

After the articles are read, every published item gets:

* ``prev_article``: the item published just before it, in the same language;
* ``next_article``: the item published just after it, in the same language;
* ``related_articles``: up to ``KILAS_RELATED_MAX`` other items in the same
  language, ranked by what they share: the story counts most, then each region
  and each tag; ties go to the item nearest in time. Items sharing nothing
  are never listed.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections import defaultdict

from pelican import signals

logger = logging.getLogger(__name__)

# Items on either side (in time) scored per shared term.
WINDOW = 50

DEFAULTS = {
    # How many related items an item page lists at most (0 turns them off).
    "KILAS_RELATED_MAX": 4,
    # Weight of each kind of shared term.
    "KILAS_RELATED_WEIGHTS": {"story": 4, "region": 1, "tag": 1},
}


def _settings(settings: dict) -> tuple[int, dict[str, int]]:
    limit = settings.get("KILAS_RELATED_MAX", DEFAULTS["KILAS_RELATED_MAX"])
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ValueError(
            f"kilas_related: KILAS_RELATED_MAX must be a whole number of at least 0, "
            f"not {limit!r}"
        )
    weights = {
        **DEFAULTS["KILAS_RELATED_WEIGHTS"],
        **settings.get("KILAS_RELATED_WEIGHTS", {}),
    }
    unknown = sorted(set(weights) - set(DEFAULTS["KILAS_RELATED_WEIGHTS"]))
    if unknown or not all(isinstance(w, int) and w >= 0 for w in weights.values()):
        raise ValueError(
            "kilas_related: KILAS_RELATED_WEIGHTS takes whole numbers >= 0 for the "
            f"keys story, region and tag, not {settings.get('KILAS_RELATED_WEIGHTS')!r}"
        )
    return limit, weights


def _terms(article) -> dict[str, set[str]]:
    story = getattr(article, "story", None)
    return {
        "story": {story.slug} if story else set(),
        "region": {region.slug for region in getattr(article, "regions", []) or []},
        "tag": {tag.slug for tag in getattr(article, "tags", []) or []},
    }


def link_neighbours(articles: list) -> None:
    """Set prev_article/next_article along publication time."""
    ordered = sorted(articles, key=lambda a: (a.date, a.source_path))
    for number, article in enumerate(ordered):
        article.prev_article = ordered[number - 1] if number > 0 else None
        article.next_article = (
            ordered[number + 1] if number + 1 < len(ordered) else None
        )


def rank_related(articles: list, limit: int, weights: dict[str, int]) -> None:
    """Set related_articles on every item of one language.

    Each shared term is looked up in an index of the items carrying it, and only
    the ``WINDOW`` items nearest in time on either side are scored, so a tag
    carried by thousands of items costs no more than a rare one.
    """
    ordered = sorted(articles, key=lambda a: (a.date, a.source_path))
    position = {id(article): number for number, article in enumerate(ordered)}
    terms = {id(article): _terms(article) for article in ordered}
    postings: dict[tuple[str, str], list[int]] = defaultdict(list)
    for number, article in enumerate(ordered):
        for kind, values in terms[id(article)].items():
            for value in values:
                postings[kind, value].append(number)
    for article in ordered:
        if limit == 0:
            article.related_articles = []
            continue
        here = position[id(article)]
        scores: dict[int, int] = defaultdict(int)
        for kind, values in terms[id(article)].items():
            for value in values:
                posting = postings[kind, value]
                middle = bisect_left(posting, here)
                for other in posting[max(0, middle - WINDOW) : middle + WINDOW + 1]:
                    if other != here:
                        scores[other] += weights[kind]
        best = sorted(
            (number for number, score in scores.items() if score > 0),
            key=lambda n: (
                -scores[n],
                abs((ordered[n].date - article.date).total_seconds()),
                ordered[n].source_path,
            ),
        )
        article.related_articles = [ordered[n] for n in best[:limit]]


def relate_articles(generator) -> None:
    """Neighbours and related items, per language, for published items."""
    limit, weights = _settings(generator.settings)
    languages: dict[str, list] = defaultdict(list)
    for article in [*generator.articles, *generator.translations]:
        languages[article.lang].append(article)
    for articles in languages.values():
        link_neighbours(articles)
        rank_related(articles, limit, weights)


def register() -> None:
    # article_generator_finalized: every item is read and its terms resolved,
    # nothing is written yet.
    signals.article_generator_finalized.connect(relate_articles)
