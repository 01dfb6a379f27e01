"""Kilas SEO: what search engines and feed readers read.

- JSON-LD: every item gets ``article.jsonld`` (a ``NewsArticle`` and its
  ``BreadcrumbList``), built here with ``json``; templates render it with the
  ``jsonld_script`` global. ``item_list_jsonld(articles, name, url)`` gives an
  ``ItemList`` for story and other listing pages, ``website_jsonld(search)``
  the home page's ``WebSite`` with its ``SearchAction``
  (``partials/jsonld.html``).
- Feeds: every Atom feed carries ``xml:lang`` (the site's language) and an
  ``<id>`` of its own (its address); entry ids are tag URIs with the site's
  host, or ``SEO_FEED_ID_AUTHORITY``, also in a development build without
  ``SITEURL`` ("localhost").
- ``sitemap.xml`` (every HTML page but the 404 page and drafts, with
  ``lastmod``), ``news-sitemap.xml`` (items of the last two days before
  ``KILAS_NOW``; not written when there is none, as an empty ``urlset`` is
  invalid) and ``robots.txt`` naming the sitemaps written, at the end of the
  build with ``xml.etree``.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import logging
import os
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from markupsafe import Markup
from pelican import signals
from pelican.urlwrappers import URLWrapper

logger = logging.getLogger(__name__)

SEO_DEFAULTS: dict[str, object] = {
    # Output file names, relative to the site root.
    "SEO_SITEMAP_SAVE_AS": "sitemap.xml",
    "SEO_NEWS_SITEMAP_SAVE_AS": "news-sitemap.xml",
    "SEO_ROBOTS_SAVE_AS": "robots.txt",
    # Extra pages left out of sitemap.xml (shell patterns on the output path).
    "SEO_SITEMAP_EXCLUDE": [],
    # The news sitemap lists items published this many hours before "now".
    "SEO_NEWS_WINDOW_HOURS": 48,
    "SEO_NEWS_MAX_ITEMS": 1000,
    # Publication name in the news sitemap; "" means PUBLISHER_NAME, then SITENAME.
    "SEO_NEWS_PUBLICATION_NAME": "",
    # Publisher logo in JSON-LD, a path from the site root; "" leaves it out.
    "SEO_PUBLISHER_LOGO": "favicon.svg",
    # og:locale per content language.
    "SEO_OG_LOCALES": {"id": "id_ID", "en": "en_US"},
    # The authority (a domain name) of feed entry ids ("tag:<it>,<date>:...");
    # "" means the host of SITEURL, or "localhost" when SITEURL has none.
    "SEO_FEED_ID_AUTHORITY": "",
    # The build's "now" (ISO 8601 string or datetime; None: the clock).
    "KILAS_NOW": None,
}

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
SCHEMA = "https://schema.org"

# A tag URI's authority: a DNS name (RFC 4151).
_AUTHORITY = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)

ET.register_namespace("", SITEMAP_NS)
ET.register_namespace("news", NEWS_NS)

# The generators' shared context of the running build, kept from
# all_generators_finalized to finalized; reset on initialized.
_current: dict[str, object] = {}


class SeoSettingError(ValueError):
    """A SEO_* or KILAS_NOW setting has a value the plugin cannot use."""


# -- settings ----------------------------------------------------------------
def _check(settings: dict, key: str, kinds: tuple[type, ...], allowed: str) -> None:
    value = settings[key]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise SeoSettingError(
            f"kilas_seo: {key} = {value!r} is not allowed; expected {allowed}"
        )


def site_now(settings: dict) -> datetime:
    """The build's "now": KILAS_NOW (tests fix it) or the clock, tz-aware."""
    zone = ZoneInfo(settings.get("TIMEZONE") or "UTC")
    value = settings.get("KILAS_NOW")
    if value is None:
        return datetime.now(zone)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise SeoSettingError(
                f"kilas_seo: KILAS_NOW = {value!r} is not an ISO 8601 date and time"
            ) from exc
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


def validate_settings(pelican) -> None:
    """Fill in defaults and check every setting once, before reading."""
    _current.clear()
    settings = pelican.settings
    for key, value in SEO_DEFAULTS.items():
        settings.setdefault(key, value)
    for key in (
        "SEO_SITEMAP_SAVE_AS",
        "SEO_NEWS_SITEMAP_SAVE_AS",
        "SEO_ROBOTS_SAVE_AS",
        "SEO_NEWS_PUBLICATION_NAME",
        "SEO_PUBLISHER_LOGO",
        "SEO_FEED_ID_AUTHORITY",
    ):
        _check(settings, key, (str,), 'a text ("" to leave it out)')
    for key in ("SEO_NEWS_WINDOW_HOURS", "SEO_NEWS_MAX_ITEMS"):
        _check(settings, key, (int,), "a whole number above 0")
        if settings[key] < 1:
            raise SeoSettingError(
                f"kilas_seo: {key} = {settings[key]!r} is not allowed;"
                " expected a whole number above 0"
            )
    authority = settings["SEO_FEED_ID_AUTHORITY"]
    if authority and not _AUTHORITY.match(authority):
        raise SeoSettingError(
            f"kilas_seo: SEO_FEED_ID_AUTHORITY = {authority!r} is not allowed;"
            ' expected a domain name such as "example.org"'
        )
    _check(settings, "SEO_SITEMAP_EXCLUDE", (list, tuple), "a list of patterns")
    _check(settings, "SEO_OG_LOCALES", (dict,), 'a mapping like {"id": "id_ID"}')
    if settings["KILAS_NOW"] is not None:
        _check(settings, "KILAS_NOW", (str, date), "None or an ISO 8601 date")
        site_now(settings)


# -- URLs and dates ----------------------------------------------------------
def absolute_url(settings: dict, url: str) -> str:
    """SITEURL + url; root-relative when SITEURL is empty (development)."""
    return f"{settings.get('SITEURL', '')}/{url}"


def _text(html: object) -> str:
    return Markup(str(html)).striptags()


def _modified(item) -> datetime | None:
    """Last change of an item: Modified, else Date; None for undated pages."""
    return getattr(item, "modified", None) or getattr(item, "date", None)


# -- JSON-LD -----------------------------------------------------------------
def _organization(name: str, url: str = "") -> dict:
    data = {"@type": "Organization", "name": name}
    if url:
        data["url"] = url
    return data


def _publisher(settings: dict) -> dict:
    name = settings.get("PUBLISHER_NAME") or settings["SITENAME"]
    data = _organization(name, absolute_url(settings, ""))
    if settings["SEO_PUBLISHER_LOGO"]:
        data["logo"] = {
            "@type": "ImageObject",
            "url": absolute_url(settings, settings["SEO_PUBLISHER_LOGO"]),
        }
    return data


def _place(region) -> dict:
    place = {"@type": "Place", "name": region.name}
    code = getattr(region, "code", "")
    if code:
        place["identifier"] = code
    if getattr(region, "kind", "") == "country":
        place["address"] = {"@type": "PostalAddress", "addressCountry": code}
    return place


def _source_work(source, url: str = "") -> dict:
    """The report an item digests or a source cites, as a CreativeWork."""
    work = {
        "@type": "CreativeWork",
        "publisher": _organization(source.name, getattr(source, "homepage", "")),
    }
    if url:
        work["url"] = url
    return work


def _author(settings: dict, item) -> dict:
    name = str(getattr(item, "author", "") or settings.get("AUTHOR") or "")
    newsroom = {settings.get("AUTHOR"), settings.get("PUBLISHER_NAME")}
    kind = "Organization" if name in newsroom else "Person"
    return {"@type": kind, "name": name}


def news_article_jsonld(settings: dict, item) -> dict:
    """schema.org NewsArticle of one item."""
    url = absolute_url(settings, item.url)
    data = {
        "@context": SCHEMA,
        "@type": "NewsArticle",
        "headline": _text(item.title),
        "description": _text(getattr(item, "summary", "")),
        "datePublished": item.date.isoformat(),
        "dateModified": _modified(item).isoformat(),
        "author": _author(settings, item),
        "publisher": _publisher(settings),
        "inLanguage": getattr(item, "lang", settings.get("DEFAULT_LANG")),
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
    }
    images = image_objects(item)
    if images:
        data["image"] = images
    category = getattr(item, "category", None)
    if category is not None:
        data["articleSection"] = category.name
    regions = getattr(item, "regions", None) or []
    if regions:
        data["contentLocation"] = [_place(region) for region in regions]
    source = getattr(item, "source", None)
    if source is not None:
        data["isBasedOn"] = _source_work(source, getattr(item, "source_url", ""))
    cites = getattr(item, "cites", None) or []
    if cites:
        data["citation"] = [_source_work(cited) for cited in cites]
    tags = getattr(item, "tags", None) or []
    if tags:
        data["keywords"] = [tag.name for tag in tags]
    return data


def image_objects(item) -> list:
    """The item's picture for JSON-LD: its photo's 16:9, 4:3 and 1:1 crops,
    as Google's Article guidance asks (plugin kilas_images), the first as an
    ImageObject with its size and the credit (``creditText``), the others by
    address (one photo, one credit; every byte is in the page's weight); a
    remote https photo as it is; else the item's share card."""
    photo = getattr(item, "photo", None)
    if photo is not None:
        crops = photo.crops or ((photo.src, photo.width, photo.height),)
        url, width, height = crops[0]
        first = {"@type": "ImageObject", "url": url}
        if width and height:
            first.update(width=width, height=height)
        first["creditText"] = photo.credit
        return [first, *(crop[0] for crop in crops[1:])]
    card = getattr(item, "share_card", None)
    if card is None:
        return []
    image = {"@type": "ImageObject", "url": card.url}
    if card.width and card.height:
        image.update(width=card.width, height=card.height)
    return [image]


def breadcrumb_jsonld(settings: dict, item) -> dict:
    """Home > category > item."""
    trail = [(settings["SITENAME"], absolute_url(settings, ""))]
    category = getattr(item, "category", None)
    if category is not None and category.url:
        trail.append((category.name, absolute_url(settings, category.url)))
    trail.append((_text(item.title), absolute_url(settings, item.url)))
    return {
        "@context": SCHEMA,
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": number, "name": name, "item": url}
            for number, (name, url) in enumerate(trail, start=1)
        ],
    }


def item_list_jsonld(
    settings: dict,
    articles,
    name: str = "",
    url: str = "",
    ascending: bool = True,
    start: int = 1,
) -> dict:
    """schema.org ItemList of items, e.g. a story's timeline; ``start`` is the
    position of the first (on a list's second page)."""
    articles = list(articles)
    data = {"@context": SCHEMA, "@type": "ItemList"}
    if name:
        data["name"] = _text(name)
    if url:
        data["url"] = absolute_url(settings, url)
    order = "ItemListOrderAscending" if ascending else "ItemListOrderDescending"
    data["itemListOrder"] = f"{SCHEMA}/{order}"
    data["numberOfItems"] = len(articles)
    data["itemListElement"] = [
        {
            "@type": "ListItem",
            "position": number,
            "url": absolute_url(settings, article.url),
            "name": _text(article.title),
        }
        for number, article in enumerate(articles, start=start)
    ]
    return data


def website_jsonld(settings: dict, search_url: str = "") -> dict:
    """schema.org WebSite of the home page; with ``search_url`` (the search
    page, relative to SITEURL) a SearchAction that fills in ``?q=``."""
    data = {
        "@context": SCHEMA,
        "@type": "WebSite",
        "name": settings["SITENAME"],
        "url": absolute_url(settings, ""),
        "inLanguage": settings.get("DEFAULT_LANG"),
        "publisher": _publisher(settings),
    }
    if settings.get("SITESUBTITLE"):
        data["description"] = _text(settings["SITESUBTITLE"])
    if search_url:
        data["potentialAction"] = {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": absolute_url(settings, search_url)
                + "?q={search_term_string}",
            },
            "query-input": "required name=search_term_string",
        }
    return data


def jsonld_script(data: object) -> Markup:
    """``<script type="application/ld+json">``; no ``<``, ``>`` or ``&`` in it,
    so ``</script>`` or ``<!--`` in a headline cannot end or confuse it."""
    text = json.dumps(data, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return Markup(f'<script type="application/ld+json">{text}</script>')


# -- signal receivers ----------------------------------------------------------
def add_template_globals(generator) -> None:
    """Every generator's templates may render JSON-LD (story pages included)."""
    settings = generator.settings

    def _item_list(articles, name="", url="", ascending=True, start=1):
        return item_list_jsonld(settings, articles, name, url, ascending, start)

    def _website(search_url=""):
        return website_jsonld(settings, search_url)

    generator.env.globals.update(
        jsonld_script=jsonld_script,
        item_list_jsonld=_item_list,
        website_jsonld=_website,
    )


def add_article_jsonld(generator) -> None:
    """Every item, translation and draft gets its NewsArticle + breadcrumb."""
    settings = generator.settings
    for attr in ("articles", "translations", "drafts", "drafts_translations"):
        for item in getattr(generator, attr, []) or []:
            item.jsonld = [
                news_article_jsonld(settings, item),
                breadcrumb_jsonld(settings, item),
            ]


def feed_id_authority(settings: dict) -> str:
    """The domain name of tag URIs: SEO_FEED_ID_AUTHORITY, else SITEURL's host,
    else "localhost" (a development build has no SITEURL)."""
    return (
        settings.get("SEO_FEED_ID_AUTHORITY")
        or urlparse(settings.get("SITEURL") or "").hostname
        or "localhost"
    )


def _tag_uri(authority: str, link: str, when) -> str:
    day = f",{when.strftime('%Y-%m-%d')}" if when is not None else ""
    return f"tag:{authority}{day}:{urlparse(link).path}"


def _first_day(context: dict):
    """The day of the site's oldest item (tag URIs of a development build)."""
    dates = [a.date for a in context.get("articles", []) or []]
    return min(dates) if dates else None


def set_feed_ids(context, feed) -> None:
    """Each feed gets an ``<id>`` of its own (Pelican gives every feed the
    site's address): its absolute address, or a tag URI when the build has
    no SITEURL. Entry ids are tag URIs with a real authority (Pelican writes
    "tag:None,..." without SITEURL)."""
    authority = feed_id_authority(context)
    feed_url = feed.feed.get("feed_url") or ""
    if urlparse(feed_url).scheme in ("http", "https"):
        feed.feed["id"] = feed_url
    else:
        feed.feed["id"] = _tag_uri(authority, feed_url, _first_day(context))
    for entry in feed.items:
        entry["unique_id"] = _tag_uri(authority, entry["link"], entry.get("pubdate"))


def set_feed_language(context, feed) -> None:
    """Atom feeds say their language (``xml:lang``); an entry in another
    language (a translation in the all-items feed) says its own."""
    set_feed_ids(context, feed)
    site_lang = context.get("DEFAULT_LANG")
    feed.feed["language"] = site_lang
    langs = {
        absolute_url(context, item.url): getattr(item, "lang", site_lang)
        for article in context.get("articles", []) or []
        for item in (article, *getattr(article, "translations", []))
    }
    for entry in feed.items:
        entry["kilas_lang"] = langs.get(entry["link"], site_lang)
    feed.item_attributes = functools.partial(_entry_attributes, feed)


def _entry_attributes(feed, entry: dict) -> dict:
    attributes = dict(type(feed).item_attributes(feed, entry))
    if entry.get("kilas_lang") and entry["kilas_lang"] != feed.feed["language"]:
        attributes["xml:lang"] = entry["kilas_lang"]
    return attributes


def keep_context(generators) -> None:
    """Remember what was read; the sitemaps are written after every page."""
    if generators:
        _current["context"] = generators[0].context
        _current["generators"] = list(generators)


def _content_items(generators, attrs) -> list:
    return [
        item
        for generator in generators
        for attr in attrs
        for item in getattr(generator, attr, []) or []
    ]


def _term_lists(context: dict):
    """(term, items) pairs of every taxonomy in the context (ours or not)."""
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


def _lastmods(context: dict, generators) -> tuple[dict, dict, datetime | None]:
    """Exact lastmod per content page, per taxonomy folder, and the newest.

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
        save_as, modified = item.save_as, _modified(item)
        if save_as and modified is not None:
            exact[save_as] = modified
    folders: dict[str, datetime | None] = {}
    for term, items in _term_lists(context):
        save_as = getattr(term, "save_as", "")
        if not save_as or not items:
            continue
        folder = os.path.dirname(save_as)
        latest = max(map(_modified, items))
        folders.setdefault(folder + "/" if folder else "", latest)
        exact.setdefault(save_as, latest)
    articles = _content_items(generators, ("articles", "translations"))
    newest = max(map(_modified, articles), default=None)
    return exact, folders, newest


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
    drafts = _content_items(
        generators, ("drafts", "drafts_translations", "draft_pages")
    )
    names = {item.save_as for item in drafts}
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
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for relative in sorted(pages):
        lastmod = exact.get(relative)
        if lastmod is None:
            lastmod = _folder_lastmod(relative, folders, newest)
        url = (
            relative[: -len("index.html")]
            if relative.endswith("index.html")
            else relative
        )
        entry = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = absolute_url(settings, url)
        if lastmod is not None:
            ET.SubElement(entry, f"{{{SITEMAP_NS}}}lastmod").text = lastmod.isoformat()
    target = output / settings["SEO_SITEMAP_SAVE_AS"]
    _write_xml(root, target)
    return target


def news_items(settings: dict, generators) -> list:
    """Items published in the window before "now", newest first."""
    now = site_now(settings)
    start = now - timedelta(hours=settings["SEO_NEWS_WINDOW_HOURS"])
    items = [
        item
        for item in _content_items(generators, ("articles", "translations"))
        if start <= item.date <= now
    ]
    items.sort(key=lambda item: item.date, reverse=True)
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
        loc = absolute_url(settings, item.url)
        ET.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = loc
        news = ET.SubElement(entry, f"{{{NEWS_NS}}}news")
        publication = ET.SubElement(news, f"{{{NEWS_NS}}}publication")
        ET.SubElement(publication, f"{{{NEWS_NS}}}name").text = name
        language = getattr(item, "lang", "") or settings["DEFAULT_LANG"]
        ET.SubElement(publication, f"{{{NEWS_NS}}}language").text = language
        published = item.date.isoformat()
        ET.SubElement(news, f"{{{NEWS_NS}}}publication_date").text = published
        ET.SubElement(news, f"{{{NEWS_NS}}}title").text = _text(item.title)
    _write_xml(root, target)
    return target


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
        lines.append(f"Sitemap: {absolute_url(settings, relative)}")
    target = Path(settings["OUTPUT_PATH"]) / settings["SEO_ROBOTS_SAVE_AS"]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def write_machine_files(pelican) -> None:
    """Every page is written: list them in the sitemaps, then robots.txt."""
    context = _current.get("context")
    generators = _current.get("generators")
    if context is None or generators is None:
        return  # nothing was read (check mode stops before writing)
    settings = pelican.settings
    sitemaps = [
        write_sitemap(settings, context, generators),
        write_news_sitemap(settings, generators),
    ]
    write_robots(settings, [path for path in sitemaps if path is not None])
    logger.info("kilas_seo: wrote the sitemaps and robots.txt")


def register() -> None:
    # initialized: settings checked once, state of a previous build dropped.
    signals.initialized.connect(validate_settings)
    # generator_init: every generator's Jinja environment gets the JSON-LD globals.
    signals.generator_init.connect(add_template_globals)
    # article_generator_finalized: items are read and have their URLs.
    signals.article_generator_finalized.connect(add_article_jsonld)
    # feed_generated: before a feed is written, so xml:lang and ids are in it.
    signals.feed_generated.connect(set_feed_language)
    # all_generators_finalized: the complete context, before writing.
    signals.all_generators_finalized.connect(keep_context)
    # finalized: every page is on disk, so the sitemap can list them all.
    signals.finalized.connect(write_machine_files)
