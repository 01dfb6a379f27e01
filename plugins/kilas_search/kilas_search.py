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

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

from blinker import signal
from pelican import signals

logger = logging.getLogger(__name__)

SEARCH_DEFAULTS: dict[str, object] = {
    # Build the index at all (a quick preview may turn it off).
    "SEARCH_INDEX": True,
    # Folder of the Pagefind bundles inside the output.
    "SEARCH_BUNDLE_DIR": "pagefind",
    # Index language; "" means DEFAULT_LANG.
    "SEARCH_LANGUAGE": "",
    # Where the search page sends readers without JavaScript (the timeline).
    "SEARCH_BROWSE_URL": "arsip/",
    # Pagefind ranking options, passed to the browser. A digest's items are
    # all short: a longer one is not less about its subject, so page length
    # does not lower a result.
    "SEARCH_RANKING": {"pageLength": 0.0},
    # Most items in one shard: a year with more is split by months. Bigger
    # shards mean fewer files for a search to load; smaller ones a faster
    # rebuild after an edit and less memory while indexing.
    "SEARCH_SHARD_ITEMS": 2000,
}

RANKING_KEYS = ("termFrequency", "termSimilarity", "termSaturation", "pageLength")

# Item pages per shard, planned after reading (keyed by the settings object:
# one entry per build running in this process).
_PLANS: dict[int, dict[str, list[str]]] = {}
# Indexing started before the end of the build: (thread pool, future).
_JOBS: dict[int, tuple] = {}


class SearchSettingError(ValueError):
    """A SEARCH_* setting has a value the plugin cannot use."""


def validate_settings(pelican) -> None:
    """Fill in defaults and check them once, before reading."""
    settings = pelican.settings
    for key, value in SEARCH_DEFAULTS.items():
        settings.setdefault(key, value)
    if not isinstance(settings["SEARCH_INDEX"], bool):
        raise SearchSettingError(
            f"kilas_search: SEARCH_INDEX = {settings['SEARCH_INDEX']!r} is not"
            " allowed; expected True or False"
        )
    for key in ("SEARCH_BUNDLE_DIR", "SEARCH_LANGUAGE", "SEARCH_BROWSE_URL"):
        if not isinstance(settings[key], str):
            raise SearchSettingError(
                f"kilas_search: {key} = {settings[key]!r} is not allowed;"
                " expected a text"
            )
    ranking = settings["SEARCH_RANKING"]
    if not isinstance(ranking, dict) or any(
        key not in RANKING_KEYS or not isinstance(value, (int, float))
        for key, value in ranking.items()
    ):
        raise SearchSettingError(
            f"kilas_search: SEARCH_RANKING = {ranking!r} is not allowed; expected"
            f" numbers for some of {', '.join(RANKING_KEYS)}"
        )
    limit = settings["SEARCH_SHARD_ITEMS"]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise SearchSettingError(
            f"kilas_search: SEARCH_SHARD_ITEMS = {limit!r} is not allowed;"
            " expected a whole number of at least 1, e.g. 2000"
        )
    bundle = settings["SEARCH_BUNDLE_DIR"].strip("/")
    if not bundle or ".." in Path(bundle).parts or Path(bundle).is_absolute():
        raise SearchSettingError(
            f"kilas_search: SEARCH_BUNDLE_DIR = {settings['SEARCH_BUNDLE_DIR']!r}"
            " is not allowed; expected a folder name inside the output"
        )


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
    _PLANS[id(settings)] = plan
    generator.context["SEARCH_SHARDS"] = list(plan) if settings["SEARCH_INDEX"] else []


def build_index(site: Path, bundle: Path, language: str) -> int:
    """Index the HTML below ``site`` into ``bundle`` with Pagefind's own
    program (from the ``pagefind[bin]`` package); return the pages indexed."""
    from pagefind.service import get_executable  # noqa: PLC0415

    program = get_executable()
    if program is None:
        raise SearchSettingError(
            "kilas_search: Pagefind's program is missing; install the pinned"
            " requirements (pip install -r requirements.txt)"
        )
    command = [str(program), "--site", str(site), "--output-path", str(bundle)]
    command += ["--force-language", language, "--silent"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    logger.info(
        "kilas_search: Pagefind indexed %s in %.2f s",
        bundle.name,
        time.perf_counter() - started,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"kilas_search: Pagefind failed (exit {done.returncode}) indexing"
            f" {bundle.name}: {(done.stderr or done.stdout).strip()[-2000:]}"
        )
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(lang["page_count"] for lang in entry["languages"].values())


def page_digests(site: Path, pages, known: dict) -> dict[str, list]:
    """Each page's size, time, inode and SHA-1 of its bytes. A page whose
    size, time and inode are as ``known`` keeps its known digest: only pages
    written again are read."""
    digests = {}
    for page in pages:
        stat = (site / page).stat()
        seen = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        old = known.get(page)
        if isinstance(old, list) and old[:3] == seen:
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
    for page in pages:
        target = folder / page
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(site / page, target)
        except OSError:
            shutil.copy2(site / page, target)


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


def _indexing(settings: dict):
    """Bring the bundle folder in step with this build's shards: drop the
    shards that are gone or whose pages changed, now; return the rest of the
    work (index those shards again, save the state) as a function."""
    plan = _PLANS.pop(id(settings), {})
    site = Path(settings["OUTPUT_PATH"]).resolve()
    bundle = site / settings["SEARCH_BUNDLE_DIR"].strip("/")
    if not settings["SEARCH_INDEX"]:
        shutil.rmtree(bundle, ignore_errors=True)
        return lambda: None
    language = settings["SEARCH_LANGUAGE"] or settings.get("DEFAULT_LANG", "en")
    cache = settings.get("KILAS_CACHE_DIR")
    state_file = Path(cache) / "search-shards.json" if cache else None
    state = _load_state(state_file)
    previous = state.get("shards") or {}
    pages = [page for shard in plan.values() for page in shard]
    digests = page_digests(site, pages, state.get("pages") or {})
    keys = {name: shard_key(shard, digests, language) for name, shard in plan.items()}
    if bundle.is_dir():
        for path in bundle.iterdir():
            if path.name not in plan or previous.get(path.name) != keys[path.name]:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    todo = [name for name in plan if not (bundle / name).is_dir()]

    def finish() -> None:
        indexed = 0
        for name in todo:
            with tempfile.TemporaryDirectory(prefix="kilas-search-", dir=cache) as tmp:
                _link_pages(site, plan[name], Path(tmp))
                indexed += build_index(Path(tmp), bundle / name, language)
        logger.info(
            "kilas_search: %d shard(s), %d indexed again (%d page(s)), %d kept",
            len(plan),
            len(todo),
            indexed,
            len(plan) - len(todo),
        )
        if state_file:
            state = {"shards": keys, "pages": digests}
            state_file.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")

    return finish


def index_early(generator, writer) -> None:
    """Every item page is written (the other pages are not, yet). When one
    process writes the whole site (Kilas' writer after a small change),
    index the changed shards now, in a thread, while it writes the rest."""
    settings = generator.settings
    if getattr(writer, "workers", 0) != 1 or id(settings) in _JOBS:
        return
    if id(settings) not in _PLANS:
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kilas-search")
    finish = _indexing(settings)
    logger.info("kilas_search: indexing while the other pages are written")
    _JOBS[id(settings)] = (pool, pool.submit(finish))


def index_site(pelican) -> None:
    """Every page is written: index the shards whose pages changed (or wait
    for ``index_early`` to finish), keep the other shards as they are."""
    job = _JOBS.pop(id(pelican.settings), None)
    if job is None:
        _indexing(pelican.settings)()
        return
    pool, future = job
    try:
        future.result()
    finally:
        pool.shutdown()


def register() -> None:
    # initialized: settings checked once, before anything is read.
    signals.initialized.connect(validate_settings)
    # article_generator_finalized: every item is read; nothing is written yet.
    signals.article_generator_finalized.connect(plan_site)
    # Every item page is on disk: kilas_items_written (Kilas' build, before
    # the listing pages) or article_writer_finalized (after them).
    signal("kilas_items_written").connect(index_early)
    signals.article_writer_finalized.connect(index_early)
    # finalized: every page is on disk; Pagefind reads the written HTML.
    signals.finalized.connect(index_site)
