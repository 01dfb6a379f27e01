"""Kilas content contract: read, resolve and validate every item.

Pelican skips an item it cannot read and still exits 0. This plugin replaces
the Markdown reader with one that checks every field against the contract
table, resolves regions and sources through their registries, records every
problem of the run (each logged as ``path:line: field: message``), and raises
``ContentError`` once, after everything was read and before anything is
written.

It also decides what a build publishes: which files under ``content/`` are
read (``discovery``), and which items are held back: an item dated after the
build's "now" (``KILAS_NOW``) is scheduled, and a draft is left out of a
publish build (``KILAS_DRAFTS = False``). A held item is never read into
the site, so no page, feed, sitemap or search index can show it.
"""

from __future__ import annotations

import difflib
import functools
import html
import logging
import os
import posixpath
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from urllib.parse import (
    SplitResult,
    quote,
    unquote,
    urljoin,
    urlsplit,
    urlunsplit,
)
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from blinker import signal
from kilas_render import NOTICE, RenderCache, decode, summary_links
from kilas_render.sanitise import NO_ADDRESS, dropped, url_scheme
from kilas_settings import (
    NoSuchDate,
    SettingError,
    apply_defaults,
    check,
    optional,
    parse_date,
    report_held,
    rule,
    state,
)
from kilas_settings import (
    build_now as settings_now,
)
from kilas_settings import (
    shown_when as _when,
)
from pelican import signals
from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.readers import MarkdownReader
from pelican.utils import slugify

from .contract import (
    ATTRIBUTES,
    BOOLEANS,
    FRONT_MATTER,
    ITEM_FIELDS,
    PAGE_FIELDS,
    PLACEHOLDERS,
    STATUS_WORDS,
    STATUSES,
    Field,
    HeaderEnd,
    Problem,
    explain,
    field_key,
    header_end,
    item_parts,
    other_name,
    split_header,
    split_list,
    suggest,
)
from .discovery import MARKDOWN_EXTENSIONS, discover, is_editor_file
from .registry import (
    RegionRegistry,
    RegistryError,
    SourceRegistry,
    Story,
    language_problem,
)

logger = logging.getLogger(__name__)

# Photo files by extension, and the format Pillow must find in them.
_IMAGE_TYPES = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}

DEFAULTS = {
    # The build's "now" (ISO 8601 text or a datetime; None: the clock). The
    # environment variable KILAS_NOW, when set, wins. Items dated later are
    # scheduled: left out of the build.
    "KILAS_NOW": None,
    # Drafts are built as previews under DRAFT_URL (development) or left out
    # of the build entirely (False: publishconf.py).
    "KILAS_DRAFTS": False,
}


class ContractSettingError(SettingError):
    """A KILAS_* setting of this plugin has a value it cannot use."""


class ContentError(Exception):
    """The content broke the contract; every problem was already logged."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        files = len({p.path for p in problems})
        super().__init__(
            f"kilas_contract: {len(problems)} problem(s) in {files} file(s); "
            "nothing was written"
        )


class _Bad(ValueError):
    """A value broke a rule: the message says what is allowed."""


class _Unchecked(ValueError):
    """A value cannot be checked: its registry could not be read (that is
    the problem reported; the item is left out without one of its own)."""


class _Run:
    """What one build knows: registries, the files of the site, the items it
    holds back, and the problems found so far."""

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        self.problems: list[Problem] = []
        self.now: datetime = settings["KILAS_NOW"]
        self.zone = ZoneInfo(settings["TIMEZONE"])
        # Held back: (date, path, title) of scheduled items (a translation
        # has the date of the item it translates); drafts left out.
        self.scheduled: list[tuple[datetime, str, str]] = []
        self.drafts_left_out: list[str] = []
        # Held-back files by their path in content/, and why (for links).
        self.held: dict[str, str] = {}
        self._originals: dict[tuple, str | datetime] | None = None
        self.feed_links: dict[str, object] | None = None
        self.env = None
        content = Path(settings["PATH"])
        self.regions = self.sources = None
        for name, make, setting in (
            ("regions", RegionRegistry, "KILAS_REGIONS_FILE"),
            ("sources", SourceRegistry, "KILAS_SOURCES_FILE"),
        ):
            path = content / settings.get(setting, f"{name}.yaml")
            try:
                registry = make(settings, path)
            except RegistryError as exc:
                self.add(Problem(_display(path), None, None, str(exc)))
                registry = make(settings, Path(os.devnull))
            for problem in sorted(registry.problems, key=lambda p: p.line or 0):
                shown = _display(problem.path)
                self.add(Problem(shown, problem.line, None, problem.message))
            setattr(self, name, registry)
        # Pages show what the registries say (a region's parent, a grouping's
        # members): their text is part of every page's key (settings are).
        settings["KILAS_REGISTRIES_DIGEST"] = self.regions.digest + self.sources.digest
        # Pelican makes a new Category, Tag or Author per item, and each one
        # slugifies its name again; items sharing a value share one object.
        self.wrappers: dict[tuple[str, str], object] = {}
        # Tags and stories are free text: one object per kind and address,
        # by each spelling read; where each item spelt it: (kind, address,
        # spelling, path, line). name_terms names each after its uses.
        self.terms: dict[tuple[str, str], object] = {}
        self.term_names: dict[tuple[str, str], object] = {}
        self.term_uses: list[tuple[str, str, str, str, int]] = []
        # The first item (not a translation) of each slug, by its shown
        # path: (draft or shown, translation id) -> path.
        self.originals_seen: dict[tuple, str] = {}
        # The line of each item's Source_URL and Title: (shown path, field).
        self.field_lines: dict[tuple[str, str], int] = {}
        # Where each item names its story: (path, line, story).
        self.story_uses: list[tuple[str, int, Story]] = []
        self.displayed: dict[str, str] = {}
        # Links of bodies and summaries from the site's root, (content,
        # field, value); the source of every page by its address.
        self.root_links: list[tuple[object, str, str]] = []
        self.page_sources: dict[str, str] = {}
        # Why each image a text shows cannot be decoded (None: it can).
        self.images_read: dict[str, str | None] = {}
        self.quiet: _HeldWarnings | None = None
        self.renders = RenderCache(settings, item_parts)
        self._prefilled = False
        self.discovery = discover(settings, self.display)
        for problem in self.discovery.problems:
            self.add(problem)

    def prefill(self) -> None:
        """Once per run: render every Markdown file the cache lacks, in parallel."""
        if self._prefilled:
            return
        self._prefilled = True
        content = self.settings["PATH"]
        self.renders.prefill(
            [os.path.join(content, path) for path in self.discovery.markdown]
        )

    def originals(self) -> dict[tuple, str | datetime]:
        """The items that are not translations, by translation id
        (``ARTICLE_TRANSLATION_ID``): "published", "hidden", "draft", or the
        date a scheduled one waits for. A translation follows its original.
        Worked out from the headers alone, once, when a translation is read
        (most builds have few)."""
        if self._originals is None:
            self._originals = {}
            rank = {"draft": 0, "hidden": 2, "published": 3}
            for relative in self.discovery.items:
                path = os.path.join(self.settings["PATH"], relative)
                try:
                    with open(path, "rb") as handle:
                        header, _, _ = split_header(decode(handle.read()))
                except (OSError, UnicodeDecodeError):
                    continue  # reported when the file itself is read
                values = {field_key(k): v for k, v, _ in header}
                if _is_true(values.get("translation")):
                    continue
                state = values.get("status", "").casefold() or "published"
                if state != "draft":
                    try:
                        date = parse_date(values.get("date", ""), self.zone)
                    except ValueError:
                        date = None
                    state = date if date and date > self.now else state
                ident = translation_id(self.settings, path, values)
                known = self._originals.get(ident)
                if known is None or rank.get(state, 1) > rank.get(known, 1):
                    self._originals[ident] = state
        return self._originals

    def display(self, path: str) -> str:
        """``_display(path)``, worked out once per file and build."""
        shown = self.displayed.get(path)
        if shown is None:
            shown = self.displayed[path] = _display(path)
        return shown

    def wrapper(self, reader, name: str, value: str):
        """``reader.process_metadata(name, value)``, one object per value."""
        key = (name, value)
        if key not in self.wrappers:
            self.wrappers[key] = reader.process_metadata(name, value)
        return self.wrappers[key]

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        logger.error("%s", problem)

    def notice(self, problem: Problem) -> None:
        """Shown, never failing the build (NOTICE is below WARNING), and
        said to be a notice (an error has the same ``path:line:`` shape)."""
        logger.log(NOTICE, "notice: %s", problem)


def _run(settings: dict) -> _Run:
    """This build's run, kept in its ``BuildState`` (made on `initialized`:
    autoreload rebuilds start clean)."""
    return state(settings).get(__name__)


@functools.cache
def _prompt(prompt: str) -> re.Pattern:
    return re.compile(r"\s+".join(map(re.escape, prompt.split())), re.IGNORECASE)


# Characters XML 1.0 refuses (C0 but tab and line ends, DEL and C1, the two
# noncharacters of the BMP's last block): feeds and sitemaps would not parse.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# Invisible characters pasted text brings: zero-width space, word joiner,
# byte-order mark, soft hyphen, left-to-right and right-to-left marks.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad\u200e\u200f"))
# A folder's name holds at most 255 bytes (ext4 and most file systems).
_LONGEST_SLUG = 200
# The free-text fields whose values have pages, by their class's name
# (Pelican's ``<CLASS>_REGEX_SUBSTITUTIONS`` setting).
_TERM_KINDS = {"tags": "Tag", "story": "Story"}
# What an address keeps as written (RFC 3986's reserved and unreserved
# characters, and "%" of what is encoded already).
_URL_SAFE = "/%:@!$&'()*+,;=~-._"
# What no address holds as written: spaces, controls, quotes, brackets.
_NOT_IN_URL = re.compile(r"""[\s\x00-\x1f\x7f"<>\\^`{|}]""")
# The C0 controls and DEL as bytes, and every other byte (_has_control).
_C0 = bytes([*range(9), 11, 12, *range(14, 32), 127])
_NOT_C0 = bytes(b for b in range(256) if b not in _C0)
_C1_OR_NONCHARACTER = re.compile(rb"\xc2[\x80-\x9f]|\xef\xbf[\xbe\xbf]")


def _split(value: str) -> SplitResult | None:
    """``urlsplit(value)``, or None for what it refuses (``https://[::1/x``:
    an unclosed IPv6 host; a port above 65535), which is no address."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises for a port that is none)
    except ValueError:
        return None
    return parts


def _web_address(value: str) -> str:
    """An http(s) address with what a pasted one may hold that an address
    may not (spaces, quotes, ``<``, non-ASCII letters) percent-encoded as a
    browser sends it, the host in punycode: pages and feeds hold a valid
    link."""
    parsed = urlsplit(value)
    try:
        netloc = parsed.netloc.encode("idna").decode("ascii")
    except UnicodeError:
        netloc = parsed.netloc  # user info or a port: left as written
    return urlunsplit(
        (
            parsed.scheme,
            netloc,
            quote(parsed.path, safe=_URL_SAFE),
            quote(parsed.query, safe=_URL_SAFE + "?"),
            quote(parsed.fragment, safe=_URL_SAFE + "?"),
        )
    )


def _has_control(raw: bytes) -> bool:
    """Whether UTF-8 ``raw`` holds a character of ``_CONTROL`` (at C speed:
    bytes.translate keeps the C0 bytes, a search finds C1 and U+FFFE/FFFF)."""
    if raw.translate(None, _NOT_C0):
        return True
    return (b"\xc2" in raw or b"\xef\xbf" in raw) and bool(
        _C1_OR_NONCHARACTER.search(raw)
    )


# The name part of a line that looks like a field (``Source URL: ...``).
_FIELD_NAME_RE = re.compile(r"\s*([A-Za-z][A-Za-z0-9 _-]{0,30}?)\s*[:=]")


def _holds(text: str, prompt: str) -> bool:
    """``prompt`` in ``text``, whatever the case and the line breaks (its
    words looked for first: a search that ignores case is slow)."""
    folded = text.casefold()
    if not all(word in folded for word in prompt.casefold().split()):
        return False
    return _prompt(prompt).search(text) is not None


def _is_true(value: str | None) -> bool:
    return BOOLEANS.get((value or "").casefold(), False)


def translation_id(settings: dict, source_path: str, values: dict) -> tuple:
    """What Pelican groups translations by (``ARTICLE_TRANSLATION_ID``, the
    slug by default), from a header's raw values, as Pelican works it out."""
    keys = settings.get("ARTICLE_TRANSLATION_ID") or "slug"
    keys = [keys] if isinstance(keys, str) else list(keys)
    return tuple(
        _slug(settings, source_path, values) if key == "slug" else values.get(key)
        for key in keys
    )


def _slug(settings: dict, source_path: str, values: dict) -> str:
    if values.get("slug"):
        return values["slug"]
    if settings.get("SLUGIFY_SOURCE") == "title" and values.get("title"):
        value = values["title"]
    else:
        value = os.path.basename(os.path.splitext(source_path)[0])
    return _slugify(settings, value)


def _slugify(settings: dict, value: str) -> str:
    """Pelican's slug of ``value`` under the site's slug settings."""
    return slugify(
        value,
        regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
        use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
    )


def build_now(settings: dict) -> datetime:
    """The build's one "now" (kilas_settings.build_now, with this plugin's
    error)."""
    return settings_now(settings, "kilas_contract", ContractSettingError)


_CSP_NAME = re.compile(r"^[a-z][a-z-]*$")
_CSP_SOURCE = re.compile(r"^[^\s\"'<>&;,]+$|^'[a-z0-9+/=-]+'$")


def _is_csp(policy) -> bool:
    """KILAS_CSP (theme/templates/partials/csp.html prints it as it is): a
    mapping of directive names to lists of source expressions, each a
    keyword in single quotes ('self', 'none') or a scheme or host."""
    return isinstance(policy, dict) and all(
        isinstance(name, str)
        and _CSP_NAME.match(name)
        and isinstance(sources, list | tuple)
        and all(isinstance(s, str) and _CSP_SOURCE.match(s) for s in sources)
        for name, sources in policy.items()
    )


def _is_zone(value) -> bool:
    return isinstance(value, str) and ZoneInfo(value) is not None


def _near_zone(value) -> str | None:
    """The zone meant: ``WIB`` is Asia/Jakarta; else the nearest name."""
    wanted = str(value).strip()
    for abbreviation, zone in _ZONES_OF_INDONESIA.items():
        if wanted.upper() == abbreviation:
            return zone
    import zoneinfo  # noqa: PLC0415  (the list is read only for a bad value)

    zones = {z.casefold(): z for z in zoneinfo.available_timezones()}
    near = difflib.get_close_matches(wanted.casefold(), zones, n=1, cutoff=0.6)
    return zones[near[0]] if near else None


# WIB, WITA and WIT as IANA's zones (what TIMEZONE takes).
_ZONES_OF_INDONESIA = {
    "WIB": "Asia/Jakarta",
    "WITA": "Asia/Makassar",
    "WIT": "Asia/Jayapura",
}


def _is_language(value) -> bool:
    """A language code as CLDR writes it (``id``, ``en``): the pages' lang,
    the translations' addresses and the interface follow it."""
    return isinstance(value, str) and language_problem(value) is None


def _near_language(value) -> str | None:
    text = str(value)
    try:
        return Locale.parse(text.replace("-", "_")).language
    except (ValueError, UnknownLocaleError):
        why = language_problem(text) or ""
        return why.partition('Did you mean "')[2].rstrip('"?') or None


def _is_site_url(value) -> bool:
    """Empty (development: links from the site's root) or an http(s)
    address without a final slash (every link adds its own)."""
    if value == "":
        return True
    if not isinstance(value, str) or _NOT_IN_URL.search(value):
        return False  # a space or quote would end or break every link
    parts = _split(value)
    return (
        parts is not None
        and parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not value.endswith("/")
        and not (parts.query or parts.fragment)
    )


def _near_site_url(value) -> str | None:
    text = "-".join(str(value).split()).rstrip("/")
    if text and "://" not in text:
        text = f"https://{text}"
    return text if _is_site_url(text) and text != value else None


def _is_pagination(value) -> bool:
    return value is False or (
        isinstance(value, int) and not isinstance(value, bool) and value >= 1
    )


def _distinct_categories(value) -> bool:
    """A list of names, none twice in any case (an item's category is
    matched in any case)."""
    if value is None:
        return True
    names = [
        name.casefold() for name in value if isinstance(name, str) and name.strip()
    ]
    return len(names) == len(value) == len(set(names))


def _categories_once(value) -> str | None:
    kept = {}
    for name in value:
        if isinstance(name, str) and name.strip():
            kept.setdefault(name.strip().casefold(), name.strip())
    return repr(list(kept.values()))


RULES = {
    "TIMEZONE": rule(
        _is_zone,
        "a time zone of the IANA database, e.g. Asia/Jakarta (WIB),"
        " Asia/Makassar (WITA), Asia/Jayapura (WIT)",
        _near_zone,
    ),
    "DEFAULT_LANG": rule(
        _is_language,
        "a language code as CLDR writes it, e.g. 'id' or 'en'",
        _near_language,
    ),
    "SITEURL": rule(
        _is_site_url,
        "'' (development) or the site's http(s) address without a final slash,"
        " e.g. 'https://user.github.io/kilas'",
        _near_site_url,
    ),
    "DEFAULT_PAGINATION": rule(
        _is_pagination, "a whole number of at least 1 (items a page), or False"
    ),
    "KILAS_CATEGORIES": rule(
        _distinct_categories,
        "a list of category names, each once (in any case)",
        _categories_once,
    ),
    "KILAS_CSP": optional(
        rule(
            _is_csp,
            'a mapping of directive names to lists of sources, e.g. {"default-src":'
            " [\"'self'\"]}; a source is a keyword in single quotes ('self',"
            " 'none') or a scheme or host (https:, example.org)",
        )
    ),
}


def _under(path: str, folder: str) -> str:
    """``os.path.relpath(path, folder)`` for a path in ``folder``, quickly."""
    inside = os.path.join(folder, "")
    if path.startswith(inside) and os.path.isabs(inside):
        return os.path.normpath(path[len(inside) :])
    return os.path.relpath(path, folder)


def _display(path: Path | str) -> str:
    """A path as the editor typed it: relative to where they stand (when
    it lies there)."""
    path = os.path.abspath(path)
    here = os.path.join(os.getcwd(), "")
    return path[len(here) :] if path.startswith(here) else path


class ItemReader(MarkdownReader):
    """Markdown reader that enforces the Kilas contract."""

    # Every case of Markdown's extensions (x.MD): discovery decides what is read.
    file_extensions = sorted(MARKDOWN_EXTENSIONS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._tz = ZoneInfo(self.settings["TIMEZONE"])

    # -- reading -----------------------------------------------------------
    def read(self, source_path: str):
        self._source_path = source_path
        self._path = _run(self.settings).display(source_path)
        self._problems: list[Problem] = []
        self._unchecked = False
        try:
            with open(source_path, "rb") as handle:  # no Path object per file
                raw = handle.read()
        except OSError as exc:
            self._problem(None, None, f"the file cannot be read ({exc.strerror})")
            return self._fail()
        text = self._decode(raw)
        if text is None:
            return self._fail()
        header, body, body_start = split_header(text)
        if _has_control(raw):
            self._check_characters(text, header, body_start)
        fields = self._fields_for(source_path)
        cut = header_end(text, body_start, _known(fields))
        if cut and not header and cut.text in FRONT_MATTER:
            self._problem(cut.line, None, self._why_cut(cut, fields))
            return self._fail()
        if header and cut is None:
            self._check_header_ends_blank(text, header, body_start)
        metadata = self._check_header(header, fields, cut)
        is_item = fields is ITEM_FIELDS
        draft = metadata.get("status") == "draft"
        if is_item and not draft:
            self._check_placeholders(header, body, body_start)
        held = self._held(header, metadata, draft, is_item)
        if is_item and not self._problems:
            self._check_slug_taken(header, metadata)
        if self._problems or self._unchecked:
            if self._problems and not self._unchecked and not held:
                # The text's own problems too: one run says all of a file's.
                self._check_body(raw, text, header, body_start)
            return self._fail()
        if held:
            return "", {"status": "skip"}
        body_html, title, summary = self._check_body(raw, text, header, body_start)
        if self._problems:
            return self._fail()
        if title is not None:
            metadata["title"] = title
        if summary is not None:
            metadata["summary"] = summary
        return body_html, metadata

    def _check_body(self, raw: bytes, text: str, header, body_start: int):
        """The text rendered (from the cache), and its problems: a link or
        image the sanitiser would drop, an image without its text, an image
        in the summary. Returns the body, title and summary as HTML."""
        run = _run(self.settings)
        run.prefill()
        body_html, title, summary, removed = run.renders.get(raw, text)
        for line, what in removed:
            if what.endswith(NO_ADDRESS):  # the link would be lost: an error
                self._problem(
                    body_start + line,
                    "Body",
                    f"{what} a browser can follow (an unclosed [ or a port"
                    " above 65535?): write the link again",
                )
                continue
            run.notice(
                Problem(
                    self._path,
                    body_start + line,
                    "Body",
                    f"{what} removed: scripts, frames, event handlers, style"
                    " attributes and javascript: or data: addresses never reach"
                    " a page or a feed",
                )
            )
        if "<img" in body_html:
            self._check_image_texts(body_html, text)
        if summary and "<img" in summary:
            self._problem(
                next((n for k, _, n in header if field_key(k) == "summary"), None),
                "Summary",
                "holds an image, which every list showing the item would show:"
                " give the item its photo with 'Image:', or put the image in"
                " the text",
            )
        return body_html, title, summary

    def _check_image_texts(self, body_html: str, text: str) -> None:
        """An image in the text says what it shows (its alt text): readers
        who cannot see it hear that. Pelican's own warning named no line and
        stopped naming after a few."""
        for tag in _IMG_TAG.findall(body_html):
            alt = _ALT.search(tag)
            if alt and alt[2].strip():
                continue
            src = _SRC.search(tag)
            shown = src[2] if src else tag
            self._problem(
                _line_in(text, shown),
                "Body",
                f"the image {shown} says nothing of what it shows (for readers"
                " who cannot see it): write it between the brackets, e.g."
                ' ![Warga mengungsi ke balai desa](...), or as alt="..." of an'
                " <img>",
            )

    def _check_slug_taken(self, header, metadata: dict) -> None:
        """Items are told apart by their slug (translations share their
        original's): two items with one file name in two month folders had
        two addresses but stopped the build with Pelican's "There are 2
        original (not translated) items with slug ..."."""
        if metadata.get("translation") == "true":
            return
        values = {field_key(k): v for k, v, _ in header}
        ident = translation_id(self.settings, self._source_path, values)
        group = "draft" if metadata.get("status") == "draft" else "shown"
        run = _run(self.settings)
        first = run.originals_seen.setdefault((group, ident), self._path)
        if first == self._path:
            return
        line = next((n for k, _, n in header if field_key(k) == "slug"), None)
        name = os.path.basename(self._source_path)
        stem, extension = os.path.splitext(name)
        day = metadata.get("date")
        other = f"{stem}-{day:%Y-%m-%d}{extension}" if day else f"{stem}-2{extension}"
        taken = f'the slug "{ident[0]}"' if line else f'the file name "{name}"'
        self._problem(
            line,
            "Slug" if line else None,
            f"{taken} is also {first}'s: items are told apart by their slug"
            " (a translation shares its original's), whatever their folder;"
            f" give this one another file name (e.g. {other}) or a line"
            " 'Slug: ...'",
        )

    def _check_header_ends_blank(self, text: str, header, body_start: int) -> None:
        """The header ends with a blank line. A line right after it that is
        neither a field nor indented ended it without one: the value above
        was cut there (a summary's second line, not indented) and the rest
        published as the item's text."""
        lines = text.split("\n", body_start + 1)
        if body_start >= len(lines) or not lines[body_start - 1].strip():
            return
        if not lines[body_start].strip():
            return
        shown = lines[body_start].strip()
        shown = shown if len(shown) <= 40 else f"{shown[:39]}…"
        self._problem(
            body_start + 1,
            None,
            f'"{shown}" ends the header without a blank line: indent it if it'
            f" continues {header[-1].key}, or put a blank line before it if the"
            " item's text starts here",
        )

    def _check_characters(self, text: str, header, body_start: int) -> None:
        """Characters no page or feed may carry (XML 1.0 refuses them), each
        line's first by line and column: they are invisible in an editor and
        come with pasted text (Word's line break is U+000B)."""
        keys = {line: key for key, _, line in header}
        lines = text.split("\n")
        for number, line in enumerate(lines, 1):
            found = _CONTROL.search(line)
            if not found:
                continue
            if number > body_start:
                field = "Body"
            else:
                field = keys.get(number) or next(
                    (k for n, k in sorted(keys.items(), reverse=True) if n < number),
                    None,
                )
            self._problem(
                number,
                field,
                f"holds the control character U+{ord(found[0]):04X} at column"
                f" {found.start() + 1}, which no page or feed may carry; delete"
                " it (pasted text brings them: Word's line break is U+000B)",
            )

    def _held(self, header, metadata: dict, draft: bool, is_item: bool) -> bool:
        """Whether the item stays out of this build: a draft of a publish
        build, or an item (or the translation of one) dated after "now"."""
        run = _run(self.settings)
        relative = _under(self._source_path, self.settings["PATH"])
        if draft:
            if not self.settings.get("KILAS_DRAFTS"):
                run.drafts_left_out.append(self._path)
                run.held[relative] = "a draft, left out of this build"
                return True
            return False
        date = metadata.get("date")
        if not is_item or date is None:
            return False
        title = next((v for k, v, _ in header if field_key(k) == "title"), "")
        if date > run.now:
            run.scheduled.append((date, self._path, title))
            run.held[relative] = f"scheduled for {_when(date, self.settings)}"
            return True
        if metadata.get("translation") == "true":
            values = {field_key(k): v for k, v, _ in header}
            ident = translation_id(self.settings, self._source_path, values)
            original = run.originals().get(ident)
            if isinstance(original, datetime):
                run.scheduled.append((original, self._path, title))
                run.held[relative] = f"scheduled for {_when(original, self.settings)}"
                return True
            if original == "draft":  # the translation is a draft with it
                if not self.settings.get("KILAS_DRAFTS"):
                    run.drafts_left_out.append(self._path)
                    run.held[relative] = "the translation of a draft, left out with it"
                    return True
                metadata["status"] = "draft"
                return False
            self._check_original(header, metadata, ident, original)
        modified = metadata.get("modified")
        if modified and modified > run.now:
            line = next(n for k, _, n in header if field_key(k) == "modified")
            self._problem(
                line,
                "Modified",
                f"{modified.isoformat()} is later than the build's time"
                f" ({run.now.isoformat(timespec='minutes')}); Modified is the time"
                " of the last update, which has already happened",
            )
        return False

    def _check_original(self, header, metadata, ident, original) -> None:
        """A translation needs its original, with the same status (Pelican
        sorts published and hidden items apart)."""
        line = next(n for k, _, n in header if field_key(k) == "translation")
        keys = self.settings.get("ARTICLE_TRANSLATION_ID") or "slug"
        if original is None:
            if keys != "slug":
                hint, what = None, f"{keys} {ident}"
            else:
                slugs = [i[0] for i in _run(self.settings).originals() if i[0]]
                hint, what = suggest(ident[0] or "", slugs), f'slug "{ident[0]}"'
            self._problem(
                line,
                "Translation",
                explain(
                    f"is true, but no item that is not a translation has the"
                    f" {what}: a translation takes its original's slug (its"
                    " 'Slug:' line)",
                    "",
                    hint,
                ),
            )
            return
        status = metadata.get("status", "published")
        if original in ("published", "hidden") and status != original:
            self._problem(
                line,
                "Translation",
                f"the original is {original} and this translation {status}:"
                f" give it 'Status: {original}' too",
            )

    def _check_placeholders(self, header, body: str, body_start: int) -> None:
        """A prompt of `invoke new` left in an item that would be published."""
        for key, value, line in header:
            if field_key(key) == "summary" and _holds(value, PLACEHOLDERS["Summary"]):
                self._problem(
                    line,
                    "Summary",
                    f'still holds the prompt "{PLACEHOLDERS["Summary"]} ..." of'
                    " `invoke new`; write the item's summary",
                )
        prompt = PLACEHOLDERS["Body"]
        if _holds(body, prompt):
            lines = enumerate(body.split("\n"), 1)
            line = next((n for n, text in lines if _holds(text, prompt)), 1)
            self._problem(
                body_start + line,
                "Body",
                f'still holds the prompt "{prompt} ..." of `invoke new`;'
                " write the item's text in place of it",
            )

    def _fail(self):
        for problem in self._problems:
            _run(self.settings).add(problem)
        return "", {"status": "skip"}

    def _problem(self, line: int | None, field: str | None, message: str) -> None:
        self._problems.append(Problem(self._path, line, field, message))

    def _decode(self, raw: bytes) -> str | None:
        try:
            text = decode(raw)
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self._problem(
                line,
                None,
                f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset "
                f"{exc.start}); save it as UTF-8 in your editor",
            )
            return None
        if not text.strip():
            self._problem(
                None,
                None,
                "the file is empty; an item starts with a header such as "
                "'Title: ...' then 'Date: ...' (see `invoke new`)",
            )
            return None
        return text

    def _fields_for(self, source_path: str) -> tuple[Field, ...]:
        relative = os.path.relpath(source_path, self.settings["PATH"])
        pages = self.settings["PAGE_PATHS"]
        is_page = any(relative.split(os.sep)[0] == p.strip("/") for p in pages)
        return PAGE_FIELDS if is_page else ITEM_FIELDS

    # -- the contract --------------------------------------------------------
    def _why_cut(self, cut: HeaderEnd, fields: tuple[Field, ...]) -> str:
        """Why the header ended at ``cut.line``, for a message on that line."""
        if cut.text in FRONT_MATTER:
            syntax = FRONT_MATTER[cut.text]
            toml = (
                " and write 'Title: ...', not 'title = ...'" if syntax == "TOML" else ""
            )
            return (
                f'"{cut.text}" starts {syntax} front matter (as in Jekyll or'
                ' Hugo); Kilas reads the header as "Field: value" lines from'
                f' the first line of the file: remove the "{cut.text}" lines{toml}'
            )
        if not cut.text:
            if cut.line == 1:
                return "the file starts with a blank line, which ends the header"
            return "a blank line ends the header here"
        shown = cut.text if len(cut.text) <= 40 else f"{cut.text[:39]}…"
        named = _FIELD_NAME_RE.match(cut.text)
        near = named and suggest(named[1].replace(" ", "_"), [f.name for f in fields])
        hint = f' (did you mean "{near}: ..."?)' if near else ""
        return f'"{shown}" is not a "Field: value" line and ends the header here{hint}'

    def _check_header(
        self, header, fields: tuple[Field, ...], cut: HeaderEnd | None = None
    ) -> dict:
        known = _known(fields)
        seen: dict[str, int] = {}
        metadata: dict = {}
        self._spelled: list[str] = []
        for key, written, line in header:
            name = _field_key(key)
            field = known.get(name)
            if field is None:
                allowed = ", ".join(f.name for f in fields)
                meant = other_name(name)
                if meant and field_key(meant) in known:
                    message = "unknown field; field names are in English"
                    hint = meant
                else:
                    near = suggest(name, list(known))
                    message = "unknown field"
                    hint = known[near].name if near else None
                self._problem(line, key, explain(message, allowed, hint))
                continue
            if name in seen:
                self._problem(
                    line,
                    field.name,
                    f"given twice (first on line {seen[name]}); keep one",
                )
                continue
            seen[name] = line
            # Composed letters (a Mac writes é as e and an accent), and
            # pasted names bring invisible characters (a zero-width space
            # from a web page): a region or a date never means them.
            value = unicodedata.normalize("NFC", written)
            if field.kind not in ("text", "markdown"):
                value = value.translate(_INVISIBLE).strip()
            if not value:
                if field.required:
                    self._problem(line, field.name, "is empty; it is required")
                continue
            try:
                result = self._read_field(field, value, line)
            except _Bad as exc:
                self._problem(line, field.name, str(exc))
                continue
            except _Unchecked:
                self._unchecked = True
                continue
            metadata[ATTRIBUTES.get(name, name)] = result
            if name in _LINES_KEPT:
                _run(self.settings).field_lines[self._path, name] = line
            if name == "story":
                _run(self.settings).story_uses.append((self._path, line, result))
        for name, field in known.items():
            if field.required and name not in seen and not (cut and name in cut.below):
                self._problem(
                    None,
                    field.name,
                    f"is missing; add a line '{field.name}: ...' to the header",
                )
        if cut:
            self._cut_fields(cut, fields, known, seen)
        self._check_together(metadata, seen)
        if self._spelled:
            # How the item spells its tags and story: a new spelling may
            # rename them (name_terms), so kilas.live sees it as a change.
            metadata["kilas_spellings"] = tuple(self._spelled)
        return metadata

    def _read_field(self, field: Field, value: str, line: int):
        """A field's value as the site uses it (a list, repeats dropped,
        for a field of many values); ``_Bad`` when it is not one."""
        self._line = line
        if not field.many:
            return getattr(self, f"_read_{field.kind}")(value)
        split = getattr(self, f"_split_{field.kind}", split_list)
        reader = getattr(self, f"_read_{field.kind}")
        values, bad = [], []
        for each in split(value):
            try:
                values.append(reader(each))
            except _Bad as exc:
                bad.append(str(exc))
        if bad:  # every bad value of the line at once
            raise _Bad("; ".join(bad))
        if not values and field.required:
            raise _Bad(f'"{value}" names no {field.name.lower()}; it is required')
        return list(dict.fromkeys(values))

    def _cut_fields(self, cut: HeaderEnd, fields, known: dict, seen: dict) -> None:
        """One problem for the fields a header ended too early left below it:
        an error when one of them is required, else a notice (they would be
        published as text)."""
        lost = {name: line for name, line in cut.below.items() if name not in seen}
        if not lost:
            return
        names = [f"{known[name].name} (line {line})" for name, line in lost.items()]
        listed = ", ".join(names[:-1]) + " and " * (len(names) > 1) + names[-1]
        problem = Problem(
            self._path,
            cut.line,
            None,
            f"{self._why_cut(cut, fields)}, so {listed} below it"
            f" {'are' if len(names) > 1 else 'is'} read as the item's text",
        )
        if any(known[name].required for name in lost):
            self._problems.append(problem)
        else:
            _run(self.settings).notice(problem)

    def _local(self, value) -> str:
        """A time as the site shows it, in its zone (``2024-12-31 23:15
        WIB``): two times written in other zones (01:15 WIT, 00:30 WITA)
        are compared as readers see them."""
        return _when(
            value.astimezone(self._tz) if value.tzinfo else value, self.settings
        )

    def _check_together(self, metadata: dict, lines: dict[str, int]) -> None:
        date, modified = metadata.get("date"), metadata.get("modified")
        if date and modified and modified < date:
            self._problem(
                lines["modified"],
                "Modified",
                f"{self._local(modified)} is earlier than Date"
                f" {self._local(date)}; Modified is the time of the last update",
            )
        self._check_image(metadata, lines)
        if metadata.get("translation") == "true" and metadata.get("pin") == "true":
            _run(self.settings).notice(
                Problem(
                    self._path,
                    lines["pin"],
                    "Pin",
                    "a translation is in no edition (editions list originals),"
                    " so it leads none: pin its original instead",
                )
            )
        source, cites = metadata.get("source"), metadata.get("cites")
        if source is not None and cites and source in cites:
            # Listed twice on the source's page (digested, and citing it).
            metadata["cites"] = [cited for cited in cites if cited != source]
            _run(self.settings).notice(
                Problem(
                    self._path,
                    lines["cites"],
                    "Cites",
                    f'"{source}" is the item\'s Source; Cites names the outlets'
                    " the source itself relies on, so it is left out there:"
                    " remove it from the line",
                )
            )
        if metadata.get("correction") and not modified:
            _run(self.settings).notice(
                Problem(
                    self._path,
                    lines["correction"],
                    "Correction",
                    "a corrected item says when: add 'Modified:' with the time"
                    " of the correction (the page then says when it was"
                    " corrected, and feeds and search engines see the item"
                    " updated)",
                )
            )

    # -- images (a photo must be a local JPEG, PNG or WebP, or https) ------------
    def _read_image(self, value: str) -> str:
        """``images/x.jpg`` under the content folder, or an https address."""
        from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

        allowed = (
            "a JPEG, PNG or WebP file under content/images/ (e.g. images/banjir.jpg)"
            " or an https:// address"
        )
        shown = value if len(value) <= 80 else value[:77] + "..."
        if re.match(r"^([a-z][a-z0-9+.-]*):|^//", value, re.IGNORECASE):
            parsed = _split(value)
            if parsed is None:
                raise _Bad(explain(f'"{shown}" is no address', allowed, None))
            if parsed.scheme.lower() == "https" and parsed.netloc:
                return _web_address(value)
            web = parsed.scheme.lower() in ("http", "") and parsed.netloc
            hint = f"https://{value.split('//', 1)[1]}" if web else None
            kind = f"{parsed.scheme}:" if parsed.scheme else "no https:"
            raise _Bad(explain(f'"{shown}" is refused ({kind})', allowed, hint))
        relative = value.removeprefix("{static}").lstrip("/")
        content = os.path.realpath(self.settings["PATH"])
        folder = os.path.join(content, "images")
        path = os.path.realpath(os.path.join(content, relative))
        inside = path.startswith(folder + os.sep)
        if not inside or not os.path.isfile(path):
            # Written from the item's folder, as a Markdown link would be?
            beside = os.path.realpath(
                os.path.join(os.path.dirname(self._source_path), relative)
            )
            if beside.startswith(folder + os.sep) and os.path.isfile(beside):
                hint = os.path.relpath(beside, content).replace(os.sep, "/")
            else:
                names = []
                for root, _, files in os.walk(folder):
                    names += [
                        os.path.relpath(os.path.join(root, f), content) for f in files
                    ]
                hint = suggest(relative, names)
            if not inside:
                what = "is not under content/images/ (paths start at content/)"
            else:
                what = f"names no file ({_run(self.settings).display(path)})"
            raise _Bad(explain(f'"{shown}" {what}', allowed, hint))
        extension = os.path.splitext(path)[1].lower()
        if extension not in _IMAGE_TYPES:
            why = (
                "; share cards and resized copies need pixels: export it as PNG"
                if extension == ".svg"
                else ""
            )
            raise _Bad(explain(f'"{value}" is not a photo file{why}', allowed))
        try:
            with Image.open(path) as image:
                found = image.format
        except (UnidentifiedImageError, OSError) as exc:
            raise _Bad(f'"{value}" cannot be read as an image ({exc})') from None
        except Image.DecompressionBombError as exc:
            raise _Bad(f'"{value}" is too large to publish ({exc})') from None
        if found not in _IMAGE_TYPES.values():
            raise _Bad(explain(f'"{value}" holds a {found} image', allowed))
        return relative

    def _check_image(self, metadata: dict, lines: dict[str, int]) -> None:
        """A photo is described and credited; its fields need a photo."""
        bad = any(problem.field == "Image" for problem in self._problems)
        if metadata.get("image") or bad:
            for name, why in (
                ("Image_Alt", "describe the image for readers who cannot see it"),
                ("Image_Credit", "name who took or owns the photo, e.g. Reuters"),
            ):
                if not metadata.get(name.lower()):
                    line = lines.get(name.lower(), lines["image"])
                    self._problem(line, name, f"is missing; {why}")
            return
        for name in ("Image_Alt", "Image_Caption", "Image_Credit"):
            if name.lower() in metadata:
                self._problem(
                    lines[name.lower()],
                    name,
                    "has no photo to describe; add an 'Image:' line or remove it",
                )

    def _read_text(self, value: str) -> str:
        return html.escape(value, quote=False)

    def _read_markdown(self, value: str) -> str:
        """Checked here; rendered (Markdown, typogrify) with the body. Links
        go to web addresses or within the site, nowhere else."""
        for target in summary_links(value, _run(self.settings).renders.options):
            scheme = url_scheme(target)
            if scheme not in (None, "http", "https"):
                raise _Bad(
                    f'the link "{target}" is not allowed; a link in the summary'
                    " goes to an http:// or https:// address or to a page of"
                    " the site (a relative address)"
                )
            if dropped(target):
                raise _Bad(
                    f'the link "{target}" is no address a browser can follow'
                    " (an unclosed [ or a port above 65535?): write it again"
                )
        return value

    def _read_template(self, value: str) -> str:
        """A page's own template: one the theme (or a folder of
        ``THEME_TEMPLATES_OVERRIDES``) has; Pelican said "unable to load"
        with no page named."""
        name = self._read_slug(value.removesuffix(".html"))
        folders = [
            *self.settings.get("THEME_TEMPLATES_OVERRIDES", []),
            os.path.join(self.settings["THEME"], "templates"),
        ]
        if any(os.path.isfile(os.path.join(f, f"{name}.html")) for f in folders):
            return name
        known = sorted(
            entry.removesuffix(".html")
            for folder in folders
            if os.path.isdir(folder)
            for entry in os.listdir(folder)
            if entry.endswith(".html")
        )
        raise _Bad(
            explain(
                f'the theme has no template "{name}.html"',
                "page (the default: leave the field out) or a template of your"
                " own in a folder of THEME_TEMPLATES_OVERRIDES",
                suggest(name, known),
            )
        )

    def _read_slug(self, value: str) -> str:
        if len(value) > _LONGEST_SLUG:
            raise _Bad(
                f'"{value[:40]}…" is too long for an address ({len(value)}'
                f" characters; at most {_LONGEST_SLUG}): keep the main words"
            )
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
            meant = _slugify(self.settings, value.replace("/", " "))
            raise _Bad(
                f'"{value}" is not a slug; use lowercase letters, digits and '
                "hyphens, e.g. "
                + (f'"{meant}"' if meant and meant != value else "banjir-korea-utara")
            )
        return value

    def _read_date(self, value: str) -> datetime:
        """Shown and filed in the site's zone: a page, URL or day never
        depends on the offset an editor happened to write."""
        try:
            return parse_date(value, self._tz)
        except NoSuchDate as exc:
            raise _Bad(
                explain(f'"{value}" is not a date: {exc.why}', "", exc.meant)
            ) from None
        except ValueError:
            raise _Bad(
                explain(
                    f'"{value}" is not a date',
                    "ISO 8601, e.g. 2024-08-04 10:30 or 2024-08-04T10:30+07:00;"
                    " 10.30 and WIB, WITA or WIT are read too",
                    _near_date(value),
                )
            ) from None

    def _read_category(self, value: str) -> str:
        categories = self.settings.get("KILAS_CATEGORIES") or []
        if not categories:
            return value
        for category in categories:
            if category.casefold() == value.casefold():
                return _run(self.settings).wrapper(self, "category", category)
        named = [
            c for part in split_list(value) for c in categories
            if c.casefold() == part.casefold()
        ]  # fmt: skip
        if len(named) > 1:
            raise _Bad(
                f'"{value}": an item has one category; choose one of'
                f" {' or '.join(named)} (the other may be a tag)"
            )
        raise _Bad(
            explain(
                f'unknown category "{value}"',
                f"{', '.join(categories)} (setting KILAS_CATEGORIES)",
                suggest(value, categories),
            )
        )

    def _split_region(self, value: str) -> list[str]:
        """``Georgia, Amerika Serikat`` is one place, not two."""
        return _run(self.settings).regions.split(value)

    def _read_region(self, value: str):
        found = _run(self.settings).regions.resolve(value)
        if found.value is not None:
            return found.value
        if found.ambiguous:
            raise _Bad(
                f'"{value}" is ambiguous: it can mean '
                f"{' or '.join(found.ambiguous)}; write the name or the code "
                "of the one you mean (for a place inside a country: "
                '"Name, Country")'
            )
        if _run(self.settings).regions.unreadable:
            raise _Unchecked(value)
        registry = self.settings.get("KILAS_REGIONS_FILE", "regions.yaml")
        if found.inside is not None:
            raise _Bad(
                f'"{value}" lies in {found.inside.name} and is not a region of '
                f'its own: write "{found.inside.name}", or add {value} to '
                f"content/{registry} with parent: {found.inside.code} to give "
                "it a page"
            )
        raise _Bad(
            explain(
                f'unknown region "{value}"',
                "a country, province or area by its Indonesian or English name "
                "or newsroom abbreviation (Korea Utara, North Korea, Korut, "
                "Jabar), an ISO code (KP, ID-JB, US-GA), a place inside a "
                'country as "Name, Country" (Georgia, Amerika Serikat), a '
                f"grouping (ASEAN, Timur Tengah), or a place added to "
                f"content/{registry}",
                found.suggestion,
            )
        )

    def _read_source(self, value: str):
        found = _run(self.settings).sources.resolve(value)
        if found.value is not None:
            return found.value
        if _run(self.settings).sources.unreadable:
            raise _Unchecked(value)
        registry = self.settings.get("KILAS_SOURCES_FILE", "sources.yaml")
        if "://" in value:
            named = (
                f'write "{found.suggestion}" here'
                if found.suggestion
                else (f"name the outlet (as in content/{registry})")
            )
            raise _Bad(
                f'"{value}" is an address, not a source: {named}, and put the'
                " address of the report in 'Source_URL:'"
            )
        raise _Bad(
            explain(
                f'unknown source "{value}"',
                f"a name or alias listed in content/{registry} (add new sources there)",
                found.suggestion,
            )
        )

    def _read_story(self, value: str) -> Story:
        name = " ".join(value.split())
        return self._term("story", name, lambda: Story(name, self.settings))

    def _split_tag(self, value: str) -> list[str]:
        """Tags are words: ``;`` and ``,`` both end one (Pelican would split
        a tag holding a comma again, and keep the first part)."""
        return split_list(value.replace(";", ","))

    def _read_tag(self, value: str):
        """A tag as a hashtag (``#banjir``) is the tag (``banjir``): one
        page, one name."""
        name = value.lstrip("#").strip()
        if not name:
            raise _Bad(f'"{value}" is not a tag; write a word, e.g. banjir')
        run = _run(self.settings)
        return self._term("tags", name, lambda: run.wrapper(self, "tags", name)[0])

    def _term(self, kind: str, name: str, make):
        """The one tag or story at the address ``name`` gives (names that
        differ only in case, spaces or symbols share it), its use recorded;
        ``_Bad`` when nothing of ``name`` is left for an address."""
        run = _run(self.settings)
        term = run.term_names.get((kind, name))
        if term is None:
            what = _TERM_KINDS[kind]
            regex_subs = self.settings.get(
                f"{what.upper()}_REGEX_SUBSTITUTIONS",
                self.settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
            )
            slug = slugify(
                name,
                regex_subs=regex_subs,
                preserve_case=self.settings.get("SLUGIFY_PRESERVE_CASE", False),
                use_unicode=self.settings.get("SLUGIFY_USE_UNICODE", False),
            )
            if not any(c.isalnum() for c in slug):
                raise _Bad(
                    f'"{name}" gives the {what.lower()} no address: without its'
                    " symbols and emoji nothing is left for the URL; write it"
                    " in words, e.g. "
                    + ("banjir" if kind == "tags" else "Banjir Jakarta 2024")
                )
            if len(slug.encode()) > _LONGEST_SLUG:
                raise _Bad(
                    f'"{name[:40]}…" is too long for an address ({len(name)}'
                    f" characters): a {what.lower()} is a name, not a sentence"
                )
            made = make()
            term = run.terms.setdefault((kind, made.slug), made)
            run.term_names[kind, name] = term
        run.term_uses.append((kind, term.slug, name, self._path, self._line))
        self._spelled.append(f"{kind}:{name}")
        return term

    def _read_author(self, value: str):
        if not any(c.isalnum() for c in _slugify(self.settings, value)):
            raise _Bad(
                f'"{value}" is not a name; write who wrote it, e.g. Redaksi Kilas'
            )
        return _run(self.settings).wrapper(
            self, "author", html.escape(value, quote=False)
        )

    def _read_url(self, value: str) -> str:
        """An http(s) address, with what a pasted address may hold that an
        address may not (spaces, quotes, ``<``, non-ASCII letters) percent-
        encoded as a browser sends it: every page and feed then holds a
        valid link."""
        parsed = _split(value)
        if (
            parsed is None
            or parsed.scheme not in ("http", "https")
            or not parsed.hostname
        ):
            hint = None
            if (
                parsed is not None
                and not parsed.scheme
                and re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", value)
            ):
                hint = f"https://{value}"
            raise _Bad(
                explain(
                    f'"{value}" is not a web address; only http:// and https://'
                    " links are allowed",
                    "",
                    hint,
                )
            )
        return _web_address(value)

    def _read_lang(self, value: str) -> str:
        """A language code as CLDR writes it (``EN`` is ``en``): the item's
        address, its page's ``lang`` and its interface language follow it."""
        try:
            locale = Locale.parse(value.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            why = language_problem(value) or ""
            hint = why.partition("Did you mean ")[2]
            hint = f" Did you mean {hint}" if hint else ""
            raise _Bad(
                f'"{value}" is not a language code; use e.g. id or en.{hint}'
            ) from None
        # The site's language as spoken where it mostly is (id-ID on an
        # Indonesian site) is the site's language, not a foreign one
        # published under /id-ID/.
        site = str(self.settings.get("DEFAULT_LANG") or "")
        if locale.language == site and not locale.script:
            likely = get_global("likely_subtags").get(site, "")
            if locale.territory in (None, likely.rpartition("_")[2]):
                return site
        return str(locale).replace("_", "-")

    def _read_boolean(self, value: str) -> str:
        """Pelican compares these as the strings "true" and "false"."""
        if value.casefold() not in BOOLEANS:
            raise _Bad(
                explain(
                    f'"{value}" is not true or false',
                    "true, false (or yes, no, ya, tidak)",
                )
            )
        return "true" if BOOLEANS[value.casefold()] else "false"

    def _read_status(self, value: str) -> str:
        if value.casefold() not in STATUSES:
            raise _Bad(
                explain(
                    f'"{value}" is not a status',
                    ", ".join(STATUSES),
                    STATUS_WORDS.get(value.casefold())
                    or suggest(value, list(STATUSES)),
                )
            )
        return value.casefold()


@functools.cache
def _known(fields: tuple[Field, ...]) -> dict[str, Field]:
    """The fields of a table by their normalized name (tables never change)."""
    return {field_key(f.name): f for f in fields}


# Editors write the same few field names in every header.
_field_key = functools.lru_cache(maxsize=1024)(field_key)


@functools.cache
def _date_words() -> dict[str, str]:
    """Indonesian month names (CLDR's, through Babel, and the old spellings
    newsrooms still write) in English for dateutil; weekday names dropped."""
    indonesian, english = Locale.parse("id"), Locale.parse("en")
    words = {"agt": "August", "ags": "August", "peb": "February", "nop": "November"}
    words |= {"pebruari": "February", "nopember": "November", "jum'at": "", "ahad": ""}
    words |= {"pukul": "", "pkl": "", "pk": "", "jam": ""}  # "pukul 10.30": at
    for width in ("wide", "abbreviated"):
        for number, name in indonesian.months["format"][width].items():
            words[name.casefold().rstrip(".")] = english.months["format"]["wide"][
                number
            ]
        for name in indonesian.days["format"][width].values():
            words[name.casefold().rstrip(".")] = ""
    return words


@functools.cache
def _english_date_words() -> frozenset[str]:
    """Words dateutil reads in a date: English month and weekday names of
    every width (CLDR's, through Babel), the ISO separator, UTC, AM and PM."""
    english = Locale.parse("en")
    names = {"t", "z", "utc", "gmt", "am", "pm", "sept"}
    for width in ("wide", "abbreviated"):
        names |= {n.casefold() for n in english.months["format"][width].values()}
        names |= {n.casefold() for n in english.days["format"][width].values()}
    return frozenset(names)


_ZONE_AT_END = re.compile(r"\s*\b(WIB|WITA|WIT)\b\.?$", re.IGNORECASE)
_DOTTED_TIME = re.compile(r"(?<!\S)(\d{1,2})\.(\d{2})(?!\S)")
_YEAR_FIRST = re.compile(r"^(\d{4})\D+(\d{1,2})\D+(\d{1,2})(?!\d)")
# "GMT+7", "UTC+07:00": as editors mean it, seven hours ahead (dateutil
# reads "GMT+7" as POSIX zones do: seven hours behind).
_GMT_OFFSET = re.compile(
    r"\s*\b(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\b", re.IGNORECASE
)
# ISO 8601's basic form: 20240804, 20240804T1030.
_BASIC_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2}))?(?=\s|$|Z|[+-])")


def _near_date(value: str) -> str | None:
    """The date meant by a value written another way, in a form the contract
    takes, when every part of the date was written: "Minggu, 4 Agustus 2024
    10.30 WIB", "4/8/2024" (day first, as Indonesian writes it), "2024-8-4
    9:05" (year first: never read as April)."""
    import warnings  # noqa: PLC0415

    from dateutil import parser  # noqa: PLC0415

    text = value.strip()
    basic = _BASIC_DATE.match(text)
    if basic:
        year, month, day, hour, minute = basic.groups()
        written = f"{year}-{month}-{day}" + (f" {hour}:{minute}" if hour else "")
        text = written + text[basic.end() :]
    text = _GMT_OFFSET.sub(
        lambda m: f" {m[1]}{int(m[2]):02d}:{m[3] or '00'}", text
    ).strip()
    zone = _ZONE_AT_END.search(text)
    if zone:
        text = text[: zone.start()]
    text = _DOTTED_TIME.sub(r"\1:\2", text)
    words = _date_words()
    text = "".join(
        words.get(p.casefold(), p) for p in re.split(r"([^\W\d]+'?\w*)", text)
    )
    english = _english_date_words()
    if any(w.casefold() not in english for w in re.findall(r"[^\W\d_]+", text)):
        return None  # a word not of a date ("kemarin", a zone such as PST)
    year_first = _YEAR_FIRST.match(text)
    dates = []
    for default in (datetime(2000, 1, 1), datetime(2001, 2, 2)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dates.append(
                    parser.parse(
                        text,
                        default=default,
                        dayfirst=not year_first,
                        yearfirst=bool(year_first),
                    )
                )
        except (ValueError, OverflowError):
            return None
    if dates[0].date() != dates[1].date():
        return None  # a part of the date was not written
    date = dates[0]
    if year_first and (date.month, date.day) != tuple(
        map(int, year_first.groups()[1:])
    ):
        return None  # "2024-13-01": not a date with month and day swapped
    shown = date.strftime("%Y-%m-%d %H:%M")
    if date.tzinfo is not None:
        offset = date.strftime("%z")
        return f"{date:%Y-%m-%dT%H:%M}{offset[:3]}:{offset[3:]}"
    return f"{shown} {zone[1].upper()}" if zone else shown


# Pelican's warnings of what the contract says itself, on its line: the
# items of a slug all translations (an original it refused leaves its
# translation alone; an orphan translation is its own error), and a slug
# made of nothing (a tag of symbols; a link to {static}/../x names a
# category "..").
_SAID_BY_THE_CONTRACT = ('All items ("%s")', "Unable to generate valid slug")


class _HeldWarnings(logging.Filter):
    """Pelican's warnings of ``_SAID_BY_THE_CONTRACT``, held until every item
    is read and checked (``release``): dropped when the run found problems
    (they are then a second, vaguer message of one), else logged. One per
    build: ``start_run`` replaces the last build's."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] | None = []

    def filter(self, record: logging.LogRecord) -> bool:
        if self.held is None or not str(record.msg).startswith(_SAID_BY_THE_CONTRACT):
            return True
        self.held.append(record)
        return False

    def release(self, problems: bool) -> None:
        held, self.held = self.held or [], None
        for record in [] if problems else held:
            logging.getLogger(record.name).handle(record)


# -- signal receivers ----------------------------------------------------------
def start_run(pelican) -> None:
    """A new build starts: its "now", the files of the site, fresh
    registries, no problems.

    Typogrify moves from Pelican's read step into ours, where its result is
    cached with the Markdown output instead of being recomputed every build.
    """
    settings = pelican.settings
    apply_defaults(settings, DEFAULTS)
    check(settings, RULES, "kilas_contract", ContractSettingError)
    # One "now" for the whole build: kilas_seo's news sitemap reads it too.
    settings["KILAS_NOW"] = build_now(settings)
    if settings.get("TYPOGRIFY"):
        settings["TYPOGRIFY"] = False
        settings["KILAS_TYPOGRIFY"] = True
    run = _Run(settings)
    state(settings).set(__name__, run)
    run.quiet = _HeldWarnings()
    for name in ("pelican.utils", "pelican.urlwrappers"):
        pelican_logger = logging.getLogger(name)
        for old in [f for f in pelican_logger.filters if isinstance(f, _HeldWarnings)]:
            pelican_logger.removeFilter(old)
        pelican_logger.addFilter(run.quiet)


def add_reader(readers) -> None:
    """Read every Markdown file through the contract, whatever the case of its
    extension (discovery lists the files; Pelican picks a reader by suffix)."""
    suffixes = {
        os.path.splitext(path)[1][1:]
        for path in _run(readers.settings).discovery.markdown
    } | set(ItemReader.file_extensions)
    for suffix in suffixes:
        readers.reader_classes[suffix] = ItemReader


def use_discovery(generator) -> None:
    """Every generator reads the files discovery found, not its own walk."""
    run = _run(generator.settings)
    generator.get_files = _DiscoveredFiles(run.discovery)
    if isinstance(generator, ArticlesGenerator):
        run.env = generator.env


class _DiscoveredFiles:
    """``Generator.get_files(paths, exclude=None, extensions=None)``."""

    def __init__(self, discovery) -> None:
        self.discovery = discovery

    def __call__(self, paths, exclude=None, extensions=None) -> set[str]:
        del exclude  # discovery applied the *_EXCLUDES settings
        return _InPathOrder(self.discovery.files(paths, extensions))


class _InPathOrder(set):
    """A set of paths (Pelican unites it with others) that is gone through
    in order of path: a plain set's order changes from process to process,
    and items are read (and named, and reported) in that order."""

    def __iter__(self):
        return iter(sorted(set.__iter__(self)))


def add_source_links(context, feed) -> None:
    """A feed entry of an item with Source_URL ends with the same "Read the
    original report at <source>" link as its page (partials/source_link.html)."""
    run = _run(context)
    if run.env is None:
        return
    if run.feed_links is None:
        run.feed_links = {}
        base = context.get("SITEURL") or ""
        base = base if base.endswith("/") else base + "/"
        for content in context["generated_content"].values():
            if getattr(content, "source_url", None):
                run.feed_links[urljoin(base, str(content.url))] = content
    template = run.env.get_template("partials/source_link.html")
    for entry in feed.items:
        item = run.feed_links.get(entry["link"])
        if item is None:
            continue
        # The entry's words in its item's language when the theme speaks it
        # (kilas_i18n reads `article`), as on the item's page.
        link = template.render(item=item, article=item, **run.settings)
        for key in ("description", "content"):
            if entry.get(key):
                entry[key] = f"{entry[key]}\n{link.strip()}"


def check_urls(generators) -> None:
    """Two items must not write the same page; then fail once if needed.
    Items held back are listed (a notice, not a problem)."""
    owners: dict[str, tuple[str, bool]] = {}
    run = _run(generators[0].settings)
    # Pelican records every item and page it read in the shared context.
    for _, content in sorted(generators[0].context["generated_content"].items()):
        save_as = content.save_as
        path = run.display(content.source_path)
        if not any(c.isalnum() for c in getattr(content, "slug", None) or ""):
            # A file name (or title) of symbols or emoji only: the item
            # would take its folder's address (/2024/08/) or "--".
            name = os.path.basename(content.source_path)
            by_title = _slugify(run.settings, getattr(content, "title", "") or "")
            hint = f" (e.g. {by_title}{os.path.splitext(name)[1]})" if by_title else ""
            run.add(
                Problem(
                    path,
                    None,
                    None,
                    f'the file name "{name}" gives no address: without its'
                    " symbols nothing is left for the URL; rename the"
                    f" file{hint} or add a line 'Slug: ...'",
                )
            )
            continue
        translation = _is_true(str(content.metadata.get("translation", "")))
        if save_as in owners and owners[save_as][0] != path:
            run.add(_same_page(content, path, translation, owners[save_as]))
        owners.setdefault(save_as, (path, translation))
    _check_linked_files(run, generators)
    _note_near_stories(run)
    _note_written_twice(run, generators[0].context)
    _check_translations_agree(run, generators[0].context)
    run.renders.save()
    _report_held(run)
    run.quiet.release(bool(run.problems))
    if run.problems:
        raise ContentError(run.problems)


def name_terms(generator) -> None:
    """Name each tag and story after the spelling most of its items use
    (published and hidden originals first, in the site's language; then
    their translations; then the newest item's): the same
    name whatever order the files are read in. Spellings that differ in
    more than case and spaces (``C++`` and ``C#``, ``Kim Jong Un`` and
    ``Kim Jong-un``) get a notice: they are one tag, with one page."""
    if not isinstance(generator, ArticlesGenerator):
        return
    run = _run(generator.settings)
    public = [
        *generator.articles,
        *generator.translations,
        *generator.hidden_articles,
        *generator.hidden_translations,
    ]
    drafts = [*generator.drafts, *generator.drafts_translations]
    dates = {run.display(c.source_path): c.date for c in (*public, *drafts)}
    shown = {run.display(c.source_path) for c in public}
    originals = {
        run.display(c.source_path)
        for c in (*generator.articles, *generator.hidden_articles)
    }
    spellings: dict[tuple[str, str], dict[str, list]] = {}
    for kind, slug, name, path, line in run.term_uses:
        if path in dates:
            spellings.setdefault((kind, slug), {}).setdefault(name, []).append(
                (path, line)
            )
    for key, names in spellings.items():

        def rank(name: str, names=names) -> tuple:
            paths = {path for path, _ in names[name]}
            newest = max(dates[path] for path in paths)
            return (
                -len(paths & originals),
                -len(paths & shown),
                -len(paths),
                -newest.timestamp(),
                min(paths),
            )

        chosen = min(names, key=rank)
        term = run.terms[key]
        slug = term.slug
        term.name = chosen
        term.slug = slug
        plain = {" ".join(name.casefold().split()) for name in names}
        if len(plain) > 1:
            _note_spellings(run, key[0], term, chosen, names)


def _note_spellings(run: _Run, kind: str, term, chosen: str, names: dict) -> None:
    """One notice for a tag or story spelt in ways that share its address."""
    others = sorted(name for name in names if name != chosen)
    path, line = min(names[others[0]])
    field = "Tags" if kind == "tags" else "Story"
    what, many = ("tag", "tags") if kind == "tags" else ("story", "stories")
    listed = ", ".join(f'"{name}" ({_where(names[name], path)})' for name in others)
    verb = "are" if len(others) > 1 else "is"
    run.notice(
        Problem(
            path,
            line,
            field,
            f'{listed} {verb} shown as "{chosen}", the name of /{term.url}:'
            f" {many} whose names differ only in symbols, case or spaces are one"
            f" {what} with one page; write the name one way",
        )
    )


def _where(uses: list[tuple[str, int]], here: str) -> str:
    """Where a spelling is first used, as seen from a notice on ``here``."""
    path, line = min(uses)
    return f"line {line}" if path == here else f"{path}:{line}"


def _note_near_stories(run: _Run) -> None:
    """A story named by one item only, whose name is a letter or two from a
    story of other items, is most likely that story misspelt: a notice on
    its line (a new story is no mistake, so never a failure). Names with
    other numbers are other stories (Pemilu 2019, Pemilu 2024)."""
    uses: dict[str, list[tuple[str, int, Story]]] = {}
    for use in run.story_uses:
        uses.setdefault(use[2].slug, []).append(use)
    items = {slug: len({use[0] for use in found}) for slug, found in uses.items()}
    shared = [slug for slug, count in items.items() if count > 1]
    for slug, found in uses.items():
        if items[slug] != 1:
            continue
        digits = re.findall(r"\d+", slug)
        others = [o for o in shared if re.findall(r"\d+", o) == digits]
        near = difflib.get_close_matches(slug, others, n=1, cutoff=0.85)
        if near:
            path, line, story = found[0]
            meant = uses[near[0]]
            run.notice(
                Problem(
                    path,
                    line,
                    "Story",
                    f'"{story.name}" is a story of this item alone, beside'
                    f' "{meant[0][2].name}" ({items[near[0]]} items): if the item'
                    " belongs to it, write the story's name as they do",
                )
            )


def _same_page(content, path: str, translation: bool, owner) -> Problem:
    """Two files at one address: two translations into one language, a
    translation without its own language, or two items."""
    other, other_translates = owner
    if translation and other_translates:
        why = (
            f"this file and {other} are both the {content.lang} translation of"
            " one item (the same Slug and Lang): keep one of them"
        )
        return Problem(path, None, "Slug", why)
    if translation or other_translates:  # named on the translation
        original, path = (other, path) if translation else (path, other)
        why = (
            f"this translation and its original {original} share the language"
            f" ({content.lang}): give the translation a line 'Lang:' with its"
            " own language, e.g. Lang: en"
        )
        return Problem(path, None, "Lang", why)
    why = (
        f"writes the same page ({content.save_as}) as {other}; change the"
        " Title or add a distinct 'Slug:' line"
    )
    return Problem(path, None, "Slug", why)


def _check_linked_files(run: _Run, generators) -> None:
    """A file an item links to ({static}, {attach}) is published even when it
    is outside the static folders: never a hidden or editor file, nor one
    outside the content folder (through ``..`` or a link)."""
    content = os.path.realpath(run.settings["PATH"])
    found = set(run.discovery.static)
    for generator in generators:
        for static in getattr(generator, "staticfiles", []):
            relative = static.relative_source_path
            if relative in found:
                continue
            real = os.path.realpath(static.source_path)
            parts = Path(relative).parts
            if not (real == content or real.startswith(content + os.sep)):
                why = "lies outside the content folder"
            elif ".." in parts or any(map(is_editor_file, parts)):
                why = "is a hidden or editor file"
            else:
                continue
            run.add(
                Problem(
                    run.display(static.source_path),
                    None,
                    None,
                    f"an item links to this file, which {why}: it is never"
                    " published; link a file under the static folders instead",
                )
            )


# A link Pelican resolves ({static}/images/x.jpg), and what it links.
_SITE_FILE = re.compile(
    r"^(?:\{(filename|static|attach)\}|\|(filename|static|attach)\|)"
)
# Any of Pelican's link words ({tag}, {index}...), or a misspelt one.
_LINK_WORD = re.compile(r"^(?:\{(\w+)\}|\|(\w+)\|)")
_LINK_WORDS = ("filename", "static", "attach", "index", "tag", "category", "author")
# An address a body may hold as it is: a scheme, a fragment, another host.
_ADDRESS = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:|#|//|\?")


def linked_values(html_text: str):
    """Each ``(attribute, value)`` of the hrefs and srcs of ``html_text``
    but web addresses (quickly: ``str.find``, not a regular expression over
    the whole text)."""
    for attribute in ("href", "src"):
        opening = f'{attribute}="'
        start = html_text.find(opening)
        while start != -1:
            start += len(opening)
            end = html_text.find('"', start)
            if end == -1:
                break
            value = html_text[start:end]
            # An attribute of a tag, not words about one (`<a href="/x/">` in
            # a code span is text: its "<" is escaped, so no tag is open).
            in_tag = html_text.rfind("<", 0, start) > html_text.rfind(">", 0, start)
            if in_tag and not value.startswith(("https://", "http://")):
                yield attribute, html.unescape(value)
            start = html_text.find(opening, end)


def check_body_links(generator) -> None:
    """Every file a body or summary links is in content/: a {static} or
    {filename} link to a missing file, and a path written as the editor's
    Markdown preview reads it (``../../images/x.jpg``, ``/images/x.jpg``,
    ``lain.md``), which the page's address would break, are named on their
    line with the link to write. Runs when items and pages are read, before
    the static files linked are looked for (a missing one stopped the build
    with its path alone)."""
    if not isinstance(generator, PagesGenerator):
        return
    run = _run(generator.settings)
    links = generator.context.setdefault("static_links", set())
    for content in list(generator.context["generated_content"].values()):
        folder = os.path.dirname(content.relative_source_path)
        parts = [("Body", getattr(content, "_content", None) or "")]
        parts.append(("Summary", content.metadata.get("summary") or ""))
        for field, text in parts:
            for attribute, value in linked_values(text):
                problem = _linked_file_problem(run, value, folder, links)
                if problem is None and attribute == "src":
                    problem = _missing_image(run, value, folder)
                if problem is None and attribute == "src":
                    problem = _unreadable_image(run, value, folder)
                if problem:
                    path = run.display(content.source_path)
                    run.add(
                        Problem(path, _line_holding(content.source_path, value),
                                field, problem)
                    )  # fmt: skip
                elif value.startswith("/") and not value.startswith("//"):
                    # An address from the site's root: checked once the
                    # site is written (check_site_links).
                    run.root_links.append((content, field, value))
        if content.url:
            run.page_sources["/" + content.url] = content.relative_source_path


def check_site_links(pelican, **_) -> None:
    """A body's or summary's link from the site's root (``/tentang/``) leads
    to a page the build wrote, inside the site: a page that is not there
    (``/halaman-hilang/``) was found only when publishing, and on a site
    under a path (``https://user.github.io/kilas``) every such link leads
    out of it. Named with the ``{filename}`` link to write when a page has
    that address."""
    run = state(pelican.settings).get(__name__)
    if run is None or not run.root_links:
        return
    output = Path(pelican.output_path)
    base = (_split(pelican.settings.get("SITEURL") or "") or urlsplit("")).path
    base = base.rstrip("/")
    for content, field, value in run.root_links:
        parts = _split(value)
        path = unquote(parts.path) if parts else value
        inside = path == base or path.startswith(base + "/")
        relative = path[len(base) :].lstrip("/") if inside else path.lstrip("/")
        found = (
            not relative
            or (output / relative).is_file()
            or (output / relative / "index.html").is_file()
        )
        if found and inside:
            continue
        source = run.page_sources.get("/" + relative)
        if found:
            # A page of no file (a region's): the address from the item's own.
            here = "/" + (content.url or "")
            away = posixpath.relpath("/" + relative, here.rstrip("/") or "/")
            away += "/" if relative.endswith("/") or not relative else ""
            if field == "Summary":  # shown on list pages too: the full address
                away = f"{pelican.settings['SITEURL']}{path}"
            write = f"{{filename}}/{source}" if source else away
            problem = (
                f"links to {value} from the root of the domain, but the site"
                f" is at {base}/: the link leads out of it; write {write}"
            )
        else:
            near = difflib.get_close_matches(
                "/" + relative, list(run.page_sources), n=1
            )
            hint = (
                f"; did you mean {{filename}}/{run.page_sources[near[0]]}?"
                if near
                else ""
            )
            problem = f"links to {value}, which is no page of the site{hint}"
        body = field == "Body"
        line = next(
            filter(None, (_line_holding(content.source_path, needle, body)
                          for needle in (f"]({value})", f'"{value}"', value))),
            None,
        )  # fmt: skip
        run.add(Problem(run.display(content.source_path), line, field, problem))


def _missing_image(run: _Run, value: str, folder: str) -> str | None:
    """An image by a relative path that is no file of content/: a page is
    a folder of its own (``2024/08/x/``), so such a picture is missing."""
    if value.startswith(("/", "{", "|")) or _ADDRESS.match(value):
        return None
    parts = _split(value)
    if parts is None:
        return None  # no address: checked as a link (_linked_file_problem)
    wanted = os.path.basename(unquote(parts.path))
    near = difflib.get_close_matches(
        wanted, [os.path.basename(f) for f in run.discovery.static], n=1
    )
    found = [f for f in run.discovery.static if near and f.endswith("/" + near[0])]
    hint = f"; did you mean {{static}}/{found[0]}?" if found else ""
    return (
        f'the image "{value}" is no file of content/ (an image of content/'
        f" is linked as {{static}}/images/...){hint}"
    )


# Pictures a browser draws from their bytes: each is decoded once a run.
_PICTURES = (*_IMAGE_TYPES, ".gif", ".bmp", ".ico", ".tif", ".tiff")


def _unreadable_image(run: _Run, value: str, folder: str) -> str | None:
    """An image a text shows (``{static}/images/x.jpg``) that no browser can
    draw: cut short by a copy, or no picture at all (a page of text saved as
    ``.png``). The browser shows a broken image where the editor's preview
    may show part of it; a photo in ``Image:`` was already refused so."""
    marked = _SITE_FILE.match(value)
    if marked is None and (value.startswith(("{", "|", "/")) or _ADDRESS.match(value)):
        return None
    parts = _split(value[marked.end() :] if marked else value)
    if parts is None:
        return None
    path = unquote(parts.path)
    if not path.casefold().endswith(_PICTURES):
        return None  # SVG, or a document: no pixels to check
    root = run.settings["PATH"]
    inside = path[1:] if path.startswith("/") else os.path.join(folder, path)
    file = os.path.normpath(os.path.join(root, inside))
    if not file.startswith(os.path.join(os.path.normpath(root), "")):
        return None  # outside content/: _check_linked_files names it
    if file not in run.images_read:
        run.images_read[file] = _decode(file)
    why = run.images_read[file]
    if why is None:
        return None
    if why.startswith("cannot identify"):
        return (
            f'the image "{value}" holds no picture a browser can show ({why}):'
            " export the picture again as JPEG, PNG or WebP"
        )
    return (
        f'the image "{value}" cannot be shown whole ({why}): the file is'
        " damaged or cut short; open it in an image editor and export it"
        " again, or copy it again from where it came"
    )


def _decode(file: str) -> str | None:
    """Why the picture in ``file`` cannot be decoded (None: it can, or the
    file is not there: another check names that)."""
    if not os.path.isfile(file):
        return None
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    try:
        with Image.open(file) as image:
            image.load()
    except Image.DecompressionBombError:
        return None  # drawn by browsers; too large is the photo checks' word
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return str(exc).replace(file, os.path.basename(file))
    return None


def _linked_file_problem(run: _Run, value: str, folder: str, links: set) -> str | None:
    """What is wrong with a body's link to ``value`` (None when nothing):
    ``folder`` is the linking file's, ``links`` Pelican's static links."""
    root = run.settings["PATH"]
    word = _LINK_WORD.match(value)
    if word and (word[1] or word[2]) not in _LINK_WORDS:
        near = difflib.get_close_matches(word[1] or word[2], _LINK_WORDS, n=1)
        meant = f"{{{near[0]}}}{value[word.end() :]}" if near else None
        return explain(
            f"{value}: {word[0]} is not a link Pelican knows",
            "{static} (images, documents), {filename} (items, pages), {attach},"
            " {tag}, {category}, {author}, {index}",
            meant,
        )
    marked = _SITE_FILE.match(value)
    rest = value[marked.end() :] if marked else value
    if not marked and (
        not value or value.startswith(("{", "|")) or _ADDRESS.match(value)
    ):
        return None
    parts = _split(rest)
    if parts is None:
        return f"{value} is no address a browser can follow: write the link again"
    path = unquote(parts.path)
    if not path:
        return None
    inside = (
        path[1:]
        if path.startswith("/")
        else os.path.normpath(os.path.join(folder, path))
    )
    candidates = [inside]
    if not marked and not path.startswith("/"):
        candidates.append(os.path.normpath(path))  # from content/, as typed
    found = next(
        (
            c for c in candidates
            if not c.startswith("..") and os.path.isfile(os.path.join(root, c))
        ),
        None,
    )  # fmt: skip
    if marked:
        what = marked[1] or marked[2]
        if (
            found
            and what == "filename"
            and not found.casefold().endswith((".md", ".markdown"))
        ):
            return (
                f"links to {value}, a file that is no item or page: images and"
                f" documents take {{static}}; write {{static}}{rest}"
            )
        if what == "filename" and inside in run.held:
            return (
                f"links to {path}, which is {run.held[inside]}: the link would"
                " lead nowhere; link it once it is published, or hold this item"
                " back too"
            )
        if found or os.path.isfile(os.path.join(root, inside)):
            return None  # (one outside content/ is _check_linked_files' to name)
        links.discard(inside)  # Pelican would stop on it, path alone
        known = [*run.discovery.markdown, *run.discovery.static]
        near = difflib.get_close_matches(inside, known, n=1, cutoff=0.6)
        hint = f"; did you mean {value[: marked.end()]}/{near[0]}?" if near else ""
        return f"links to {value}, which is no file in content/{hint}"
    markdown = path.casefold().endswith((".md", ".markdown"))
    if not (found or markdown):
        return None
    if found:
        kind = "filename" if markdown else "static"
        return (
            f'"{value}" is a path to a file in content/, not an address of the'
            f" site (the page is published elsewhere): the link would break;"
            f" write {{{kind}}}/{found}"
        )
    return (
        f'"{value}" links a Markdown file that is not in content/; write'
        " {filename}/ and the item's path from content/, e.g."
        " {filename}/items/2024/08/banjir.md"
    )


_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT = re.compile(r"""\salt\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
_SRC = re.compile(r"""\ssrc\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)


def _line_in(text: str, needle: str) -> int | None:
    """The first line of ``text`` holding ``needle``."""
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at != -1 else None


def _line_holding(path: str, needle: str, body: bool = False) -> int | None:
    """The first line of the file at ``path`` holding ``needle`` (in its
    body, after the header's first blank line, when ``body``)."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if body:
                    body = bool(line.strip())
                elif needle in line:
                    return number
    except (OSError, UnicodeDecodeError):
        pass
    return None


# What a shared link adds to a report's address: the same report.
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|igshid|mc_\w+|_ga|ref|amp)$", re.I)


def report_key(url: str) -> str:
    """A report's address as two copies of it differ least: no scheme, no
    ``www.``, no fragment, no tracking parameters (``utm_source``), no
    ``/amp`` or final slash."""
    parts = _split(url)
    if parts is None:
        return url
    host = (parts.hostname or "").removeprefix("www.")
    path = re.sub(r"/(amp/?)?$", "", parts.path)
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and not _TRACKING.match(pair.partition("=")[0])
    )
    return f"{host}{path}?{query}" if query else f"{host}{path}"


def _names(value) -> str:
    values = value if isinstance(value, list) else [value]
    return "; ".join(str(getattr(v, "name", v)) for v in values)


def _ids(value) -> frozenset:
    values = value if isinstance(value, list) else [value]
    return frozenset(getattr(v, "slug", v) for v in values if v is not None)


def _check_translations_agree(run: _Run, context) -> None:
    """A translation is the same news in another language: filed under its
    original's category, about the same places, from the same source (its
    Story and Cites, when it names them, the original's too). One that
    differed linked to a category page no item has and stood apart from
    its original in every list."""
    for original in (
        context.get("articles", [])
        + context.get("hidden_articles", [])
        + context.get("drafts", [])
    ):
        first = run.display(original.source_path)
        for translation in original.translations:
            path = run.display(translation.source_path)
            for field, attr, may_omit in _SHARED:
                theirs = getattr(translation, attr, None)
                ours = getattr(original, attr, None)
                if (may_omit and not theirs) or _ids(theirs) == _ids(ours):
                    continue
                label = field.capitalize()
                if ours:
                    has, fix = f'"{_names(ours)}"', f"write '{label}: {_names(ours)}'"
                    if field == "region":
                        fix += " (or the same places in its language)"
                else:
                    has, fix = "none", f"leave '{label}:' out"
                run.add(
                    Problem(
                        path,
                        run.field_lines.get((path, field)),
                        label,
                        f'is "{_names(theirs)}", but its original {first} has'
                        f" {has}: a translation is the same news in another"
                        f" language, filed and linked with its original; {fix}",
                    )
                )


def _note_written_twice(run: _Run, context) -> None:
    """One piece of news written up twice: two items digesting one report
    (the same Source_URL, shared links' extras aside), or two items of one
    day under one headline (case, spaces and typography aside). A notice on
    the later one's line. (The lists hold no translation: they share their
    original's report and headline.)"""
    reports: dict[str, str] = {}
    headlines: dict[tuple, str] = {}
    for content in sorted(
        context.get("articles", []) + context.get("hidden_articles", []),
        key=lambda c: (c.date, c.source_path),
    ):
        path = run.display(content.source_path)
        url = getattr(content, "source_url", None)
        if url and (first := reports.setdefault(report_key(url), path)) != path:
            why = (
                f"the same report as {first}: if it is the same news, keep one"
                " item (and add to it); a new development has a report of its own"
            )
            line = run.field_lines.get((path, "source_url"))
            run.notice(Problem(path, line, "Source_URL", why))
        title = html.unescape(_TAGS.sub("", content.title)).casefold()
        key = (content.date.date(), tuple(re.findall(r"\w+", title)))
        if (first := headlines.setdefault(key, path)) != path:
            why = (
                f"the same headline as {first}, the same day: if it is the same"
                " news, keep one item"
            )
            line = run.field_lines.get((path, "title"))
            run.notice(Problem(path, line, "Title", why))


# What a translation shares with its original: (field, attribute, whether
# the translation may leave it out).
_SHARED = (
    ("category", "category", False),
    ("source", "source", False),
    ("region", "regions", False),
    ("story", "story", True),
    ("cites", "cites", True),
)
_TAGS = re.compile(r"<[^>]+>")

# Fields whose lines later checks name (after every file is read).
_LINES_KEPT = frozenset({"source_url", "title", *(f for f, _, _ in _SHARED)})


def _report_held(run: _Run) -> None:
    """Scheduled items with their times (in the site's zone), soonest first,
    and drafts left out; the schedule is kept in KILAS_SCHEDULE for the
    build's caller (the next one due first)."""
    schedule = sorted(run.scheduled)
    content = os.path.abspath(run.settings["PATH"])
    run.settings["KILAS_SCHEDULE"] = [
        {
            "date": date.isoformat(),
            # relative to the content folder, with "/" (items/2024/08/x.md)
            "path": Path(os.path.relpath(os.path.abspath(path), content)).as_posix(),
            "title": title,
        }
        for date, path, title in schedule
    ]
    held = {
        "scheduled": [
            [_when(date, run.settings), path, html.unescape(title)]
            for date, path, title in schedule
        ],
        "drafts": sorted(run.drafts_left_out),
    }
    # A build that finds nothing changed says it again (kilas.build).
    run.settings["KILAS_HELD"] = held  # never "now": settings are in page keys
    report_held({**held, "now": _when(run.now, run.settings)}, logger)


def register() -> None:
    # initialized: reset per build, so autoreload rebuilds start clean.
    signals.initialized.connect(start_run)
    # readers_init: our reader takes over Markdown files.
    signals.readers_init.connect(add_reader)
    # generator_init: generators read the files discovery found.
    signals.generator_init.connect(use_discovery)
    # feed_generated: each feed's entries, before the feed is written.
    signals.feed_generated.connect(add_source_links)
    # all_generators_finalized: everything is read, nothing written yet.
    signals.all_generators_finalized.connect(check_urls)
    # page_generator_finalized: items and pages read, static files not yet.
    signals.page_generator_finalized.connect(check_body_links)
    # kilas_site_written: every file of the site is written (the sitemaps,
    # cards and search index too, after finalized); links from the site's
    # root lead to one (sent by Kilas' build, kilas/incremental.py).
    signal("kilas_site_written").connect(check_site_links)
    # article_generator_pretaxonomy: every item read, not yet grouped by
    # tag or story: each is named after its uses.
    signals.article_generator_pretaxonomy.connect(name_terms)
