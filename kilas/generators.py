"""Pelican's articles generator without its quadratic scans.

For every tag, category, author and archive period, Pelican 4.12 keeps the
site's items that belong to it with a list scan per item
(``[a for a in self.dates if a in articles]``): at 10,000 items that is
seconds of a build doing nothing else. Here the same lists, in the same
order, come from one index of positions.
"""

from __future__ import annotations

import logging

from blinker import signal
from pelican import signals
from pelican.generators import ArticlesGenerator
from pelican.writers import FileOverwriteFailedError

logger = logging.getLogger(__name__)

# Sent with the writer once every item page (and translation) is written,
# before the listing pages: the search index can start on them.
items_written = signal("kilas_items_written")
# Sent with the Pelican object when a build stops on an error.
build_failed = signal("kilas_build_failed")
# Sent with the Pelican object once everything is written: a receiver returns
# the first moment after the build's "now" at which the site would change by
# itself (an item entering or leaving the news sitemap's window), or None.
# A build with nothing changed keeps the site only until then (kilas.fastpath).
valid_until = signal("kilas_valid_until")


def _positions(items: list) -> dict[int, int]:
    return {id(item): number for number, item in enumerate(items)}


class KilasArticlesGenerator(ArticlesGenerator):
    def generate_output(self, writer):
        # Pelican writes the feeds first; the pages first (items first of
        # all) let the search index start sooner.
        self.generate_pages(writer)
        self.generate_feeds(writer)
        signals.article_writer_finalized.send(self, writer=writer)

    def generate_articles(self, write):
        super().generate_articles(write)
        writer = getattr(getattr(write, "func", None), "__self__", None)
        items_written.send(self, writer=writer)

    def _build_period_archives(self, sorted_articles, articles, settings):
        # Pelican fills each period's "articles" with a scan of ``articles``
        # per period; give it none to scan, then fill them in one pass each.
        archives = super()._build_period_archives(sorted_articles, [], settings)
        position = _positions(articles)
        for periods in archives.values():
            for archive in periods:
                archive["articles"] = sorted(
                    archive["dates"], key=lambda item: position[id(item)]
                )
        return archives

    def generate_tags(self, write):
        self._generate_terms(write, "tag", self.tags.items())

    def generate_categories(self, write):
        self._generate_terms(write, "category", self.categories)

    def generate_authors(self, write):
        self._generate_terms(write, "author", self.authors)

    def _generate_terms(self, write, kind: str, terms) -> None:
        """Pelican's generate_tags / _categories / _authors in one."""
        template = self.get_template(kind)
        position = _positions(self.dates)
        for term, articles in terms:
            dates = sorted(articles, key=lambda item: position[id(item)])
            try:
                write(
                    term.save_as,
                    template,
                    self.context,
                    url=term.url,
                    articles=articles,
                    dates=dates,
                    template_name=kind,
                    blog=True,
                    page_name=term.page_name,
                    all_articles=self.articles,
                    **{kind: term},
                )
            except FileOverwriteFailedError:
                if term.slug:
                    logger.error("Failed to write %s page for %r.", kind, str(term))
                    raise
                logger.info(
                    '%s "%s" has an invalid slug; skipping writing its page...',
                    kind.capitalize(),
                    term,
                    extra={"limit_msg": f"Further {kind}s with invalid slugs."},
                )
