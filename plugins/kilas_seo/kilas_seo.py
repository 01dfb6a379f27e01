"""Kilas SEO: the structured data search engines read in a page.

Every item, translation and draft gets ``article.jsonld`` (a
``NewsArticle`` and its ``BreadcrumbList``), built here with ``json``;
templates render it with the ``jsonld_script`` global.
``item_list_jsonld(articles, name, url)`` gives an ``ItemList`` for story and
other listing pages, ``website_jsonld(search)`` the home page's ``WebSite``
with its ``SearchAction`` (``partials/jsonld.html``). ``SEO_OG_LOCALES``
gives the theme each language's ``og:locale``.

Sitemaps and robots.txt are ``kilas_sitemap``'s, feed ids and languages
``kilas_feeds``'.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from kilas_settings import (
    SettingError,
    apply,
    kind,
    machine_date,
    optional,
    site_icon,
    site_url,
    text,
)
from markupsafe import Markup
from pelican import signals

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, object] = {
    # Publisher logo in JSON-LD, a path from the site root; None: the
    # site's icon (kilas_settings.site_icon); "" leaves it out.
    "SEO_PUBLISHER_LOGO": None,
    # og:locale per content language (the theme's head_meta partial).
    "SEO_OG_LOCALES": {"id": "id_ID", "en": "en_US"},
}
RULES = {
    "SEO_PUBLISHER_LOGO": optional(text('a text ("" to leave it out)')),
    "SEO_OG_LOCALES": kind(dict, 'a mapping like {"id": "id_ID"}'),
}

SCHEMA = "https://schema.org"


class SeoSettingError(SettingError):
    """A SEO_* setting has a value the plugin cannot use."""


def check_settings(pelican) -> None:
    """Defaults filled in and every setting checked once, before reading."""
    apply(pelican.settings, DEFAULTS, RULES, "kilas_seo", SeoSettingError)


# -- URLs and dates ----------------------------------------------------------
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
    data = _organization(name, site_url(settings, ""))
    logo = settings["SEO_PUBLISHER_LOGO"]
    if logo is None:
        logo = site_icon(settings)
    if logo:
        data["logo"] = {"@type": "ImageObject", "url": site_url(settings, logo)}
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


class ItemParts:
    """What the JSON-LD of every item of a build shares, made once: the
    site's address and name, the publisher (one dict, shared by the items'
    JSON-LD and never changed), the newsroom's names, the default language."""

    def __init__(self, settings: dict) -> None:
        self.root = site_url(settings, "")
        self.site_name = settings["SITENAME"]
        self.publisher = _publisher(settings)
        self.author = settings.get("AUTHOR")
        self.newsroom = {self.author, settings.get("PUBLISHER_NAME")}
        self.lang = settings.get("DEFAULT_LANG")

    def url(self, path: str) -> str:
        """``site_url(settings, path)``."""
        return self.root + path


def _author(parts: ItemParts, item) -> dict:
    name = str(getattr(item, "author", "") or parts.author or "")
    kind = "Organization" if name in parts.newsroom else "Person"
    return {"@type": kind, "name": name}


def news_article_jsonld(parts: ItemParts, item, url: str, headline: str) -> dict:
    """schema.org NewsArticle of one item (``url``: its address, ``headline``:
    its title as text)."""
    data = {
        "@context": SCHEMA,
        "@type": "NewsArticle",
        "headline": headline,
        "description": _text(getattr(item, "summary", "")),
        "datePublished": machine_date(item.date),
        "dateModified": machine_date(_modified(item)),
        "author": _author(parts, item),
        "publisher": parts.publisher,
        "inLanguage": getattr(item, "lang", parts.lang),
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


def breadcrumb_jsonld(
    parts: ItemParts, item, url: str, headline: str, listed=None
) -> dict:
    """Home > category > item; the category only when it has a page
    (``listed``: the categories of listed items; a hidden item's or a
    translation's own may have none)."""
    trail = [(parts.site_name, parts.root)]
    category = getattr(item, "category", None)
    if category is not None and category.url and (listed is None or category in listed):
        trail.append((category.name, parts.url(category.url)))
    trail.append((headline, url))
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
        data["url"] = site_url(settings, url)
    order = "ItemListOrderAscending" if ascending else "ItemListOrderDescending"
    data["itemListOrder"] = f"{SCHEMA}/{order}"
    data["numberOfItems"] = len(articles)
    data["itemListElement"] = [
        {
            "@type": "ListItem",
            "position": number,
            "url": site_url(settings, article.url),
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
        "url": site_url(settings, ""),
        "inLanguage": settings.get("DEFAULT_LANG"),
        "publisher": _publisher(settings),
    }
    if settings.get("SITESUBTITLE"):
        data["description"] = str(settings["SITESUBTITLE"])  # text, not HTML
    if search_url:
        data["potentialAction"] = {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": site_url(settings, search_url)
                + "?q={search_term_string}",
            },
            "query-input": "required name=search_term_string",
        }
    return data


def jsonld_script(data: object) -> Markup:
    """``<script type="application/ld+json">``; no ``<``, ``>`` or ``&`` in it,
    so ``</script>`` or ``<!--`` in a headline cannot end or confuse it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
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
    parts = ItemParts(generator.settings)
    listed = {category for category, _ in getattr(generator, "categories", ())}
    for attr in ("articles", "translations", "drafts", "drafts_translations"):
        for item in getattr(generator, attr, []) or []:
            url = parts.url(item.url)
            headline = _text(item.title)
            item.jsonld = [
                news_article_jsonld(parts, item, url, headline),
                breadcrumb_jsonld(parts, item, url, headline, listed),
            ]


def register() -> None:
    # initialized: settings checked once, before anything is read.
    signals.initialized.connect(check_settings)
    # generator_init: every generator's Jinja environment gets the JSON-LD globals.
    signals.generator_init.connect(add_template_globals)
    # article_generator_finalized: items are read and have their URLs (and,
    # kilas_images listed before this plugin, their photos and cards).
    signals.article_generator_finalized.connect(add_article_jsonld)
