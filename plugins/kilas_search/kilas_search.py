"""Kilas search: a Pagefind index of every item, built by every build.

At the end of the build (``finalized``) Pagefind's Python API reads the
written HTML and writes its bundle into ``OUTPUT_PATH/<SEARCH_BUNDLE_DIR>/``,
nothing else. Only elements marked ``data-pagefind-body`` (the item's
``<article>``) are indexed; the title comes from ``data-pagefind-meta="title"``
on the headline, the filters from ``data-pagefind-filter`` (category, region,
source). One index in the site's language (``DEFAULT_LANG``: Indonesian
stemming) holds every item, translations included.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pelican import signals

logger = logging.getLogger(__name__)

SEARCH_DEFAULTS: dict[str, object] = {
    # Build the index at all (a quick preview may turn it off).
    "SEARCH_INDEX": True,
    # Folder of the Pagefind bundle inside the output; the search script
    # expects the default.
    "SEARCH_BUNDLE_DIR": "pagefind",
    # Index language; "" means DEFAULT_LANG.
    "SEARCH_LANGUAGE": "",
    # Where the search page sends readers without JavaScript (the timeline).
    "SEARCH_BROWSE_URL": "arsip/",
    # Pagefind ranking options, passed to the browser. A digest's items are
    # all short: a longer one is not less about its subject, so page length
    # does not lower a result.
    "SEARCH_RANKING": {"pageLength": 0.0},
}

RANKING_KEYS = ("termFrequency", "termSimilarity", "termSaturation", "pageLength")


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
    bundle = settings["SEARCH_BUNDLE_DIR"].strip("/")
    if not bundle or ".." in Path(bundle).parts or Path(bundle).is_absolute():
        raise SearchSettingError(
            f"kilas_search: SEARCH_BUNDLE_DIR = {settings['SEARCH_BUNDLE_DIR']!r}"
            " is not allowed; expected a folder name inside the output"
        )


async def build_index(site: Path, bundle: Path, language: str) -> int:
    """Index the HTML below ``site`` into ``bundle``; return the pages indexed."""
    from pagefind.index import PagefindIndex  # noqa: PLC0415  (starts a binary)

    config = {"force_language": language, "output_path": str(bundle)}
    async with PagefindIndex(config=config) as index:
        await index.add_directory(str(site))
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(lang["page_count"] for lang in entry["languages"].values())


def input_key(site: Path, bundle: Path, language: str, ranking: dict) -> str:
    """Hash of what the index is made of: every HTML page, the language and
    Pagefind's version."""
    from importlib.metadata import version  # noqa: PLC0415

    digest = hashlib.sha1(f"{version('pagefind')}:{language}".encode())
    digest.update(json.dumps(ranking, sort_keys=True).encode())
    for path in sorted(site.rglob("*.html")):
        if not path.is_relative_to(bundle):
            digest.update(path.relative_to(site).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(coroutine):
    """Run ``coroutine`` to the end, also when an event loop is already running
    in this thread (``invoke livereload`` builds inside tornado's loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _link(source: str, target: str) -> None:
    """Share the file instead of copying it (a copy across devices)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def index_site(pelican) -> None:
    """Every page is written: index the output folder, write the bundle in it.

    Pagefind writes its filter index in an arbitrary order, so two runs on the
    same pages give different bytes. With a build cache (KILAS_CACHE_DIR), the
    last bundle is kept there and reused while the pages are the same, so an
    unchanged site publishes unchanged files.
    """
    settings = pelican.settings
    if not settings["SEARCH_INDEX"]:
        return
    site = Path(settings["OUTPUT_PATH"]).resolve()
    bundle = site / settings["SEARCH_BUNDLE_DIR"].strip("/")
    language = settings["SEARCH_LANGUAGE"] or settings.get("DEFAULT_LANG", "en")
    cache = settings.get("KILAS_CACHE_DIR")
    saved = Path(cache) / "pagefind" if cache else None
    key = input_key(site, bundle, language, settings["SEARCH_RANKING"])
    if saved and (saved / "key").is_file() and (saved / "key").read_text() == key:
        shutil.rmtree(bundle, ignore_errors=True)
        shutil.copytree(saved / "bundle", bundle, copy_function=_link)
        logger.info("kilas_search: pages unchanged, search index reused")
        return
    shutil.rmtree(bundle, ignore_errors=True)
    pages = _run(build_index(site, bundle, language))
    logger.info("kilas_search: indexed %d page(s) into %s/", pages, bundle.name)
    if saved:
        shutil.rmtree(saved, ignore_errors=True)
        shutil.copytree(bundle, saved / "bundle", copy_function=_link)
        (saved / "key").write_text(key)


def register() -> None:
    # initialized: settings checked once, before anything is read.
    signals.initialized.connect(validate_settings)
    # finalized: every page is on disk; Pagefind reads the written HTML.
    signals.finalized.connect(index_site)
