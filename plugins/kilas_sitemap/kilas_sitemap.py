"""Kilas sitemaps: ``sitemap.xml``, the news sitemap and ``robots.txt``.

Written with ``xml.etree`` once every page is on disk (``finalized``):

- ``sitemap.xml``: every HTML page of the output but the 404 page, drafts,
  hidden items and pages and ``SEO_SITEMAP_EXCLUDE``, each with its ``lastmod`` (an item's
  ``Modified`` or ``Date``; a term page's (category, tag, region, source,
  story), or a year's, month's, day's or week's page, its newest item; none
  for a page without a date; the newest item for the rest); with more than
  ``SEO_SITEMAP_MAX_URLS`` (50,000, the protocol's limit), an index of
  ``sitemap-1.xml``, ``sitemap-2.xml``, ...;
- ``news-sitemap.xml``: items published in the ``SEO_NEWS_WINDOW_HOURS``
  before the build's "now" (``KILAS_NOW``, else the clock), newest first; not
  written when there is none, as an empty ``urlset`` is invalid (a file left
  by an earlier build goes);
- ``robots.txt``: crawl everything but drafts, and the sitemaps written.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

from blinker import signal
from kilas_settings import (
    SettingError,
    apply,
    kind,
    machine_date,
    rule,
    site_url,
    state,
    text,
    whole,
)
from markupsafe import Markup
from pelican import signals
from pelican.generators import ArticlesGenerator
from pelican.urlwrappers import URLWrapper

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, object] = {
    # Output file names, relative to the site root.
    "SEO_SITEMAP_SAVE_AS": "sitemap.xml",
    "SEO_NEWS_SITEMAP_SAVE_AS": "news-sitemap.xml",
    "SEO_ROBOTS_SAVE_AS": "robots.txt",
    # Extra pages left out of sitemap.xml (shell patterns on the output path).
    "SEO_SITEMAP_EXCLUDE": [],
    # The news sitemap lists items published this many hours before "now".
    "SEO_NEWS_WINDOW_HOURS": 48,
    "SEO_NEWS_MAX_ITEMS": 1000,
    # At most this many URLs in one sitemap (the protocol's limit is 50,000):
    # more, and sitemap.xml is an index of sitemap-1.xml, sitemap-2.xml, ...
    "SEO_SITEMAP_MAX_URLS": 50000,
    # Publication name in the news sitemap; "" means PUBLISHER_NAME, then SITENAME.
    "SEO_NEWS_PUBLICATION_NAME": "",
}
RULES = {
    "SEO_SITEMAP_SAVE_AS": text('a text ("" to leave it out)'),
    "SEO_NEWS_SITEMAP_SAVE_AS": text('a text ("" to leave it out)'),
    "SEO_ROBOTS_SAVE_AS": text('a text ("" to leave it out)'),
    "SEO_NEWS_PUBLICATION_NAME": text('a text ("" to leave it out)'),
    "SEO_NEWS_WINDOW_HOURS": whole(1),
    "SEO_NEWS_MAX_ITEMS": whole(1),
    "SEO_SITEMAP_MAX_URLS": rule(
        lambda value: (
            isinstance(value, int)
            and not isinstance(value, bool)
            and 1 <= value <= 50000
        ),
        "a whole number from 1 to 50000 (the sitemap protocol's limit)",
    ),
    "SEO_SITEMAP_EXCLUDE": kind((list, tuple), "a list of patterns"),
}

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"

ET.register_namespace("", SITEMAP_NS)
ET.register_namespace("news", NEWS_NS)


class SitemapSettingError(SettingError):
    """A SEO_* sitemap setting has a value the plugin cannot use."""


@dataclass
class _Read:
    """What this build read, kept from ``all_generators_finalized`` (the
    complete context) to ``finalized`` (every page written)."""

    context: dict
    generators: list


def check_settings(pelican) -> None:
    """Defaults filled in and every setting checked once, before reading; what
    an earlier build in this process kept is dropped."""
    apply(pelican.settings, DEFAULTS, RULES, "kilas_sitemap", SitemapSettingError)
    state(pelican.settings).pop(__name__)


def site_now(settings: dict) -> datetime:
    """The build's "now", as kilas_contract works it out once on
    `initialized` from KILAS_NOW (its setting, defined there) or the clock."""
    value = settings.get("KILAS_NOW")
    if not isinstance(value, datetime):
        raise SitemapSettingError(
            f"kilas_sitemap: KILAS_NOW = {value!r} was not worked out;"
            " list kilas_contract before kilas_sitemap in PLUGINS"
        )
    return value


def _text(html: object) -> str:
    return Markup(str(html)).striptags()


def _modified(item) -> datetime | None:
    """Last change of an item: Modified, else Date; None for undated pages."""
    return getattr(item, "modified", None) or getattr(item, "date", None)


def keep_context(generators) -> None:
    """Remember what was read; the sitemaps are written after every page."""
    if generators:
        read = _Read(generators[0].context, list(generators))
        state(generators[0].settings).set(__name__, read)


def _content_items(generators, attrs) -> list:
    return [
        item
        for generator in generators
        for attr in attrs
        for item in getattr(generator, attr, []) or []
    ]


def _dated_items(generators) -> list:
    """The items and their translations (the pages' generator has
    ``translations`` too: pages, undated)."""
    return _content_items(
        [g for g in generators if isinstance(g, ArticlesGenerator)],
        ("articles", "translations"),
    )


def _term_lists(context: dict):
    """(term, items) pairs of every taxonomy in the context (ours or not):
    Pelican's (term, items) pairs, and terms that carry their items
    (kilas_taxonomy's regions, sources and stories: the items a term's
    page lists and those it shows beside them)."""
    for value in context.values():
        pairs = list(value.items()) if isinstance(value, dict) else value
        if not isinstance(pairs, (list, tuple)) or not pairs:
            continue
        for pair in pairs:
            if (
                isinstance(pair, tuple)
                and len(pair) == 2
                and isinstance(pair[0], URLWrapper)
                and isinstance(pair[1], (list, tuple))
            ):
                yield pair
            elif isinstance(getattr(pair, "save_as", None), str) and isinstance(
                getattr(pair, "articles", None), list
            ):
                items = [*pair.articles, *(getattr(pair, "also_articles", None) or ())]
                yield pair, items
                also = getattr(pair, "also_save_as", "")
                if also and getattr(pair, "has_also_page", False):
                    yield _Page(also), items


@dataclass
class _Page:
    """A page of a term other than its own (a region's "also" page)."""

    save_as: str


def _lastmods(context: dict, generators) -> tuple[dict, dict, datetime | None]:
    """Exact lastmod per content page, per taxonomy folder, and the newest.

    A page without ``Date`` or ``Modified`` (the about page) has None: it
    does not change with the items, and a lastmod that moves with every
    new item would be a false one (Google then trusts none of them).
    A folder ("wilayah/kp/", or "" for the site root) named by several terms
    keeps the first one's lastmod.
    """
    published = _content_items(
        generators,
        ("articles", "translations", "pages", "hidden_pages", "hidden_articles"),
    )
    exact = {}
    for item in published:
        # Pelican works save_as out anew on every access: once per item.
        save_as = item.save_as
        if save_as:
            exact[save_as] = _modified(item)
    folders: dict[str, datetime | None] = {}
    for term, items in _term_lists(context):
        save_as = getattr(term, "save_as", "")
        if not save_as or not items:
            continue
        folder = os.path.dirname(save_as)
        latest = max(map(_modified, items))
        folders.setdefault(folder + "/" if folder else "", latest)
        exact.setdefault(save_as, latest)
    for period in _periods(context):
        # A year, month, day or week page (and its further pages, in its
        # folder) changes with its own items, not with the site's newest.
        folder = os.path.dirname(period.save_as)
        if folder:
            folders.setdefault(folder + "/", max(map(_modified, period.articles)))
    newest = max(map(_modified, _dated_items(generators)), default=None)
    return exact, folders, newest


def _periods(context: dict) -> list:
    """The timeline's years, months, days and weeks that have a page
    (kilas_timeline's ``timeline`` in the context; none without it)."""
    timeline = context.get("timeline")
    kinds = ("years", "months", "days", "weeks")
    return [
        period
        for kind in kinds
        for period in getattr(timeline, kind, None) or ()
        if period.save_as and period.articles
    ]


def _folder_lastmod(relative: str, folders: dict, default):
    """The lastmod of the deepest folder of ``folders`` holding ``relative``;
    ``default`` when none does. Looks up each folder of the path, deepest
    first, instead of trying every folder."""
    end = len(relative)
    while (end := relative.rfind("/", 0, end)) >= 0:
        folder = relative[: end + 1]
        if folder in folders:
            return folders[folder]
    return folders.get("", default)


def _html_files(top: str, prefix: str = ""):
    """Paths (``/``-separated, relative to ``top``) of everything named
    ``*.html`` under ``top``, as ``Path(top).rglob("*.html")`` finds them
    (symlinked folders are not entered), without a Path object per file."""
    with os.scandir(top) as entries:
        for entry in entries:
            relative = prefix + entry.name
            if relative.endswith(".html"):
                yield relative
            if entry.is_dir() and not entry.is_symlink():
                yield from _html_files(entry.path, relative + "/")


def _excluded(settings: dict, generators) -> tuple[set, list]:
    """Drafts, and hidden items and pages (built, not listed: readers reach
    them by their link, search engines not by the sitemap)."""
    left_out = _content_items(
        generators,
        (
            "drafts",
            "drafts_translations",
            "draft_pages",
            "hidden_articles",
            "hidden_translations",
            "hidden_pages",
        ),
    )
    names = {item.save_as for item in left_out}
    names.add(settings.get("NOTFOUND_SAVE_AS", "404.html"))
    return names, list(settings["SEO_SITEMAP_EXCLUDE"])


def _write_xml(root: ET.Element, path: Path) -> None:
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_sitemap(settings: dict, context: dict, generators) -> Path:
    output = Path(settings["OUTPUT_PATH"])
    exact, folders, newest = _lastmods(context, generators)
    names, patterns = _excluded(settings, generators)
    pages = []
    for relative in _html_files(output) if output.is_dir() else ():
        if relative in names or any(fnmatch.fnmatch(relative, p) for p in patterns):
            continue
        pages.append(relative)
    urls = []
    for relative in sorted(pages):
        if relative in exact:
            lastmod = exact[relative]
        else:
            lastmod = _folder_lastmod(relative, folders, newest)
        url = (
            relative[: -len("index.html")]
            if relative.endswith("index.html")
            else relative
        )
        urls.append((site_url(settings, url), lastmod))
    target = output / settings["SEO_SITEMAP_SAVE_AS"]
    most = settings["SEO_SITEMAP_MAX_URLS"]
    parts = [urls[start : start + most] for start in range(0, len(urls), most)]
    stale = _sitemap_parts(target)
    if len(parts) <= 1:
        _write_xml(_urlset(urls), target)
    else:
        # More URLs than one sitemap may hold: sitemap.xml is an index of
        # sitemap-1.xml, sitemap-2.xml, ... (robots.txt names the index).
        index = ET.Element(f"{{{SITEMAP_NS}}}sitemapindex")
        for number, part in enumerate(parts, start=1):
            path = target.with_name(f"{target.stem}-{number}{target.suffix}")
            stale.discard(path)
            _write_xml(_urlset(part), path)
            entry = ET.SubElement(index, f"{{{SITEMAP_NS}}}sitemap")
            relative = path.relative_to(output).as_posix()
            ET.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = site_url(
                settings, relative
            )
            dates = [lastmod for _, lastmod in part if lastmod is not None]
            if dates:
                ET.SubElement(entry, f"{{{SITEMAP_NS}}}lastmod").text = machine_date(
                    max(dates, key=_utc)
                )
        _write_xml(index, target)
    for path in stale:  # parts an earlier, bigger build wrote
        path.unlink(missing_ok=True)
    return target


def _urlset(urls: list) -> ET.Element:
    """A ``<urlset>`` of (address, lastmod or None) pairs."""
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for loc, lastmod in urls:
        entry = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = loc
        if lastmod is not None:
            ET.SubElement(entry, f"{{{SITEMAP_NS}}}lastmod").text = machine_date(
                lastmod
            )
    return root


def _sitemap_parts(target: Path) -> set[Path]:
    """The parts of a split sitemap (sitemap-1.xml, ...) beside ``target``."""
    if not target.parent.is_dir():
        return set()
    return {
        path
        for path in target.parent.glob(f"{target.stem}-*{target.suffix}")
        if path.stem.removeprefix(f"{target.stem}-").isdigit()
    }


def _utc(value: datetime) -> datetime:
    """The instant in UTC. Times of one zone compare and add as clock faces
    do: 48 hours before 12.00 on the day the clocks go back is 49 hours."""
    return value.astimezone(UTC)


def news_items(settings: dict, generators) -> list:
    """Items published in the window (real hours) before "now", newest first."""
    now = _utc(site_now(settings))
    start = now - timedelta(hours=settings["SEO_NEWS_WINDOW_HOURS"])
    items = [
        item for item in _dated_items(generators) if start <= _utc(item.date) <= now
    ]
    items.sort(key=lambda item: _utc(item.date), reverse=True)
    return items[: settings["SEO_NEWS_MAX_ITEMS"]]


def write_news_sitemap(settings: dict, generators) -> Path | None:
    """The news sitemap, or no file when no item is in the window (a sitemap
    without a ``<url>`` is invalid); a file left by an earlier build goes."""
    target = Path(settings["OUTPUT_PATH"]) / settings["SEO_NEWS_SITEMAP_SAVE_AS"]
    items = news_items(settings, generators)
    if not items:
        target.unlink(missing_ok=True)
        return None
    name = (
        settings["SEO_NEWS_PUBLICATION_NAME"]
        or settings.get("PUBLISHER_NAME")
        or settings["SITENAME"]
    )
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for item in items:
        entry = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        loc = site_url(settings, item.url)
        ET.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = loc
        news = ET.SubElement(entry, f"{{{NEWS_NS}}}news")
        publication = ET.SubElement(news, f"{{{NEWS_NS}}}publication")
        ET.SubElement(publication, f"{{{NEWS_NS}}}name").text = name
        language = getattr(item, "lang", "") or settings["DEFAULT_LANG"]
        ET.SubElement(publication, f"{{{NEWS_NS}}}language").text = language
        published = machine_date(item.date)
        ET.SubElement(news, f"{{{NEWS_NS}}}publication_date").text = published
        ET.SubElement(news, f"{{{NEWS_NS}}}title").text = _text(item.title)
    _write_xml(root, target)
    return target


def next_change(pelican, generators=()) -> datetime | None:
    """The first moment after "now" at which the news sitemap changes by
    itself: an item leaves its window, or an item dated later enters it
    (Kilas keeps a site with nothing changed only until then; the
    ``kilas_valid_until`` signal)."""
    settings = pelican.settings
    now = _utc(site_now(settings))
    window = timedelta(hours=settings["SEO_NEWS_WINDOW_HOURS"])
    moments = []
    for item in _dated_items(generators):
        published = _utc(item.date)
        if published > now:
            moments.append(published)
        elif published + window >= now:
            moments.append(published + window)
    return min(moments, default=None)


def write_robots(settings: dict, sitemaps: list[Path]) -> Path:
    """Crawl everything but drafts; name the sitemaps written."""
    base = urlparse(settings.get("SITEURL", "")).path.rstrip("/")
    draft_folder = settings.get("DRAFT_URL", "").split("{", 1)[0]
    lines = ["User-agent: *"]
    if draft_folder:
        lines.append(f"Disallow: {base}/{draft_folder}")
    else:
        lines.append("Disallow:")
    lines.append("")
    output = Path(settings["OUTPUT_PATH"])
    for sitemap in sitemaps:
        relative = sitemap.relative_to(output).as_posix()
        lines.append(f"Sitemap: {site_url(settings, relative)}")
    target = Path(settings["OUTPUT_PATH"]) / settings["SEO_ROBOTS_SAVE_AS"]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def write_machine_files(pelican) -> None:
    """Every page is written: list them in the sitemaps, then robots.txt."""
    read = state(pelican.settings).pop(__name__)
    if read is None:
        return  # nothing was read (check mode stops before writing)
    settings = pelican.settings
    sitemaps = [
        write_sitemap(settings, read.context, read.generators),
        write_news_sitemap(settings, read.generators),
    ]
    write_robots(settings, [path for path in sitemaps if path is not None])
    logger.info("kilas_sitemap: wrote the sitemaps and robots.txt")


def register() -> None:
    # initialized: settings checked once, state of a previous build dropped.
    signals.initialized.connect(check_settings)
    # all_generators_finalized: the complete context, before writing.
    signals.all_generators_finalized.connect(keep_context)
    # finalized: every page is on disk, so the sitemap can list them all.
    signals.finalized.connect(write_machine_files)
    # kilas_valid_until (Kilas' build): how long a site with nothing changed
    # stays right.
    signal("kilas_valid_until").connect(next_change)
