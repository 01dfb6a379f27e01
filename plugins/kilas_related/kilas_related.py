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

import heapq
import logging
from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import timedelta

from kilas_settings import apply, rule, whole
from kilas_timeline.periods import newest_first
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


RULES = {
    "KILAS_RELATED_MAX": whole(0),
    "KILAS_RELATED_WEIGHTS": rule(
        lambda weights: (
            set(weights) <= set(DEFAULTS["KILAS_RELATED_WEIGHTS"])
            and all(whole(0)(w) for w in weights.values())
        ),
        "whole numbers of at least 0 for some of the keys story, region and tag",
    ),
}


def _weights(settings: dict) -> dict[str, int]:
    """The site's weights over the defaults (it may set only some kinds)."""
    return {**DEFAULTS["KILAS_RELATED_WEIGHTS"], **settings["KILAS_RELATED_WEIGHTS"]}


def _terms(article) -> dict[str, set[str]]:
    story = getattr(article, "story", None)
    return {
        "story": {story.slug} if story else set(),
        "region": {region.slug for region in getattr(article, "regions", []) or []},
        "tag": {tag.slug for tag in getattr(article, "tags", []) or []},
    }


def link_neighbours(articles: list) -> None:
    """Set prev_article/next_article along publication time: the lists'
    order (newest first) read backwards, items of one minute included."""
    ordered = newest_first(articles)[::-1]
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
    if limit == 0:
        for article in articles:
            article.related_articles = []
        return
    ordered = sorted(articles, key=lambda a: (a.date, a.source_path))
    # Times as whole microseconds since the oldest item: the distance between
    # two items is a subtraction of ints, exact and much cheaper than
    # subtracting datetimes and asking the timedelta for its seconds.
    first = ordered[0].date if ordered else None
    tick = timedelta(microseconds=1)
    times = [(article.date - first) // tick for article in ordered]
    paths = [article.source_path for article in ordered]
    terms = [
        [(kind, weights[kind], values) for kind, values in _terms(article).items()]
        for article in ordered
    ]
    postings: dict[tuple[str, str], list[int]] = defaultdict(list)
    for number, article_terms in enumerate(terms):
        for kind, _, values in article_terms:
            for value in values:
                postings[kind, value].append(number)
    for here, article in enumerate(ordered):
        # Items enter `scores` in the order they are first met. Counter.update
        # counts a whole window in C: most terms (tags, regions) weigh 1.
        scores: Counter[int] = Counter()
        for kind, weight, values in terms[here]:
            for value in values:
                posting = postings[kind, value]
                middle = bisect_left(posting, here)
                window = posting[max(0, middle - WINDOW) : middle + WINDOW + 1]
                if weight == 1:
                    scores.update(window)
                else:
                    for other in window:
                        scores[other] += weight
        scores.pop(here, None)
        if not scores:
            article.related_articles = []
            continue
        # Only items scoring at least the limit-th best score can be listed:
        # sort the scores alone (ints, in C), then rank the few left by score,
        # nearness in time and file. `found` (the order of first meeting)
        # settles a full tie as the stable sort this replaces did.
        best_scores = sorted(scores.values(), reverse=True)
        threshold = max(best_scores[min(limit, len(best_scores)) - 1], 1)
        candidates = [other for other, score in scores.items() if score >= threshold]
        when = times[here]
        best = heapq.nsmallest(
            limit,
            [
                (-scores[other], abs(times[other] - when), paths[other], found, other)
                for found, other in enumerate(candidates)
            ],
        )
        article.related_articles = [ordered[key[-1]] for key in best]


def relate_articles(generator) -> None:
    """Neighbours and related items, per language, for published items."""
    limit = generator.settings["KILAS_RELATED_MAX"]
    weights = _weights(generator.settings)
    languages: dict[str, list] = defaultdict(list)
    for article in [*generator.articles, *generator.translations]:
        languages[article.lang].append(article)
    for articles in languages.values():
        link_neighbours(articles)
        rank_related(articles, limit, weights)


def check_settings(pelican) -> None:
    """Defaults filled in and every setting checked once, before reading."""
    apply(pelican.settings, DEFAULTS, RULES, plugin="kilas_related")


def register() -> None:
    # initialized: settings checked once, before anything is read.
    signals.initialized.connect(check_settings)
    # article_generator_finalized: every item is read and its terms resolved,
    # nothing is written yet.
    signals.article_generator_finalized.connect(relate_articles)
