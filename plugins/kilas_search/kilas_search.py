"""Kilas search: a Pagefind index of every item, built by every build.

Only elements marked ``data-pagefind-body`` (the item's ``<article>``) are
indexed; the title comes from ``data-pagefind-meta="title"`` on the
headline, the filters from ``data-pagefind-filter`` (category, region,
source). Every index is in the site's language (``DEFAULT_LANG``: Indonesian
stemming) and holds items and their translations.

The index is split into shards by year of publication (a year with more than
``SEARCH_SHARD_ITEMS`` items is split into runs of whole months), each a
Pagefind bundle in ``OUTPUT_PATH/<SEARCH_BUNDLE_DIR>/<shard>/``. The search
page loads the newest shard and merges the others (Pagefind's
``mergeIndex``), so readers search one index. A build indexes again only the
shards whose item pages changed: an edit to one item costs one shard, not the
archive, and Pagefind's memory is bounded by the shard size.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from signal import SIGKILL

from blinker import signal
from kilas_settings import SettingError, apply, flag, kind, rule, state, text, whole
from pelican import signals

logger = logging.getLogger(__name__)

SEARCH_DEFAULTS: dict[str, object] = {
    # Build the index at all (a quick preview may turn it off).
    "SEARCH_INDEX": True,
    # Folder of the Pagefind bundles inside the output.
    "SEARCH_BUNDLE_DIR": "pagefind",
    # Index language; "" means DEFAULT_LANG.
    "SEARCH_LANGUAGE": "",
    # Where the search page sends readers without JavaScript; "" means the
    # timeline, wherever TIMELINE_URL puts it.
    "SEARCH_BROWSE_URL": "",
    # Pagefind ranking options, passed to the browser. A digest's items are
    # all short: a longer one is not less about its subject, so page length
    # does not lower a result.
    "SEARCH_RANKING": {"pageLength": 0.0},
    # Most items in one shard: a year with more is split by months. Bigger
    # shards mean fewer files for a search to load; smaller ones a faster
    # rebuild after an edit and less memory while indexing.
    "SEARCH_SHARD_ITEMS": 1000,
}

RANKING_KEYS = ("termFrequency", "termSimilarity", "termSaturation", "pageLength")


def _bundle_folder(value: str) -> bool:
    folder = value.strip("/")
    return bool(folder) and ".." not in Path(folder).parts


RULES = {
    "SEARCH_INDEX": flag(),
    "SEARCH_BUNDLE_DIR": rule(_bundle_folder, "a folder name inside the output"),
    "SEARCH_LANGUAGE": text(),
    "SEARCH_BROWSE_URL": text(),
    "SEARCH_RANKING": rule(
        lambda ranking: all(
            key in RANKING_KEYS and kind((int, float), "")(value)
            for key, value in ranking.items()
        ),
        f"numbers for some of {', '.join(RANKING_KEYS)}",
    ),
    "SEARCH_SHARD_ITEMS": whole(1, example=1000),
}


class SearchSettingError(SettingError):
    """A SEARCH_* setting has a value the plugin cannot use."""


@dataclass
class _Search:
    """This build's search work: the shards planned after reading, and the
    indexing ``index_early`` started, if it did."""

    plan: dict[str, list[str]]
    job: Indexing | None = None


def validate_settings(pelican) -> None:
    """Fill in defaults and check them once, before reading. Pagefind runs a
    failed build in this process left behind are stopped."""
    settings = pelican.settings
    stale = state(settings).pop(__name__)
    if stale is not None and stale.job is not None:
        stale.job.abandon()
    apply(settings, SEARCH_DEFAULTS, RULES, "kilas_search", SearchSettingError)
    if not settings["SEARCH_BROWSE_URL"]:  # kilas_timeline's defaults are in
        settings["SEARCH_BROWSE_URL"] = settings.get("TIMELINE_URL", "linimasa/")


def plan_shards(items, limit: int) -> dict[str, list[str]]:
    """Shard name -> item pages (``save_as``), newest shard first.

    ``items`` are (save_as, date) pairs. A year is one shard named after it; a
    year with more than ``limit`` items becomes runs of whole months, each
    named after its first month (``2024-07``), so a new item moves no other
    year's items.
    """
    years: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for save_as, date in items:
        years[date.year][date.month].append(save_as)
    shards: dict[str, list[str]] = {}
    for year in sorted(years):
        months = years[year]
        if sum(map(len, months.values())) <= limit:
            shards[f"{year}"] = sorted(p for pages in months.values() for p in pages)
            continue
        runs: list[tuple[str, list[str]]] = []
        for month in sorted(months):
            if not runs or len(runs[-1][1]) + len(months[month]) > limit:
                runs.append((f"{year}-{month:02d}", []))
            runs[-1][1].extend(months[month])
        shards.update((name, sorted(pages)) for name, pages in runs)
    return dict(sorted(shards.items(), reverse=True))


def plan_site(generator) -> None:
    """Every item is read: group the published items and translations into
    shards, and tell the templates the shard names (the search page)."""
    settings = generator.settings
    items = [
        (article.save_as, article.date)
        for article in [*generator.articles, *generator.translations]
        if article.save_as
    ]
    plan = plan_shards(items, settings["SEARCH_SHARD_ITEMS"])
    state(settings).set(__name__, _Search(plan))
    generator.context["SEARCH_SHARDS"] = list(plan) if settings["SEARCH_INDEX"] else []


# Pagefind indexes about a thousand pages a second here; a run that takes
# far longer than this has hung (seen under load) and is started again once.
PAGEFIND_SECONDS = 60.0
PAGEFIND_SECONDS_PER_PAGE = 0.05


def _pagefind() -> str:
    from pagefind.service import get_executable  # noqa: PLC0415

    program = get_executable()
    if program is None:
        raise SearchSettingError(
            "kilas_search: Pagefind's program is missing; install the pinned"
            " requirements (pip install -r requirements.txt)"
        )
    return str(program)


def _die_with_build(parent: int):
    """In a Pagefind process, before it starts: be killed when the build
    that started it dies (``kill -9`` of a build must not leave Pagefind
    writing into the build cache while the next build runs)."""

    def prepare() -> None:
        with contextlib.suppress(AttributeError, OSError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, SIGKILL)
        if os.getppid() != parent:  # it died before prctl
            os._exit(1)

    return prepare


_PR_SET_PDEATHSIG = 1


class Shard:
    """One shard's Pagefind run, started in the background: Pagefind's own
    program (from the ``pagefind[bin]`` package) reads a folder holding just
    the shard's pages (hard links) and writes the shard's bundle."""

    def __init__(self, site, pages: list[str], bundle: Path, language, scratch=None):
        self.pages, self.bundle, self.language = pages, bundle, language
        self.site, self.scratch = site, scratch
        self.folder: Path | None = None
        self.process = None

    def prepare(self) -> None:
        """Make the folder of links (once). It is made just before the run
        starts, or while the runs before it go on (``Indexing.finish``), so
        that the first run starts without waiting for every shard's links."""
        if self.folder is None:
            self.folder = Path(
                tempfile.mkdtemp(prefix="kilas-search-", dir=self.scratch)
            )
            _link_pages(self.site, self.pages, self.folder)

    def start(self) -> None:
        self.prepare()
        shutil.rmtree(self.bundle, ignore_errors=True)
        self.log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in wait)
        command = [_pagefind(), "--site", str(self.folder)]
        command += ["--output-path", str(self.bundle)]
        command += ["--force-language", self.language, "--silent"]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            preexec_fn=_die_with_build(os.getpid()),  # noqa: PLW1509
        )

    @property
    def limit(self) -> float:
        """Seconds a run may take before it is taken for hung."""
        return PAGEFIND_SECONDS + PAGEFIND_SECONDS_PER_PAGE * len(self.pages)

    def ended(self) -> bool:
        """The run has ended, or has taken longer than ``limit``."""
        return (
            self.process.poll() is not None
            or time.perf_counter() - self.started > self.limit
        )

    def wait(self, retry: bool = True) -> int:
        """Wait for Pagefind; return the pages it indexed. The folder of
        links stays until ``close``."""
        if self.process is None:
            self.start()
        limit = self.limit
        left = limit - (time.perf_counter() - self.started)
        try:
            code = self.process.wait(timeout=max(left, 1.0))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            self.log.close()
            if not retry:
                self.close()
                raise RuntimeError(
                    f"kilas_search: Pagefind did not finish indexing {self.bundle.name}"
                    f" ({len(self.pages)} pages) in {limit:.0f} s, twice"
                ) from None
            # Not a warning: a warning fails the build, and the retry is here
            # so that one hung run does not.
            logger.info(
                "kilas_search: Pagefind hung on %s; started again", self.bundle.name
            )
            self.start()
            return self.wait(retry=False)
        seconds = time.perf_counter() - self.started
        self.log.seek(0)
        said = self.log.read().decode("utf-8", "replace").strip()
        self.log.close()
        if code != 0:
            raise RuntimeError(
                f"kilas_search: Pagefind failed (exit {code}) indexing"
                f" {self.bundle.name}: {said[-2000:]}"
            )
        logger.info(
            "kilas_search: Pagefind indexed %s in %.2f s", self.bundle.name, seconds
        )
        entry = (self.bundle / "pagefind-entry.json").read_text(encoding="utf-8")
        return sum(
            lang["page_count"] for lang in json.loads(entry)["languages"].values()
        )

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def page_digests(site: Path, pages, known: dict) -> dict[str, list]:
    """Each page's size, time, inode and SHA-1 of its bytes. A page whose
    size and modification time are as ``known`` keeps its known digest: only
    pages written again are read. (Not the inode: the staging folder is
    sometimes a copy of the site, which keeps every page's time; Kilas checks
    the staged files against their record before a build.)"""
    digests = {}
    for page in pages:
        stat = (site / page).stat()
        seen = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        old = known.get(page)
        if isinstance(old, list) and old[:2] == seen[:2]:
            digests[page] = old
        else:
            digest = hashlib.sha1((site / page).read_bytes()).hexdigest()
            digests[page] = [*seen, digest]
    return digests


def shard_key(pages: list[str], digests: dict[str, list], language: str) -> str:
    """What a shard's index is made of: its pages' paths and bytes, the
    language and Pagefind's version."""
    digest = hashlib.sha1(f"{version('pagefind')}:{language}".encode())
    for page in pages:
        digest.update(f"{page}\0{digests[page][3]}\0".encode())
    return digest.hexdigest()


def _link_pages(site: Path, pages: list[str], folder: Path) -> None:
    """Fill ``folder`` with just ``pages`` (hard links, at their paths), for
    Pagefind to read one shard without walking the whole site."""
    made = set()
    for page in pages:
        target = os.path.join(folder, page)
        parent = os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        try:
            os.link(os.path.join(site, page), target)
        except OSError:
            shutil.copy2(os.path.join(site, page), target)


def _load_state(path: Path | None) -> dict:
    """Shard keys and page digests the last build left, forgotten until this
    build has written every shard (a build stopped halfway re-indexes all)."""
    if not path or not path.is_file():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    path.unlink()
    return state if isinstance(state, dict) else {}


class Indexing:
    """This build's work on the search index.

    Created once every item page is written: drops the shards that are gone
    or whose pages changed, and lines up Pagefind runs for the shards to
    index again. ``start()`` sets the first run going in the background;
    ``finish()`` runs the others, one per core (Pagefind's memory is about a
    shard's per run), and saves the state for the next build.
    """

    def __init__(self, settings: dict, plan: dict[str, list[str]]) -> None:
        self.plan = plan
        site = Path(settings["OUTPUT_PATH"]).resolve()
        bundle = site / settings["SEARCH_BUNDLE_DIR"].strip("/")
        self.shards: list[Shard] = []
        self.enabled = settings["SEARCH_INDEX"]
        if not self.enabled:
            shutil.rmtree(bundle, ignore_errors=True)
            return
        language = settings["SEARCH_LANGUAGE"] or settings.get("DEFAULT_LANG", "en")
        cache = settings.get("KILAS_CACHE_DIR")
        self.state_file = Path(cache) / "search-shards.json" if cache else None
        state = _load_state(self.state_file)
        previous = state.get("shards") or {}
        pages = [page for shard in plan.values() for page in shard]
        self.digests = page_digests(site, pages, state.get("pages") or {})
        self.keys = {
            name: shard_key(shard, self.digests, language)
            for name, shard in plan.items()
        }
        if bundle.is_dir():
            for path in bundle.iterdir():
                if (
                    path.name not in plan
                    or previous.get(path.name) != self.keys[path.name]
                ):
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
        self.shards = [
            Shard(site, plan[name], bundle / name, language, cache)
            for name in plan
            if not (bundle / name).is_dir()
        ]

    def start(self, runs: int = 1) -> None:
        """Start the first ``runs`` Pagefind runs in the background."""
        for shard in self.shards[:runs]:
            shard.start()

    def abandon(self) -> None:
        """Stop Pagefind runs of a build that failed before its end."""
        for shard in self.shards:
            if shard.process is not None and shard.process.poll() is None:
                shard.process.kill()
                shard.process.wait()
            shard.close()

    def finish(self) -> None:
        if not self.enabled:
            return
        # One Pagefind run keeps about one core busy: run one per core. A
        # run that ends is followed at once: the next shard's links are made
        # while the runs go on, whichever run ends first is followed first,
        # and the links of a shard indexed are removed once the next runs.
        cores = os.cpu_count() or 1
        pending, running, indexed, done = list(self.shards), [], 0, None
        try:
            while pending or running:
                while pending and len(running) < cores:
                    running.append(pending.pop(0))
                    if running[-1].process is None:
                        running[-1].start()
                if done is not None:
                    done.close()
                if pending:
                    pending[0].prepare()
                done = _first_ended(running)
                running.remove(done)
                indexed += done.wait()
        finally:
            for shard in self.shards:
                shard.close()
        logger.info(
            "kilas_search: %d shard(s), %d indexed again (%d page(s)), %d kept",
            len(self.plan),
            len(self.shards),
            indexed,
            len(self.plan) - len(self.shards),
        )
        if self.state_file:
            state = {"shards": self.keys, "pages": self.digests}
            self.state_file.write_text(json.dumps(state, sort_keys=True), "utf-8")


def _first_ended(running: list[Shard]) -> Shard:
    """The first of ``running`` whose run ends (or is overdue)."""
    while True:
        for shard in running:
            if shard.ended():
                return shard
        time.sleep(0.01)


def index_early(generator, writer) -> None:
    """Every item page is written (the other pages are not, yet). When one
    process writes the whole site (Kilas' writer after a small change), start
    indexing the changed shards now, while it writes the rest."""
    search = state(generator.settings).get(__name__)
    if getattr(writer, "workers", 0) != 1 or search is None or search.job:
        return
    search.job = job = Indexing(generator.settings, search.plan)
    if job.shards:
        logger.info("kilas_search: indexing while the other pages are written")
    job.start()


def index_written(pelican, generators=None) -> None:
    """Every page is written; the other final steps (share cards, sitemaps)
    are not done yet. Start indexing now, one Pagefind run per core, while
    they are done (``index_early`` started already after a small change)."""
    search = state(pelican.settings).get(__name__)
    if search is None or search.job is not None:
        return
    search.job = job = Indexing(pelican.settings, search.plan)
    if job.enabled:
        job.start(os.cpu_count() or 1)


def stop_indexing(pelican) -> None:
    """The build failed: stop the Pagefind runs ``index_early`` started."""
    search = state(pelican.settings).pop(__name__)
    if search is not None and search.job is not None:
        search.job.abandon()


def index_site(pelican) -> None:
    """Every page is written: index the shards whose pages changed (or wait
    for ``index_early``'s runs), keep the other shards as they are."""
    search = state(pelican.settings).pop(__name__) or _Search({})
    job = search.job or Indexing(pelican.settings, search.plan)
    job.finish()


def register() -> None:
    # initialized: settings checked once, before anything is read.
    signals.initialized.connect(validate_settings)
    # article_generator_finalized: every item is read; nothing is written yet.
    signals.article_generator_finalized.connect(plan_site)
    # kilas_items_written: every item page is on disk, the listing pages
    # are not yet (sent by Kilas' build, kilas/pelican_coupling.py).
    signal("kilas_items_written").connect(index_early)
    # kilas_pages_written: every page is on disk, before the final steps
    # (sent by Kilas' build, kilas/pelican_coupling.py).
    signal("kilas_pages_written").connect(index_written)
    signal("kilas_build_failed").connect(stop_indexing)
    # finalized: every page is on disk; Pagefind reads the written HTML.
    signals.finalized.connect(index_site)
