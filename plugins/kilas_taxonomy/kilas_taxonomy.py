"""Kilas taxonomies: region, source and story pages like Pelican's categories.

Pelican has category and tag pages only. This plugin gives any attribute of an
item (one term or a list of terms) the same treatment, configured by the
setting ``KILAS_TAXONOMIES``: a page per term listing its items (paginated by
Pelican's writer and ``PAGINATION_PATTERNS``), an index page listing every
term with its item count, and an Atom feed per term. A taxonomy may name an
``also`` attribute (a source's ``cites``): its items are listed apart, on the
term page and on a page of their own.

URL settings follow Pelican's ``CATEGORY_*`` names: for a taxonomy ``region``
they are ``REGION_URL``, ``REGION_SAVE_AS``, ``REGIONS_URL``,
``REGIONS_SAVE_AS``, ``REGION_FEED_ATOM`` and, with ``also: cites``,
``REGION_CITES_URL`` and ``REGION_CITES_SAVE_AS``.

A taxonomy may know a hierarchy (regions do): ``parent`` names the term
attribute holding the wider term (a province's country), whose page then lists
the term's items too and exists even when no item names it; ``members`` names
the attribute listing the terms a grouping gathers (ASEAN's countries), whose
items its page lists when an item names the grouping. Every item gets
``<name>_pages`` (``region_pages``): the terms whose pages list it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kilas_settings import SettingError, apply_defaults
from kilas_timeline.periods import newest_first
from markupsafe import escape
from pelican import signals
from pelican.generators import Generator

logger = logging.getLogger(__name__)

# Every key a taxonomy may carry, and its default ("" = derived from the name).
TAXONOMY_KEYS = {
    "attr": None,  # required: the item attribute holding the term(s)
    "plural": "",  # the index template and the context name; default name + "s"
    "order": "newest",  # "newest" or "oldest" first on the term page
    "also": None,  # an attribute whose items are listed apart (e.g. cites)
    "parent": None,  # a term attribute: the wider term that lists its items too
    "members": None,  # a term attribute: terms whose items a grouping gathers
    "template": "",  # default: the taxonomy name
    "index_template": "",  # default: the plural
}
ORDERS = ("newest", "oldest")

DEFAULTS = {
    "KILAS_TAXONOMIES": {
        "region": {"attr": "regions", "parent": "parent", "members": "members"},
        "source": {"attr": "source", "also": "cites"},
        "story": {"attr": "story", "plural": "stories"},
    },
    "REGION_URL": "wilayah/{slug}/",
    "REGION_SAVE_AS": "wilayah/{slug}/index.html",
    "REGIONS_URL": "wilayah/",
    "REGIONS_SAVE_AS": "wilayah/index.html",
    "REGION_FEED_ATOM": "feeds/wilayah/{slug}.atom.xml",
    "SOURCE_URL": "sumber/{slug}/",
    "SOURCE_SAVE_AS": "sumber/{slug}/index.html",
    "SOURCE_CITES_URL": "sumber/{slug}/dikutip/",
    "SOURCE_CITES_SAVE_AS": "sumber/{slug}/dikutip/index.html",
    "SOURCES_URL": "sumber/",
    "SOURCES_SAVE_AS": "sumber/index.html",
    "SOURCE_FEED_ATOM": "feeds/sumber/{slug}.atom.xml",
    "STORY_URL": "cerita/{slug}/",
    "STORY_SAVE_AS": "cerita/{slug}/index.html",
    "STORIES_URL": "cerita/",
    "STORIES_SAVE_AS": "cerita/index.html",
    "STORY_FEED_ATOM": "feeds/cerita/{slug}.atom.xml",
}


class TaxonomySettingsError(SettingError):
    """``KILAS_TAXONOMIES`` or a URL setting it needs is wrong."""


@dataclass(frozen=True)
class Taxonomy:
    """One configured taxonomy, its settings resolved."""

    name: str
    attr: str
    plural: str
    order: str
    also: str | None
    template: str
    index_template: str
    parent: str | None = None
    members: str | None = None

    @property
    def prefix(self) -> str:
        return self.name.upper()

    @property
    def plural_prefix(self) -> str:
        return self.plural.upper()


@dataclass
class Term:
    """A term and the items filed under it."""

    # Kilas' incremental build: a page that reads its term but not its items
    # (a region's tenth page shows its count) is not written again when an
    # item's title changes. The counts read the lists without telling it.
    kilas_items = ("articles", "also_articles")

    term: object
    articles: list = field(default_factory=list)
    also_articles: list = field(default_factory=list)
    url: str = ""
    save_as: str = ""
    also_url: str = ""
    also_save_as: str = ""
    feed: str = ""
    # How many ``also`` items the term page shows; the rest get a page of their own.
    also_limit: int = 0
    # With a hierarchy: items naming the term itself, the terms inside it
    # (their parent is this term) and the members gathered, each with a page.
    own_count: int = 0
    within: list = field(default_factory=list)
    members: list = field(default_factory=list)

    @property
    def also_shown(self) -> list:
        return self.also_articles[: self.also_limit]

    @property
    def has_also_page(self) -> bool:
        return bool(self.also_save_as) and self.also_count > self.also_limit

    @property
    def name(self) -> str:
        return str(self.term)

    @property
    def slug(self) -> str:
        return self.term.slug

    @property
    def count(self) -> int:
        return len(vars(self)["articles"])

    @property
    def also_count(self) -> int:
        return len(vars(self)["also_articles"])

    @property
    def latest(self):
        """The date of the newest item (of either list)."""
        return max(a.date for a in self.articles + self.also_articles)

    @property
    def feed_articles(self) -> list:
        """Every item of the term, newest first, each once."""
        seen = {id(a): a for a in self.articles + self.also_articles}
        return newest_first(seen.values())


def read_taxonomies(settings: dict) -> list[Taxonomy]:
    """Check ``KILAS_TAXONOMIES`` and the URL settings it needs."""
    config = settings.get("KILAS_TAXONOMIES")
    if not isinstance(config, dict):
        raise TaxonomySettingsError(
            "kilas_taxonomy: KILAS_TAXONOMIES must be a dict of name -> "
            '{"attr": ...}, e.g. {"region": {"attr": "regions"}}'
        )
    taxonomies = []
    for name, options in config.items():
        where = f"kilas_taxonomy: KILAS_TAXONOMIES[{name!r}]"
        if not isinstance(name, str) or not name.isidentifier():
            raise TaxonomySettingsError(
                f"{where}: the name must be a word such as 'region'"
            )
        if not isinstance(options, dict):
            raise TaxonomySettingsError(f'{where} must be a dict with an "attr" key')
        unknown = sorted(set(options) - set(TAXONOMY_KEYS))
        if unknown:
            raise TaxonomySettingsError(
                f"{where}: unknown key(s) {', '.join(unknown)}; allowed: "
                f"{', '.join(TAXONOMY_KEYS)}"
            )
        if not options.get("attr"):
            raise TaxonomySettingsError(
                f'{where}: "attr" is required (the item attribute, e.g. "regions")'
            )
        order = options.get("order", "newest")
        if order not in ORDERS:
            raise TaxonomySettingsError(
                f'{where}: "order" is {order!r}; allowed: {", ".join(ORDERS)}'
            )
        plural = options.get("plural") or f"{name}s"
        taxonomy = Taxonomy(
            name=name,
            attr=options["attr"],
            plural=plural,
            order=order,
            also=options.get("also"),
            template=options.get("template") or name,
            index_template=options.get("index_template") or plural,
            parent=options.get("parent"),
            members=options.get("members"),
        )
        required = [f"{taxonomy.prefix}_URL", f"{taxonomy.prefix}_SAVE_AS"]
        if taxonomy.also:
            also = taxonomy.also.upper()
            required += [f"{taxonomy.prefix}_{also}_URL"]
            required += [f"{taxonomy.prefix}_{also}_SAVE_AS"]
        missing = [key for key in required if key not in settings]
        if missing:
            raise TaxonomySettingsError(
                f"kilas_taxonomy: taxonomy {name!r} needs the setting(s) "
                f"{', '.join(missing)}, e.g. {required[0]} = '{name}/{{slug}}/'"
            )
        taxonomies.append(taxonomy)
    return taxonomies


def _terms_of(article, attr: str) -> list:
    value = getattr(article, attr, None)
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def build_terms(taxonomy: Taxonomy, articles: list, settings: dict) -> list[Term]:
    """Every term used by ``articles``, with its items in the page order."""
    paginated = settings.get("PAGINATED_TEMPLATES", {})
    per_page = paginated.get(taxonomy.template) or settings["DEFAULT_PAGINATION"]
    terms: dict[object, Term] = {}
    for article in articles:
        for value in _terms_of(article, taxonomy.attr):
            terms.setdefault(value, Term(value)).articles.append(article)
        if taxonomy.also:
            for value in _terms_of(article, taxonomy.also):
                terms.setdefault(value, Term(value)).also_articles.append(article)
    for entry in terms.values():
        entry.own_count = len(entry.articles)
    if taxonomy.parent or taxonomy.members:
        _gather(taxonomy, terms)
    oldest = taxonomy.order == "oldest"
    also = (taxonomy.also or "").upper()
    for entry in terms.values():
        # One order on every page (a parent gathers its places' items after
        # its own): newest first, or that order read backwards.
        entry.articles = newest_first(entry.articles)
        if oldest:
            entry.articles.reverse()
        entry.also_articles = newest_first(entry.also_articles)
        names = entry.term.as_dict()
        entry.url = settings[f"{taxonomy.prefix}_URL"].format(**names)
        entry.save_as = settings[f"{taxonomy.prefix}_SAVE_AS"].format(**names)
        if also:
            entry.also_url = settings[f"{taxonomy.prefix}_{also}_URL"].format(**names)
            entry.also_save_as = settings[f"{taxonomy.prefix}_{also}_SAVE_AS"].format(
                **names
            )
        entry.also_limit = per_page or len(entry.also_articles)
        feed = settings.get(f"{taxonomy.prefix}_FEED_ATOM")
        entry.feed = feed.format(**names) if feed else ""
    by_name = sorted(terms.values(), key=lambda t: (t.name.casefold(), t.slug))
    pages_of: dict[int, list] = {}
    for entry in by_name:
        for article in entry.articles:
            pages_of.setdefault(id(article), []).append(entry.term)
    for article in {id(a): a for t in by_name for a in t.articles}.values():
        setattr(article, f"{taxonomy.name}_pages", pages_of[id(article)])
    return by_name


def _gather(taxonomy: Taxonomy, terms: dict[object, Term]) -> None:
    """Wider terms list the items of the terms inside them: a parent always
    (its page is made if needed), a grouping when an item names it."""

    def parent_of(term):
        return getattr(term, taxonomy.parent, None) if taxonomy.parent else None

    def members_of(term) -> list:
        return (
            list(getattr(term, taxonomy.members, None) or [])
            if taxonomy.members
            else []
        )

    named = list(terms)
    # Term -> the named groupings that contain it, through members of members.
    grouped_in: dict[object, list] = {}
    for grouping in named:
        stack, seen = members_of(grouping), set()
        while stack:
            member = stack.pop()
            if member in seen or member == grouping:
                continue
            seen.add(member)
            grouped_in.setdefault(member, []).append(grouping)
            stack += members_of(member)
    own = {term: list(entry.articles) for term, entry in terms.items()}
    for term in named:
        stack, seen = [term], {term}
        while stack:
            inner = stack.pop()
            parent = parent_of(inner)
            for wider in ([parent] if parent is not None else []) + grouped_in.get(
                inner, []
            ):
                if wider in seen:
                    continue
                seen.add(wider)
                stack.append(wider)
                terms.setdefault(wider, Term(wider)).articles.extend(own[term])
    for entry in terms.values():
        entry.articles = list({id(a): a for a in entry.articles}.values())
    by_name = sorted(terms.values(), key=lambda t: (t.name.casefold(), t.slug))
    for entry in by_name:
        parent = parent_of(entry.term)
        if parent is not None and parent in terms:
            terms[parent].within.append(entry)
        entry.members = [terms[m] for m in members_of(entry.term) if m in terms]
        entry.members.sort(key=lambda t: (t.name.casefold(), t.slug))


class TaxonomyGenerator(Generator):
    """Writes term pages, index pages and feeds for every taxonomy."""

    def generate_context(self) -> None:
        self.taxonomies = read_taxonomies(self.settings)
        articles = self.context.get("articles", [])
        self.terms: dict[str, list[Term]] = {}
        # Pelican's own term pages count too (a translation's tag may have none).
        pages = set(self.context.get("term_pages", ()))
        for key in ("categories", "tags"):
            pages.update(term.url for term, _ in self.context.get(key, ()))
        for taxonomy in self.taxonomies:
            terms = build_terms(taxonomy, articles, self.settings)
            self.terms[taxonomy.name] = terms
            self.context[taxonomy.plural] = terms
            pages.update(t.url for t in terms)
        # URLs of every term page written, so templates link only to those.
        self.context["term_pages"] = frozenset(pages)
        self.context["taxonomies"] = {t.name: t for t in self.taxonomies}

    def generate_output(self, writer) -> None:
        for taxonomy in self.taxonomies:
            terms = self.terms[taxonomy.name]
            self._write_terms(writer, taxonomy, terms)
            self._write_index(writer, taxonomy, terms)
            self._write_feeds(writer, taxonomy, terms)

    def _write_terms(self, writer, taxonomy: Taxonomy, terms: list[Term]) -> None:
        template = self.get_template(taxonomy.template)
        relative = self.settings["RELATIVE_URLS"]
        for entry in terms:
            variables = {taxonomy.name: entry.term, "term": entry}
            # The term's own page, and its page of items citing it when it has one.
            pages = [(entry.save_as, entry.url, entry.articles, False)]
            if entry.has_also_page:
                pages.append(
                    (entry.also_save_as, entry.also_url, entry.also_articles, True)
                )
            for save_as, url, articles, also_page in pages:
                writer.write_file(
                    save_as,
                    template,
                    self.context,
                    relative_urls=relative,
                    paginated={"articles": articles},
                    template_name=taxonomy.template,
                    url=url,
                    articles=articles,
                    also_page=also_page,
                    **variables,
                )

    def _write_index(self, writer, taxonomy: Taxonomy, terms: list[Term]) -> None:
        save_as = self.settings.get(f"{taxonomy.plural_prefix}_SAVE_AS")
        if not save_as:
            return
        writer.write_file(
            save_as,
            self.get_template(taxonomy.index_template),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            template_name=taxonomy.index_template,
            url=self.settings.get(f"{taxonomy.plural_prefix}_URL", ""),
            terms=terms,
        )

    def _write_feeds(self, writer, taxonomy: Taxonomy, terms: list[Term]) -> None:
        for entry in terms:
            if not entry.feed:
                continue
            writer.write_feed(
                entry.feed_articles,
                self.context,
                entry.feed,
                # Pelican reads a feed's title as HTML (its tags are stripped):
                # a name is text, so it is escaped ("<" in a name is kept).
                feed_title=escape(entry.name),
            )


# -- signal receivers ----------------------------------------------------------
def check_settings(pelican) -> None:
    """Fill in the URL settings the site did not set, then check them all."""
    apply_defaults(pelican.settings, DEFAULTS)
    read_taxonomies(pelican.settings)


def get_generators(pelican):
    return TaxonomyGenerator


def register() -> None:
    # initialized: defaults must exist before items (and their term URLs) are read.
    signals.initialized.connect(check_settings)
    # get_generators: a generator of our own writes the pages after articles.
    signals.get_generators.connect(get_generators)
