"""Every place Kilas' runner touches Pelican's private API, in one module.

Kilas builds with stock Pelican's reading, generators, templates and writer,
and changes four things about how a build runs (``kilas.incremental``):
pages whose inputs did not change are not rendered again, the rest are
written by forked processes, an item's URLs are computed once, and the
articles generator drops its quadratic list scans; plugins hear of every page
(``content_written``), kept or written by another process too. Each needs a hook Pelican
does not offer publicly. They are all here, each with the upstream function
it copies or overrides named in a comment, and each of those functions is
pinned in ``UPSTREAM``: ``tests/test_pelican_coupling.py`` hashes the
installed Pelican's source of every one and fails, naming the function, when
an upgrade changed it. What to do then is in ``docs/architecture.md``
("Upgrading Pelican").

Public API is used wherever Pelican offers it: the signals (``initialized``,
``all_generators_finalized``, ``article_writer_finalized``, ``finalized``,
...), the writer's ``write_file`` and ``write_feed``, the settings
(``OUTPUT_PATH``, ``DELETE_OUTPUT_DIRECTORY``, ``PAGINATED_TEMPLATES``).
Kilas' own writer is made by its runner, so Pelican's ``get_writer`` signal
is not needed (and ``Pelican._get_writer`` not overridden).

The plugins touch Pelican in three places of their own (they must run under
stock ``pelican`` too, so they cannot import this module); those are pinned
in ``UPSTREAM`` as well, with the plugin named.

Stock ``pelican`` with the project's settings and plugins builds the same
files, byte for byte (``tests/test_stock_pelican.py``): the safety net that
none of these touch points changes what a page shows.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import inspect
import logging
import os
import textwrap
from itertools import groupby
from operator import attrgetter

from blinker import signal
from pelican import Pelican, signals
from pelican import generators as generators_module
from pelican.contents import Content
from pelican.generators import ArticlesGenerator
from pelican.log import LimitFilter
from pelican.paginator import Page, Paginator
from pelican.readers import Readers
from pelican.utils import get_original_items, get_relative_path, path_to_url
from pelican.writers import FileOverwriteFailedError, Writer

logger = logging.getLogger(__name__)

# A page of a list shows its own items (``articles_page.object_list``); its
# neighbours (``articles_next_page``) only their addresses: kilas.records
# digests a page's items by their addresses unless a template reads them.
Page.kilas_items = ("object_list",)

# Kilas' own signals (blinker's named signals: plugins connect by name).
# Sent with the writer once every item page (and translation) is written,
# before the listing pages: the search index can start on them.
items_written = signal("kilas_items_written")
# Sent with the Pelican object (and ``generators``) once every page is
# written, before ``finalized``: the search index can start while the other
# final steps are done.
pages_written = signal("kilas_pages_written")
# Sent with the Pelican object when a build stops on an error.
build_failed = signal("kilas_build_failed")
# Sent with the Pelican object, ``generators`` and ``writer`` once a run has
# written everything and saved its records: ``kilas.live`` keeps the site
# in memory between saves.
site_written = signal("kilas_site_written")
# Sent with the Pelican object (and ``generators``) once everything is
# written: a receiver returns the first moment after the build's "now" at
# which the site would change by itself (an item entering or leaving the news
# sitemap's window), or None. A build with nothing changed keeps the site
# only until then (kilas.fastpath).
valid_until = signal("kilas_valid_until")


def _positions(items: list) -> dict[int, int]:
    return {id(item): number for number, item in enumerate(items)}


# -- the articles generator --------------------------------------------------
def process_translations(content_list, translation_id=None):
    """Pelican's ``process_translations``, with its last step linear.

    Pelican finds the translations with ``x not in index`` (a list) for every
    item: 50 million comparisons at 10,000 items, 0.4 s of each build. Here
    the originals are known by identity, in a set. Same result, same order.

    Touch point: pelican.utils.process_translations (copied), swapped into
    pelican.generators while KilasArticlesGenerator reads.
    """
    if not translation_id:
        return content_list, []
    if isinstance(translation_id, str):
        translation_id = {translation_id}
    try:
        content_list.sort(key=attrgetter(*translation_id))
    except TypeError:
        raise TypeError(
            f"Cannot unpack {translation_id}, 'translation_id' must be falsy, a"
            " string or a collection of strings"
        ) from None
    except AttributeError:
        raise AttributeError(
            f"Cannot use {translation_id} as 'translation_id', there "
            "appear to be items without these metadata "
            "attributes"
        ) from None
    index = []
    for key, group in groupby(content_list, attrgetter(*translation_id)):
        id_vals = (key,) if len(translation_id) == 1 else key
        with_str = "with" + ", ".join([' {} "{{}}"'] * len(translation_id)).format(
            *translation_id
        ).format(*id_vals)
        items = list(group)
        index.extend(get_original_items(items, with_str))
        for a in items:
            a.translations = [x for x in items if x != a]
    originals = {id(x) for x in index}
    return index, [x for x in content_list if id(x) not in originals]


class _StampsOnlyWhenCaching:
    """Pelican's FileStampDataCacher, without its stat calls when nothing is
    cached: with Pelican's content cache off, as in Kilas, each call stats
    the file all the same (the articles generator and its readers: 40,000
    calls at 10,000 items)."""

    # Touch points: FileStampDataCacher.cache_data and get_cached_data;
    # FileDataCacher's ``_cache_data_policy`` and ``_cache``.
    def cache_data(self, filename, data):
        if self._cache_data_policy:
            super().cache_data(filename, data)

    def get_cached_data(self, filename, default=None):
        if not self._cache:
            return default
        return super().get_cached_data(filename, default)


class KilasReaders(_StampsOnlyWhenCaching, Readers):
    """Pelican's readers, stat calls for its content cache left out when it
    is off."""


class KilasArticlesGenerator(_StampsOnlyWhenCaching, ArticlesGenerator):
    """Pelican's articles generator: items first, and without the list scan
    per tag, category, author and period (see ``_positions``), or per item
    for its translations (``process_translations``)."""

    # Touch point: Generator.__init__ makes ``self.readers`` (a Readers,
    # after the ``readers_init`` signal): it becomes a KilasReaders, the
    # same object with the two methods above.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self.readers) is Readers:
            self.readers.__class__ = KilasReaders

    # Touch point: ArticlesGenerator.generate_context (wrapped: it calls
    # ``process_translations`` by its name in pelican.generators).
    def generate_context(self):
        original = generators_module.process_translations
        generators_module.process_translations = process_translations
        try:
            super().generate_context()
        finally:
            generators_module.process_translations = original

    # Touch point: ArticlesGenerator.generate_output (reordered copy).
    def generate_output(self, writer):
        # Pelican writes the feeds first; the pages first (items first of
        # all) let the search index start sooner.
        self.generate_pages(writer)
        self.generate_feeds(writer)
        signals.article_writer_finalized.send(self, writer=writer)

    # Touch point: ArticlesGenerator.generate_articles (wrapped; ``write`` is
    # a partial of the writer's write_file, as Pelican's generate_pages makes).
    def generate_articles(self, write):
        super().generate_articles(write)
        writer = getattr(getattr(write, "func", None), "__self__", None)
        items_written.send(self, writer=writer)

    # Touch point: ArticlesGenerator._build_period_archives (private; called
    # with no articles, so that its per-period scan is empty, then filled in).
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

    # Touch points: ArticlesGenerator.generate_tags, generate_categories and
    # generate_authors (copied into _generate_terms).
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


# -- the writer ----------------------------------------------------------------
class CoupledWriter(Writer):
    """Pelican's writer with two hooks: files it must not open (``skip``),
    and how a file is opened for writing (``open_new``)."""

    def __init__(self, output_path, settings=None) -> None:
        super().__init__(output_path, settings=settings)
        self._skip: set[str] = set()

    def skip(self, path: str) -> None:
        """Let ``path``'s next write go nowhere (its file is already right)."""
        self._skip.add(path)

    def unskip(self, path: str) -> None:
        self._skip.discard(path)

    def open_new(self, filename: str, encoding: str):
        return open(filename, "w", encoding=encoding)

    # Touch point: Writer._open_w (private; its rules against writing one
    # file twice are copied).
    def _open_w(self, filename, encoding, override=False):
        if filename in self._skip:
            self._skip.discard(filename)
            return open(os.devnull, "w", encoding=encoding)
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" a second time'
                )
            return open(os.devnull, "w", encoding=encoding)
        if filename in self._written_files and not override:
            raise FileOverwriteFailedError(
                f'Failed to overwrite "{filename}": it was already written'
            )
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return self.open_new(filename, encoding)

    # Touch point: Writer.write_file (its choice of pages is copied: one
    # file, or one per page of a paginated list, with the pagination
    # variables it gives each page).
    def pages(
        self, name: str, paginated, template_name, url, kwargs: dict, variables=False
    ) -> list[tuple[str, dict]]:
        """The files Pelican's write_file writes for these arguments, each
        with its pagination variables (``variables``; else none)."""
        if paginated is None:
            paginated = {k: v for k, v in kwargs.items() if k in {"articles", "dates"}}
        if not paginated or template_name not in self.settings["PAGINATED_TEMPLATES"]:
            return [(name, {})]
        per_page = (
            self.settings["PAGINATED_TEMPLATES"][template_name]
            or self.settings["DEFAULT_PAGINATION"]
        )
        paginators = {
            key: Paginator(name, url, objects, self.settings, per_page)
            for key, objects in paginated.items()
        }
        first = next(iter(paginators.values()))
        found = []
        for number in range(1, first.num_pages + 1):
            extra = {}
            for key, paginator in paginators.items() if variables else ():
                last = paginator.num_pages
                extra[f"{key}_paginator"] = paginator
                extra[f"{key}_page"] = paginator.page(number)
                extra[f"{key}_previous_page"] = (
                    paginator.page(number - 1) if number > 1 else None
                )
                extra[f"{key}_next_page"] = (
                    paginator.page(number + 1) if number < last else None
                )
            found.append((first.page(number).save_as, extra))
        return found


def page_context(context, page: str, relative_urls, kwargs: dict, extra) -> dict:
    """A page's own variables, to go over the site's context, as
    Writer.write_file gives them to its template and to ``content_written``.
    Touch point: Writer.write_file (its ``_get_localcontext``, copied)."""
    local = {"localsiteurl": context.get("localsiteurl")}
    if relative_urls:
        relative = path_to_url(get_relative_path(page))
        local["SITEURL"] = local["localsiteurl"] = relative
    local["output_file"] = page
    local.update(kwargs)
    local.update(extra)
    return local


@contextlib.contextmanager
def content_written_held(hold):
    """While pages are written, Pelican's ``content_written`` for a page is
    sent only when ``hold(path, context)`` is false (the caller tells of a
    held page itself, later or never). Touch point: Writer.write_file sends
    ``content_written`` for every page of a call, written or skipped, from
    its ``_write_file``; the signal's ``send`` is replaced for the while."""
    written = signals.content_written
    send = written.send

    def filtered(sender=None, /, **kwargs):
        if hold(sender, kwargs.get("context")):
            return []
        return send(sender, **kwargs)

    written.send = filtered
    try:
        yield
    finally:
        del written.send


def body_of(content) -> str:
    """An item's or page's Markdown-rendered body, as read (before Pelican
    rewrites its links). Touch point: Content.__init__ keeps it in the
    private ``_content``."""
    return getattr(content, "_content", None) or ""


def _memos() -> list[dict]:
    """The caches of ``Content.get_content`` and ``get_summary`` (Pelican's
    ``memoized``: one dict per function, for the process, keyed by the
    arguments, the object first). Touch point: ``memoized.cache``."""
    return [Content.__dict__[name].cache for name in ("get_content", "get_summary")]


def forget_memos() -> None:
    """Empty the memos: a process that builds again (``kilas.live``) would
    otherwise keep every item of every build it made."""
    for memo in _memos():
        memo.clear()


def replace_body(content, body: str) -> None:
    """Give an item or page a new body, as read (``kilas.live``), and forget
    what the memos hold for it. Touch point: the private ``_content`` (as
    ``body_of``)."""
    content._content = body
    for memo in _memos():
        for key in [key for key in memo if key[0] is content]:
            del memo[key]


# -- the run -------------------------------------------------------------------
class CoupledPelican(Pelican):
    """Pelican, with its run split in the phases Kilas' runner needs."""

    # Touch point: Pelican._get_generator_classes (private; Kilas' articles
    # generator takes the place of Pelican's).
    def _get_generator_classes(self):
        return [
            KilasArticlesGenerator if cls is ArticlesGenerator else cls
            for cls in super()._get_generator_classes()
        ]

    # Touch point: Pelican.run (its reading phase, copied; the output
    # folder is not deleted: Kilas writes into a staging folder it keeps).
    def read(self) -> list:
        """Read the site: every generator's context, then
        ``all_generators_finalized``. Nothing is written."""
        context = self.settings.copy()
        context["generated_content"] = {}
        context["static_links"] = set()
        context["static_content"] = {}
        context["localsiteurl"] = self.settings["SITEURL"]
        generators = [
            cls(
                context=context,
                settings=self.settings,
                path=self.path,
                theme=self.theme,
                output_path=self.output_path,
            )
            for cls in self._get_generator_classes()
        ]
        for generator in generators:
            if hasattr(generator, "generate_context"):
                generator.generate_context()
            if hasattr(generator, "check_disabled_readers"):
                generator.check_disabled_readers()
        signals.all_generators_finalized.send(generators)
        return generators

    # Touch point: Pelican.run (the step between reading and writing).
    @staticmethod
    def refresh_links(generators) -> None:
        for generator in generators:
            if hasattr(generator, "refresh_metadata_intersite_links"):
                generator.refresh_metadata_intersite_links()
        # Pelican memoizes an item's summary (get_summary); plugins read it
        # while reading, before its {filename} links were resolved here: the
        # memo would show those links unresolved on every page and feed.
        _memos()[1].clear()


# What Pelican formats an item's URLs from (Content.url_format and
# get_url_setting): setting any of these again forgets the URLs computed.
_URL_INPUTS = frozenset(
    {
        "metadata",
        "source_path",
        "slug",
        "lang",
        "in_default_lang",
        "date",
        "status",
        "author",
        "category",
        "override_url",
        "override_save_as",
    }
)


@contextlib.contextmanager
def memoized_urls():
    """Compute each item's ``url`` and ``save_as`` once, not on every access.

    Pelican formats them from their patterns each time (a copy of the
    metadata and a relative path of the source file), and a build asks about
    ten times per item. A computed URL is forgotten when one of its inputs is
    set again. (No plugin of ours changes an item's metadata in place.)

    Touch points: Content.get_url_setting (wrapped, on the class, for the
    build), Content.url_format (what ``_URL_INPUTS`` lists).
    """
    original_get = Content.get_url_setting
    own_setattr = "__setattr__" in Content.__dict__
    original_set = Content.__setattr__

    def get_url_setting(self, key):
        urls = self.__dict__.get("_kilas_urls")
        if urls is None:
            urls = self.__dict__["_kilas_urls"] = {}
        if key not in urls:
            # The settings it reads (ARTICLE_URL, DEFAULT_LANG...) are read
            # once, by the page that asks first: they count for every page
            # (kilas.records.Settings.shared).
            shared = getattr(self.settings, "shared", None)
            with shared() if shared is not None else contextlib.nullcontext():
                urls[key] = original_get(self, key)
        return urls[key]

    def __setattr__(self, name, value):
        original_set(self, name, value)
        if name in _URL_INPUTS:
            self.__dict__.pop("_kilas_urls", None)

    Content.get_url_setting = get_url_setting
    Content.__setattr__ = __setattr__
    try:
        yield
    finally:
        Content.get_url_setting = original_get
        if own_setattr:
            Content.__setattr__ = original_set
        else:
            del Content.__setattr__


def reset_log_limits() -> None:
    """Forget the messages Pelican's duplicate filter saw (it keeps them
    across runs in one process). Touch point: LimitFilter.filter's class
    attributes ``_raised_messages`` and ``_group_count``."""
    LimitFilter._raised_messages.clear()
    LimitFilter._group_count.clear()


# -- the pins --------------------------------------------------------------------
# Every upstream function copied, overridden, wrapped or read into, by dotted
# name: the hash of its normalised source (``upstream_hash``) in the Pelican
# this was ported to, and what depends on it here. A Pelican upgrade that
# changes one fails tests/test_pelican_coupling.py with its name.
PELICAN_VERSION = "4.12.0"
UPSTREAM: dict[str, tuple[str, str]] = {
    # -- kilas/ (this module and kilas.incremental) --
    "pelican.Pelican.run": (
        "b0a1a09c00cefe41",
        "CoupledPelican.read and refresh_links copy its phases; "
        "KilasPelican._run follows its order of signals",
    ),
    "pelican.Pelican._get_writer": (
        "ad5cd8451660a899",
        "KilasPelican._run makes KilasWriter instead (get_writer signal unused)",
    ),
    "pelican.Pelican._get_generator_classes": (
        "4d7cba1a1c6ab363",
        "CoupledPelican._get_generator_classes swaps in KilasArticlesGenerator",
    ),
    "pelican.writers.Writer._open_w": (
        "a6ad1e2c09b814d3",
        "CoupledWriter._open_w copies its rules against writing a file twice",
    ),
    "pelican.writers.Writer.write_file": (
        "bc413dbc8e38b57f",
        "CoupledWriter.pages copies its pagination, page_context its local "
        "context; KilasWriter.write_file relies on it rendering before opening "
        "the file, content_written_held on it sending content_written per page",
    ),
    "pelican.writers.Writer.write_feed": (
        "43b7e0c0117fa45c",
        "KilasWriter.write_feed keys a feed by its arguments and FEED_MAX_ITEMS",
    ),
    "pelican.cache.FileStampDataCacher.cache_data": (
        "a7629ee2be88798b",
        "_StampsOnlyWhenCaching.cache_data skips it when the cache is off",
    ),
    "pelican.cache.FileStampDataCacher.get_cached_data": (
        "bd7156dded311969",
        "_StampsOnlyWhenCaching.get_cached_data skips it when nothing is cached",
    ),
    "pelican.cache.FileDataCacher.__init__": (
        "49783f5a9441abf0",
        "_StampsOnlyWhenCaching reads its _cache_data_policy and _cache",
    ),
    "pelican.utils.process_translations": (
        "6a813b89cbdee6c1",
        "process_translations copies it, its last step made linear",
    ),
    "pelican.generators.ArticlesGenerator.generate_context": (
        "f0e6cf42fbf45cf3",
        "KilasArticlesGenerator.generate_context expects it to call "
        "process_translations by its name in pelican.generators",
    ),
    "pelican.generators.ArticlesGenerator.generate_output": (
        "80af2ebf91516f14",
        "KilasArticlesGenerator.generate_output: its steps, pages first",
    ),
    "pelican.generators.ArticlesGenerator.generate_pages": (
        "94c10ef297d11b7d",
        "KilasArticlesGenerator.generate_articles expects ``write`` to be "
        "a partial of writer.write_file, items written first",
    ),
    "pelican.generators.ArticlesGenerator.generate_articles": (
        "9022177ed22193bc",
        "KilasArticlesGenerator.generate_articles wraps it",
    ),
    "pelican.generators.ArticlesGenerator._build_period_archives": (
        "174e97d135fc4856",
        "KilasArticlesGenerator._build_period_archives passes no articles and "
        "fills each period's list in itself",
    ),
    "pelican.generators.ArticlesGenerator.generate_period_archives": (
        "de56f41d1538344f",
        "calls _build_period_archives with the arguments the override expects",
    ),
    "pelican.generators.ArticlesGenerator.generate_tags": (
        "1aac013f6ff03527",
        "copied into KilasArticlesGenerator._generate_terms",
    ),
    "pelican.generators.ArticlesGenerator.generate_categories": (
        "be4d88156ad5f48e",
        "copied into KilasArticlesGenerator._generate_terms",
    ),
    "pelican.generators.ArticlesGenerator.generate_authors": (
        "fce80fa08f7d3c6f",
        "copied into KilasArticlesGenerator._generate_terms",
    ),
    "pelican.contents.Content.__init__": (
        "958b9673ea1f0cc9",
        "body_of reads the private _content it keeps (page keys; and "
        "kilas_contract's link check); replace_body sets it",
    ),
    "pelican.contents.Content.get_url_setting": (
        "1b1043c1cc73b4aa",
        "memoized_urls wraps it for the build",
    ),
    "pelican.contents.Content.url_format": (
        "a742ab1360c3dd2f",
        "memoized_urls forgets a URL when one of _URL_INPUTS, its inputs, is set",
    ),
    "pelican.utils.memoized.__call__": (
        "43294d6c7e61261d",
        "replace_body forgets an item's get_content and get_summary entries "
        "in its cache (keyed by the arguments, the object first)",
    ),
    "pelican.readers.Readers.read_file": (
        "1bd153160d1b610d",
        "kilas.live reads a saved file through it with a content_class that "
        "keeps the body and metadata it is called with",
    ),
    "pelican.log.LimitFilter.filter": (
        "43ff75b569e41091",
        "reset_log_limits clears its class attributes between builds",
    ),
    # -- the plugins' own touch points (they run under stock pelican too) --
    "pelican.generators.Generator.get_files": (
        "e609c4880b0bcc7e",
        "plugins/kilas_contract: use_discovery replaces it on each generator",
    ),
    "pelican.generators.Generator.__init__": (
        "d5dfeef31ad926ab",
        "plugins/kilas_theme reads the private _templates_path it sets; "
        "KilasArticlesGenerator turns the Readers it makes into KilasReaders",
    ),
}


def upstream_source(dotted: str) -> str:
    """The source of ``pelican.module.Class.function`` (a property's getter),
    as installed."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = inspect.getattr_static(found, name)
        break
    found = getattr(found, "fget", found)
    return inspect.getsource(found)


def upstream_hash(dotted: str) -> str:
    """A hash of the function's code, blind to formatting, comments and
    docstrings (its syntax tree), so that only a change of what it does
    counts."""
    tree = ast.parse(textwrap.dedent(upstream_source(dotted)))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()[:16]
