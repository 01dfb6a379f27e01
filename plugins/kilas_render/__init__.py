"""Turning an item's text into HTML: Markdown, typogrify, then the sanitiser.

Not a plugin (it has no ``register``): a small library the content contract
(``kilas_contract``) reads items through. Rendering is the expensive part of
reading (Markdown and typogrify were 43% of a stock Pelican build here), so it
is a pure function of the file's bytes and the settings, cached on disk
between builds (``RenderCache``) and, on a cold cache, spread over every core
before Pelican starts reading.

What an item's text is made of (its body, Title and Summary) is the caller's
to say: ``RenderCache(settings, parts)`` takes that function, and the code of
its module is part of every cache key, as this library's own code is.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import importlib.util
import json
import logging
import os
import pickle
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from multiprocessing import get_context
from pathlib import Path

from markdown import Markdown

from . import sanitise

logger = logging.getLogger(__name__)

# Between INFO and WARNING: shown by `invoke build`, never failing a build.
NOTICE = 25
logging.addLevelName(NOTICE, "NOTICE")

# Below this many files to convert, a process pool costs more than it saves.
POOL_THRESHOLD = 48
# An apostrophe before a digit ('90-an) is an elision, not an opening quote.
_ELISION = re.compile(r"(?<![\w'])'(?=\d)")
# A summary that may hold a link: "](", "][", "]:" or "<".
_LINKISH = re.compile(r"\][(\[:]|<")


# How an item's text splits: ``parts(text) -> (body, title, summary[, lang])``,
# the raw Title, Summary and Lang values (None when absent).
Parts = Callable[[str], tuple]

# The title of the link back from a footnote to the text (Python-Markdown's
# own is English, "Jump back to footnote 1 in the text", on every page
# whatever its language; a feed shows no title), by the item's language
# (``Lang``, else ``DEFAULT_LANG``); English for a language not listed.
FOOTNOTE_BACK = {
    "id": "Kembali ke catatan kaki {n} di teks",
    "en": "Back to footnote {n} in the text",
}
_BACKREF = re.compile(
    r'(<a class="footnote-backref" href="#fnref:[^"]*") title="Jump back to'
    r' footnote (\d+) in the text">(&#8617;)</a>'
)


def _extension_files(extensions) -> list[str]:
    """The files of the Markdown extensions named by module (their code
    decides the output too: ``kilas_render.lists``, ``pymdownx.*``)."""
    files = []
    for extension in extensions:
        if not isinstance(extension, str):
            continue
        try:
            spec = importlib.util.find_spec(extension.partition(":")[0])
        except (ImportError, ValueError):
            spec = None  # Markdown names it when it loads it
        if spec is not None and spec.origin and os.path.isfile(spec.origin):
            files.append(spec.origin)
    return files


# The distributions of the extensions' packages the settings name (the rest
# are looked up, which takes importlib.metadata about 50 ms).
_DISTRIBUTIONS = {"markdown": ["markdown"], "pymdownx": ["pymdown-extensions"]}


def _versions(extensions) -> list[str]:
    """The versions of the packages whose code renders a text: Markdown,
    typogrify, SmartyPants, the sanitiser, and the distribution of each
    extension named by module (``pymdownx.tilde``: pymdown-extensions), so
    that upgrading one renders the texts again."""
    names = ["markdown", "typogrify", "smartypants", "nh3"]
    owners = dict(_DISTRIBUTIONS, kilas_render=[])
    for extension in extensions:
        if not isinstance(extension, str):
            continue
        top = extension.partition(":")[0].partition(".")[0]
        if top not in owners:
            owners = {**packages_distributions(), **owners}
        names += owners.get(top, [])
    found = []
    for name in dict.fromkeys(names):
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{name}=={version(name)}")
    return found


def render_options(settings: dict, parts: Parts) -> str:
    """Everything the output of ``render`` depends on, as a stable string
    (with the code of this library and of ``parts``' module)."""
    markdown = dict(settings["MARKDOWN"])
    # As Pelican's Markdown reader does: every configured extension is loaded
    # (``extra`` gives tables, footnotes, abbreviations, definition lists).
    configured = list(markdown.get("extension_configs", {}))
    markdown["extensions"] = [
        e
        for e in dict.fromkeys([*markdown.get("extensions", []), *configured])
        if e != "markdown.extensions.meta"
    ]
    markdown["extension_configs"] = {
        k: v
        for k, v in markdown.get("extension_configs", {}).items()
        if k != "markdown.extensions.meta"
    }
    typogrify = None
    if settings.get("KILAS_TYPOGRIFY"):
        typogrify = {
            "dashes": settings.get("TYPOGRIFY_DASHES", "default"),
            "ignore": list(settings.get("TYPOGRIFY_IGNORE_TAGS", [])),
            "omit": list(settings.get("TYPOGRIFY_OMIT_FILTERS", [])),
        }
    # Every module of this library and of ``parts``' package (the contract's
    # item_parts calls its other modules), and the extensions' own files.
    packages = {
        Path(__file__).parent,
        Path(sys.modules[parts.__module__].__file__).parent,
    }
    sources = [
        *sorted(str(f) for folder in packages for f in folder.glob("*.py")),
        *_extension_files(markdown["extensions"]),
    ]
    code = b"".join(Path(name).read_bytes() for name in sources)
    return json.dumps(
        {
            "markdown": markdown,
            "typogrify": typogrify,
            "versions": _versions(markdown["extensions"]),
            "code": hashlib.sha1(code).hexdigest(),
            "sanitiser": sanitise.policy(),
            "lang": settings.get("DEFAULT_LANG", "en"),
        },
        sort_keys=True,
        default=str,
    )


@lru_cache(maxsize=4)
def _markdown(options: str) -> Markdown:
    """One Markdown instance per process and settings, reset between uses."""
    return Markdown(**json.loads(options)["markdown"])


@lru_cache(maxsize=4)
def _typogrify(options: str):
    config = json.loads(options)["typogrify"]
    if config is None:
        return None
    import smartypants  # noqa: PLC0415
    from typogrify.filters import typogrify  # noqa: PLC0415

    attr = {
        "oldschool": smartypants.Attr.set2,
        "oldschool_inverted": smartypants.Attr.set3,
    }.get(config["dashes"], smartypants.Attr.set1)
    # As Pelican does: also curl quotes that Markdown wrote as &quot;.
    smartypants.Attr.default = attr | smartypants.Attr.w
    _skip_untouched(smartypants)
    _quick_filters()
    omit = dict.fromkeys(config["omit"], False)

    def apply(text: str) -> str:
        return typogrify(_ELISION.sub("&#8217;", text), config["ignore"], **omit)

    return apply


# SmartyPants converts each piece of text between tags with a row of
# regular expressions (a pattern looked up, then run, for each), each of
# which matches only text holding one of these strings: a piece holding none
# is returned as it came, without running them (a third of typogrify's time
# on a digest's items, which hold few quotes). Same output:
# tests/test_render_cache.py compares both on texts of every kind.
_NEEDED = {
    "process_escapes": ("\\",),
    "convert_quotes": ("'", '"'),
    "convert_backticks": ("``", "''"),
    "convert_single_backticks": ("`", "'"),
    "convert_dashes": ("--",),
    "convert_dashes_oldschool": ("--",),
    "convert_dashes_oldschool_inverted": ("--",),
    "convert_ellipses": ("...", ". . ."),
}


def _skip_untouched(smartypants) -> None:
    """Make SmartyPants skip the conversions that cannot change a text (once
    per process: the functions are replaced by wrappers that remember the
    original as ``__wrapped__``)."""
    for name, needles in _NEEDED.items():
        convert = getattr(smartypants, name)
        if hasattr(convert, "__wrapped__"):
            continue

        def quick(text, convert=convert, needles=needles):
            for needle in needles:
                if needle in text:
                    return convert(text)
            return text

        quick.__wrapped__ = convert
        setattr(smartypants, name, quick)


# typogrify's widont and caps, with the same output for every text but
# less work (tests/test_render_cache.py compares them with typogrify's own
# on generated and real texts):
# - widont's expression can only match at the end of a block (a closing p,
#   h1-h6, li, dt or dd tag, or the end of the text): ``X \s+ W \s* (closing
#   inline tags and spaces) end``, W a word without spaces or brackets and X
#   the character or inline tag before the spaces. Matches never cross a
#   block's end, so each block is looked at alone, and the expression runs
#   only from where its one possible match can start, found backwards.
#   Scanning every word of a body for it was a tenth of a render. (A text
#   holding "<" twice without ">" between is left to widont: an inline tag
#   such as "<a</p>" can hold a block's end.)
# - caps wraps runs of capitals; its expression runs only on the pieces of
#   text holding two capitals in a row (with digits between) or "X.Y"; a
#   piece holding neither cannot match.
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|dt|dd)>")
_INLINE_CLOSERS = ("</a>", "</em>", "</span>", "</strong>", "</i>", "</b>")
_UNCLOSED = re.compile(r"<[^>]*<")
_INLINE_TAG = re.compile(r"</?(?:a|em|span|strong|i|b)")
_CAPS_HINT = re.compile(r"[A-Z]\d*[A-Z]|[A-Z]\.\s?[A-Z]")


def _widont_start(text: str, start: int, end: int) -> int | None:
    """Where widont's one possible match in ``text[start:end]`` (a block
    ending with its closing tag at ``end``) can start; None when none can."""
    i = end
    while i > start:  # spaces and closing inline tags before the block's end
        if text[i - 1].isspace():
            i -= 1
            continue
        for tag in _INLINE_CLOSERS:
            if text.endswith(tag, start, i):
                i -= len(tag)
                break
        else:
            break
    word = i
    while word > start and text[word - 1] not in "<>" and not text[word - 1].isspace():
        word -= 1
    if word == i:
        return None
    spaces = word
    while spaces > start and text[spaces - 1].isspace():
        spaces -= 1
    if spaces in (word, start):
        return None
    if text[spaces - 1] == "<":
        return None
    if text[spaces - 1] != ">":
        return spaces - 1
    # An inline tag ends there: it starts at the first "<" after the last
    # ">" before its own that opens an inline tag's name (as the
    # expression's ``</?(?:a|em|span|strong|i|b)[^>]*>`` does).
    opening = text.rfind(">", start, spaces - 1) + 1
    opening = max(opening, start)
    while True:
        opening = text.find("<", opening, spaces - 1)
        if opening < 0:
            return None
        if _INLINE_TAG.match(text, opening):
            return opening
        opening += 1


def _quick_filters() -> None:
    """Replace typogrify's widont and caps by their quick forms (once per
    process; the originals stay as ``__wrapped__``)."""
    import smartypants  # noqa: PLC0415
    from typogrify import filters  # noqa: PLC0415

    if not hasattr(filters.widont, "__wrapped__"):
        widont = filters.widont

        def quick_widont(text):
            if _UNCLOSED.search(text):  # a tag may then hold a block's end
                return widont(text)
            parts, done = [], 0
            for block in _BLOCK_END.finditer(text):
                at = _widont_start(text, done, block.start())
                if at is None:
                    parts.append(text[done : block.end()])
                else:
                    parts.append(text[done:at])
                    parts.append(widont(text[at : block.end()]))
                done = block.end()
            parts.append(widont(text[done:]))
            return "".join(parts)

        quick_widont.__wrapped__ = widont
        filters.widont = quick_widont
    if not hasattr(filters.caps, "__wrapped__"):
        caps = filters.caps

        def quick_caps(text):
            if not _CAPS_HINT.search(text):
                return text
            result, skipped = [], False
            for kind, piece in smartypants._tokenize(text):
                if kind == "tag":
                    result.append(piece)
                    opening = _CAPS_SKIP.match(piece)
                    skipped = bool(opening) and opening.group(1) is None
                elif skipped or not _CAPS_HINT.search(piece):
                    result.append(piece)
                else:
                    result.append(_CAPS.sub(_caps_span, piece))
            return "".join(result)

        quick_caps.__wrapped__ = caps
        filters.caps = quick_caps


# typogrify's own expressions for caps (filters.caps), as it compiles them.
_CAPS = re.compile(
    r"((\b[A-Z\d]*[A-Z]\d*[A-Z][A-Z\d']*\b)|(\b[A-Z]+\.\s?(?:[A-Z]+\.\s?)+)(?:\s|\b|$))"
)
_CAPS_SKIP = re.compile("<(/)?(?:kbd|script)[^>]*>", re.IGNORECASE)


def _caps_span(match) -> str:
    """As typogrify's ``_cap_wrapper``: dotted capitals keep their space."""
    if match.group(2):
        return f'<span class="caps">{match.group(2)}</span>'
    caps, tail = match.group(3), ""
    if caps[-1] == " ":
        caps, tail = caps[:-1], " "
    return f'<span class="caps">{caps}</span>{tail}'


# What would make a summary's one line a block of its own in Markdown: a
# heading (`#`, a hashtag too), a list (`- `, `1. `) or a rule (`***`).
_BLOCK_START = re.compile(r"#|[-*+](?=\s)|\d+(?=\.\s)|(?=([-*_])(?: *\1){2,} *$)")


def _one_paragraph(summary: str) -> str:
    """The summary (one line: its header lines are joined) as one paragraph:
    what would start a heading, a list or a rule is escaped."""
    match = _BLOCK_START.match(summary)
    if match is None:
        return summary
    at = match.end() if summary[0].isdigit() else 0
    return f"{summary[:at]}\\{summary[at:]}"


def _footnote_backs(body_html: str, lang: str) -> str:
    """The links back from footnotes, titled in the item's language."""
    words = FOOTNOTE_BACK.get(lang, FOOTNOTE_BACK["en"])
    return _BACKREF.sub(
        lambda m: f'{m[1]} title="{words.format(n=m[2])}">{m[3]}</a>', body_html
    )


def _language(lang: str | None, options: str) -> str:
    written = (lang or json.loads(options).get("lang") or "en").strip()
    return written.replace("_", "-").partition("-")[0].lower()


def render(
    body: str,
    title: str | None,
    summary: str | None,
    options: str,
    lang: str | None = None,
):
    """HTML for the body, title and summary of one item (in ``lang``, else
    the site's language), and what the sanitiser removed from the body:
    ``(line in the body, what)`` pairs."""
    markdown = _markdown(options)
    body_html = sanitise.align_cells(markdown.reset().convert(body))
    if "footnote-backref" in body_html:
        body_html = _footnote_backs(body_html, _language(lang, options))
    title_html = html.escape(title, quote=False) if title else None
    summary_html = (
        markdown.reset().convert(_one_paragraph(html.escape(summary, quote=False)))
        if summary
        else None
    )
    typogrify = _typogrify(options)
    if typogrify:
        body_html = typogrify(body_html) if body_html else body_html
        title_html = typogrify(title_html) if title_html else title_html
        summary_html = typogrify(summary_html) if summary_html else summary_html
    removed = tuple(
        (_line_of(body, removal.needle), removal.what)
        for removal in sanitise.removals(body_html)
    )
    body_html = sanitise.sanitise(body_html)
    if summary_html:
        summary_html = sanitise.sanitise(summary_html)
    return body_html, title_html, summary_html, removed


def summary_links(summary: str, options: str) -> list[str]:
    """Addresses the summary's links and images point to, in every form an
    editor may write them (the page shows raw HTML as text, but a link
    written that way is still checked)."""
    if not _LINKISH.search(summary):
        return []
    probe = _markdown(options).reset().convert(summary)
    return sanitise.link_targets(summary, probe)


def _line_of(text: str, needle: str) -> int:
    """The first line of ``text`` (1-based) holding ``needle``, any case;
    the first line when it is not found as written."""
    at = text.casefold().find(needle.strip().casefold())
    return text.count("\n", 0, max(at, 0)) + 1


def decode(raw: bytes) -> str:
    text = raw.decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def cache_key(raw: bytes, options: str) -> str:
    return hashlib.sha1(options.encode() + b"\0" + raw).hexdigest()


def _render_file(job: tuple[str, str, Parts]):
    path, options, parts = job
    try:
        raw = Path(path).read_bytes()
        text = decode(raw)
    except (OSError, UnicodeDecodeError):
        return None
    return cache_key(raw, options), _render_parts(parts, text, options)


def _render_parts(parts: Parts, text: str, options: str):
    body, title, summary, *lang = parts(text)
    return render(body, title, summary, options, *lang)


def _valid(entry: object) -> bool:
    """An entry as ``render`` returns it (a cache file is never trusted)."""
    if not (isinstance(entry, tuple) and len(entry) == 4):
        return False
    body, title, summary, removed = entry
    return (
        isinstance(body, str)
        and all(isinstance(v, str | None) for v in (title, summary))
        and isinstance(removed, tuple)
        and all(
            isinstance(r, tuple)
            and len(r) == 2
            and isinstance(r[0], int)
            and isinstance(r[1], str)
            for r in removed
        )
    )


class RenderCache:
    """On-disk cache of ``render`` results, keyed by file bytes and options.

    The file is only a cache: one that cannot be read, is not a regular file
    or holds anything but ``render`` results is dropped with a notice, and
    the entries are rendered again."""

    FILE = "kilas-render.pickle"

    def __init__(self, settings: dict, parts: Parts) -> None:
        self.parts = parts
        self.options = render_options(settings, parts)
        self.path = None
        self.entries: dict[str, tuple] = {}
        self.used: set[str] = set()
        if settings.get("KILAS_CACHE_DIR"):
            self.path = Path(settings["KILAS_CACHE_DIR"]) / self.FILE
            self.entries = self._load(self.path)

    @staticmethod
    def _load(path: Path) -> dict[str, tuple]:
        if not os.path.lexists(path):
            return {}
        problem = None
        entries: object = None
        if path.is_symlink() or not path.is_file():
            problem = "is not a regular file"
        else:
            try:
                with path.open("rb") as handle:
                    entries = pickle.load(handle)
            except Exception as exc:  # noqa: BLE001 (any damage: start anew)
                problem = f"cannot be read ({type(exc).__name__})"
        if problem is None and not isinstance(entries, dict):
            problem = f"holds a {type(entries).__name__}, not render results"
        if problem is None:
            kept = {
                k: v for k, v in entries.items() if isinstance(k, str) and _valid(v)
            }
            if len(kept) == len(entries):
                return kept
            problem = (
                f"has {len(entries) - len(kept)} entries this Kilas cannot use"
                " (damaged, or from another version)"
            )
            entries = kept
        else:
            entries = {}
        logger.log(
            NOTICE,
            "kilas_render: the render cache %s %s; it was dropped and the"
            " items are rendered again",
            _shown(path),
            problem,
        )
        _remove(path)
        return entries

    def get(self, raw: bytes, text: str):
        key = cache_key(raw, self.options)
        self.used.add(key)
        if key not in self.entries:
            self.entries[key] = _render_parts(self.parts, text, self.options)
        return self.entries[key]

    def prefill(self, files: list[str]) -> None:
        """Render the files the cache lacks, on every core when there are many."""
        missing = []
        for path in files:
            try:
                key = cache_key(Path(path).read_bytes(), self.options)
            except OSError:
                continue  # its reader reports it
            if key not in self.entries:
                missing.append(path)
        workers = min(os.cpu_count() or 1, 8)
        if len(missing) < POOL_THRESHOLD or workers < 2:
            return
        jobs = [(path, self.options, self.parts) for path in missing]
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            for result in pool.map(_render_file, jobs, chunksize=16):
                if result:
                    self.entries[result[0]] = result[1]

    def save(self) -> None:
        """Keep what this build used; forget the rest."""
        if not self.path:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kept = {k: v for k, v in self.entries.items() if k in self.used}
        if os.path.lexists(self.path) and (
            self.path.is_symlink() or not self.path.is_file()
        ):
            _remove(self.path)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(kept, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def _shown(path: Path) -> str:
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def _remove(path: Path) -> None:
    """Remove a cache entry of any kind (file, link, folder, pipe)."""
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
