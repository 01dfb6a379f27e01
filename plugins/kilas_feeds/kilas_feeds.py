"""Kilas feeds: Atom feeds that say their language and have ids of their own.

Pelican writes the feeds; before each is written (``feed_generated``) this
plugin gives it:

- ``xml:lang``, the site's language (``DEFAULT_LANG``); an entry in another
  language (a translation in the all-items feed) says its own;
- an ``<id>`` of its own, its absolute address (Pelican gives every feed the
  site's address), or a tag URI in a development build without ``SITEURL``;
- entry ids that are tag URIs with a real authority (Pelican writes
  "tag:None,..." without ``SITEURL``): ``SEO_FEED_ID_AUTHORITY``, else the
  host of ``SITEURL``, else "localhost", and the item's path from the
  site's root (a project site's ``/<repo>`` left out);
- its alternate link, the page of what it follows (a category's, region's,
  source's or story's page; Pelican gives every feed the home page);
- links and images of an entry's text and summary made absolute against
  the item's address: a feed reader resolves a relative one against the
  feed's (``#rincian`` or ``../butir-lain/`` led into ``feeds/``).
"""

from __future__ import annotations

import functools
import html
import logging
import re
from urllib.parse import urljoin, urlparse

from kilas_settings import apply, minute_offset, rule, site_url, state
from pelican import signals

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, object] = {
    # The authority (a domain name) of feed entry ids ("tag:<it>,<date>:...");
    # "" means the host of SITEURL, or "localhost" when SITEURL has none.
    "SEO_FEED_ID_AUTHORITY": "",
}

# A tag URI's authority: a DNS name (RFC 4151).
_AUTHORITY = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)

RULES = {
    "SEO_FEED_ID_AUTHORITY": rule(
        lambda value: value == "" or _AUTHORITY.match(value),
        'a domain name such as "example.org" ("" for the host of SITEURL)',
    ),
}


def check_settings(pelican) -> None:
    """Defaults filled in and every setting checked once, before reading."""
    apply(pelican.settings, DEFAULTS, RULES, plugin="kilas_feeds")


def feed_id_authority(settings: dict) -> str:
    """The domain name of tag URIs: SEO_FEED_ID_AUTHORITY, else SITEURL's host,
    else "localhost" (a development build has no SITEURL)."""
    return (
        settings.get("SEO_FEED_ID_AUTHORITY")
        or urlparse(settings.get("SITEURL") or "").hostname
        or "localhost"
    )


def _tag_uri(authority: str, link: str, when, base: str = "") -> str:
    """A tag URI for ``link``: its path from the site's root (``base``, the
    path of SITEURL, left out), so that with ``SEO_FEED_ID_AUTHORITY`` an id
    survives a move from ``user.github.io/<repo>`` to a domain of its own."""
    day = f",{when.strftime('%Y-%m-%d')}" if when is not None else ""
    path = urlparse(link).path
    if base and path.startswith(base + "/"):
        path = path[len(base) :]
    return f"tag:{authority}{day}:{path}"


# The day of the site's oldest item, in the context (tag URIs of a
# development build): a feed reads it, not every item.
FIRST_DAY = "KILAS_FEEDS_FIRST_DAY"


def _first_day(context: dict):
    return context.get(FIRST_DAY)


def set_feed_ids(context, feed) -> None:
    """Each feed gets an ``<id>`` of its own (Pelican gives every feed the
    site's address): its absolute address, or a tag URI when the build has
    no SITEURL. Entry ids are tag URIs with a real authority (Pelican writes
    "tag:None,..." without SITEURL)."""
    authority = feed_id_authority(context)
    feed_url = feed.feed.get("feed_url") or ""
    pages = (state(context).get(__name__) or {}).get("pages", {})
    page = pages.get(
        feed_url.removeprefix(context.get("FEED_DOMAIN") or "").lstrip("/")
    )
    if page is not None:
        feed.feed["link"] = site_url(context, page)
    if urlparse(feed_url).scheme in ("http", "https"):
        feed.feed["id"] = feed_url
    else:
        feed.feed["id"] = _tag_uri(authority, feed_url, _first_day(context))
    base = urlparse(context.get("SITEURL") or "").path.rstrip("/")
    for entry in feed.items:
        entry["unique_id"] = _tag_uri(
            authority, entry["link"], entry.get("pubdate"), base
        )
        # Atom dates are RFC 3339: an offset in hours and minutes (a date
        # in local mean time, before 1924 in Jakarta, is written in UTC).
        for key in ("pubdate", "updateddate"):
            if entry.get(key) is not None:
                entry[key] = minute_offset(entry[key])


# An attribute holding a URL that has no scheme and is not "//host/...": a
# feed reader resolves it against the feed's address. Texts without one
# (every link Pelican or Kilas made is absolute in a publish build) are
# left as they are.
_RELATIVE = re.compile(
    r"""\s(?:href|src|srcset|poster|cite)\s*=\s*["']?\s*(?![a-zA-Z][a-zA-Z0-9+.-]*:|//)""",
    re.IGNORECASE,
)
# A tag (the text around it has "<" escaped: the contract's sanitiser wrote
# it) and an address attribute in it, quoted as the sanitiser quotes them.
_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_URL_ATTRIBUTE = re.compile(
    r'(\s(?:href|src|srcset|poster|cite)\s*=\s*")([^"]*)"', re.IGNORECASE
)


def _srcset(value: str, base: str) -> str:
    """``srcset``'s candidates ("a.jpg 480w, b.jpg 800w") with absolute URLs."""
    candidates = []
    for candidate in value.split(","):
        url, _, size = candidate.strip().partition(" ")
        if url:
            candidates.append(f"{urljoin(base, url)} {size.strip()}".rstrip())
    return ", ".join(candidates)


def _resolve(match: re.Match, base: str) -> str:
    name, value = match.group(1), html.unescape(match.group(2)).strip()
    if name.strip().lower().startswith("srcset"):
        value = _srcset(value, base)
    else:
        value = urljoin(base, value)
    return f'{name}{html.escape(value)}"'


def absolute_links(text: str | None, base: str) -> str | None:
    """``text`` (HTML) with every link and image URL resolved against
    ``base``, the item's address, as the item's page resolves them; the
    rest of the text is left byte for byte."""
    if not text or not _RELATIVE.search(text):
        return text
    return _TAG.sub(
        lambda tag: _URL_ATTRIBUTE.sub(lambda m: _resolve(m, base), tag.group(0)),
        text,
    )


def set_feed_language(context, feed) -> None:
    """Atom feeds say their language (``xml:lang``); an entry in another
    language (a translation in the all-items feed) says its own."""
    set_feed_ids(context, feed)
    site_lang = context.get("DEFAULT_LANG")
    feed.feed["language"] = site_lang
    langs = (state(context).get(__name__) or {}).get("langs", {})
    for entry in feed.items:
        entry["kilas_lang"] = langs.get(entry["link"], site_lang)
        for key in ("content", "description"):
            entry[key] = absolute_links(entry.get(key), entry["link"])
    feed.item_attributes = functools.partial(_entry_attributes, feed)


def note_items(generators) -> None:
    """Every item is read: the site's first day (``FIRST_DAY``) and every
    item's and translation's address -> its language, made once per build
    (109 feeds of 10,000 items each looked up every item's address), and
    every term feed's address -> its term's page. A feed's entries carry
    their languages and its address its page, so the maps are kept with the
    build's state, not in the context."""
    context = generators[0].context if generators else {}
    articles = context.get("articles", []) or []
    dates = [article.date for article in articles]
    context[FIRST_DAY] = min(dates) if dates else None
    site_lang = context.get("DEFAULT_LANG")
    langs = {
        site_url(context, item.url): getattr(item, "lang", site_lang)
        for article in articles
        for item in (article, *getattr(article, "translations", []))
    }
    state(context).set(__name__, {"langs": langs, "pages": _term_pages(context)})


# Pelican's feeds of its own terms (the class's name -> its feed settings).
_PELICAN_TERM_FEEDS = {
    "category": ("CATEGORY_FEED_ATOM", "CATEGORY_FEED_RSS"),
    "tag": ("TAG_FEED_ATOM", "TAG_FEED_RSS"),
    "author": ("AUTHOR_FEED_ATOM", "AUTHOR_FEED_RSS"),
}


def _term_pages(context: dict) -> dict[str, str]:
    """The address (relative to FEED_DOMAIN) of every term's feed -> the
    term's page: Pelican's categories, tags and authors (their feed settings,
    formatted as Pelican does) and every term with a ``feed`` of its own
    (kilas_taxonomy's regions, sources and stories)."""
    pages = {}
    for value in context.values():
        if not isinstance(value, (list, tuple)):
            continue
        for entry in value:
            term = entry[0] if isinstance(entry, tuple) and entry else entry
            feed = getattr(term, "feed", None)
            keys = _PELICAN_TERM_FEEDS.get(type(term).__name__.lower(), ())
            if not (keys or (isinstance(feed, str) and feed)):
                continue  # an item (its address is worked out on each access)
            url = term.url
            if isinstance(feed, str) and feed:
                pages.setdefault(feed, url)
            for key in keys:
                if context.get(key):
                    pattern = str(context.get(f"{key}_URL", context[key]))
                    pages.setdefault(pattern.format(slug=term.slug), url)
    return pages


def _entry_attributes(feed, entry: dict) -> dict:
    attributes = dict(type(feed).item_attributes(feed, entry))
    if entry.get("kilas_lang") and entry["kilas_lang"] != feed.feed["language"]:
        attributes["xml:lang"] = entry["kilas_lang"]
    return attributes


def register() -> None:
    # initialized: settings checked once, before anything is read.
    signals.initialized.connect(check_settings)
    # all_generators_finalized: every item is read (and scheduled out).
    signals.all_generators_finalized.connect(note_items)
    # feed_generated: before a feed is written, so xml:lang and ids are in it.
    signals.feed_generated.connect(set_feed_language)
