"""Turning an item's text into HTML: Markdown, then typogrify.

This is the expensive part of reading (Markdown and typogrify were 43% of a
stock Pelican build here), so it is a pure function of the file's bytes and
the settings, cached on disk between builds and, on a cold cache, spread over
every core before Pelican starts reading.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import pickle
import re
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path

from markdown import Markdown

from .contract import split_header

logger = logging.getLogger(__name__)

# Below this many files to convert, a process pool costs more than it saves.
POOL_THRESHOLD = 48
# An apostrophe before a digit ('90-an) is an elision, not an opening quote.
_ELISION = re.compile(r"(?<![\w'])'(?=\d)")


def render_options(settings: dict) -> str:
    """Everything the output of ``render`` depends on, as a stable string."""
    markdown = dict(settings["MARKDOWN"])
    markdown["extensions"] = [
        e for e in markdown.get("extensions", []) if e != "markdown.extensions.meta"
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
    code = (
        Path(__file__).read_bytes()
        + Path(__file__).with_name("contract.py").read_bytes()
    )
    return json.dumps(
        {
            "markdown": markdown,
            "typogrify": typogrify,
            "versions": [
                version("markdown"),
                version("typogrify"),
                version("smartypants"),
            ],
            "code": hashlib.sha1(code).hexdigest(),
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
    omit = dict.fromkeys(config["omit"], False)

    def apply(text: str) -> str:
        return typogrify(_ELISION.sub("&#8217;", text), config["ignore"], **omit)

    return apply


def render(body: str, title: str | None, summary: str | None, options: str):
    """HTML for the body, title and summary of one item."""
    markdown = _markdown(options)
    body_html = markdown.reset().convert(body)
    title_html = html.escape(title, quote=False) if title else None
    summary_html = (
        markdown.reset().convert(html.escape(summary, quote=False)) if summary else None
    )
    typogrify = _typogrify(options)
    if typogrify:
        body_html = typogrify(body_html) if body_html else body_html
        title_html = typogrify(title_html) if title_html else title_html
        summary_html = typogrify(summary_html) if summary_html else summary_html
    return body_html, title_html, summary_html


def parts(text: str) -> tuple[str, str | None, str | None]:
    """The body, and the raw Title and Summary values, of an item's text."""
    header, body, _ = split_header(text)
    values = {key.lower(): value for key, value, _ in header}
    return body, values.get("title"), values.get("summary")


def decode(raw: bytes) -> str:
    text = raw.decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def cache_key(raw: bytes, options: str) -> str:
    return hashlib.sha1(options.encode() + b"\0" + raw).hexdigest()


def _render_file(job: tuple[str, str]):
    path, options = job
    raw = Path(path).read_bytes()
    try:
        text = decode(raw)
    except UnicodeDecodeError:
        return None
    return cache_key(raw, options), render(*parts(text), options)


class RenderCache:
    """On-disk cache of ``render`` results, keyed by file bytes and options."""

    FILE = "kilas-render.pickle"

    def __init__(self, settings: dict) -> None:
        self.options = render_options(settings)
        self.path = None
        self.entries: dict[str, tuple] = {}
        self.used: set[str] = set()
        if settings.get("KILAS_CACHE_DIR"):
            self.path = Path(settings["KILAS_CACHE_DIR"]) / self.FILE
        if self.path and self.path.exists():
            try:
                with self.path.open("rb") as handle:
                    self.entries = pickle.load(handle)
            except (OSError, pickle.UnpicklingError, EOFError):
                logger.info("kilas_contract: render cache unreadable; starting anew")

    def get(self, raw: bytes, text: str):
        key = cache_key(raw, self.options)
        self.used.add(key)
        if key not in self.entries:
            self.entries[key] = render(*parts(text), self.options)
        return self.entries[key]

    def prefill(self, files: list[str]) -> None:
        """Render the files the cache lacks, on every core when there are many."""
        missing = []
        for path in files:
            key = cache_key(Path(path).read_bytes(), self.options)
            if key not in self.entries:
                missing.append(path)
        workers = min(os.cpu_count() or 1, 8)
        if len(missing) < POOL_THRESHOLD or workers < 2:
            return
        jobs = [(path, self.options) for path in missing]
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
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(self.path)
