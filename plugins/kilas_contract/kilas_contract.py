"""Kilas content contract: read, resolve and validate every item.

Pelican skips an item it cannot read and still exits 0. This plugin replaces
the Markdown reader with one that checks every field against the contract
table, resolves regions and sources through their registries, records every
problem of the run (each logged as ``path:line: field: message``), and raises
``ContentError`` once, after everything was read and before anything is
written.
"""

from __future__ import annotations

import functools
import html
import logging
import os
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from pelican import signals
from pelican.readers import MarkdownReader

from .contract import (
    ATTRIBUTES,
    BOOLEANS,
    ITEM_FIELDS,
    PAGE_FIELDS,
    STATUSES,
    Field,
    Problem,
    explain,
    field_key,
    split_header,
    split_list,
    suggest,
)
from .registry import (
    RegionRegistry,
    RegistryError,
    SourceRegistry,
    Story,
)
from .render import RenderCache, decode

logger = logging.getLogger(__name__)

# Photo files by extension, and the format Pillow must find in them.
_IMAGE_TYPES = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?")


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


class _Run:
    """What one build knows: registries and the problems found so far."""

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        self.problems: list[Problem] = []
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
            for problem in registry.problems:
                shown = _display(problem.path)
                self.add(Problem(shown, problem.line, None, problem.message))
            setattr(self, name, registry)
        # Pages show what the registries say (a region's parent, a grouping's
        # members): their text is part of every page's key (settings are).
        settings["KILAS_REGISTRIES_DIGEST"] = self.regions.digest + self.sources.digest
        self.stories: dict[str, Story] = {}
        # Pelican makes a new Category, Tag or Author per item, and each one
        # slugifies its name again; items sharing a value share one object.
        self.wrappers: dict[tuple[str, str], object] = {}
        self.story_names: dict[str, Story] = {}
        self.displayed: dict[str, str] = {}
        self.renders = RenderCache(settings)
        self._prefilled = False

    def prefill(self) -> None:
        """Once per run: render every Markdown file the cache lacks, in parallel."""
        if self._prefilled:
            return
        self._prefilled = True
        content = Path(self.settings["PATH"])
        folders = self.settings["ARTICLE_PATHS"] + self.settings["PAGE_PATHS"]
        # os.walk, not Path.rglob: the same files (symlinked folders are not
        # entered by either), without a Path object per file and folder.
        files = sorted(
            path
            for folder in folders
            for root, _, names in os.walk(content / folder)
            for name in names
            if name.endswith(".md") and os.path.isfile(path := os.path.join(root, name))
        )
        self.renders.prefill(files)

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


# One run at a time: reset on every `initialized` (autoreload rebuilds too).
_current: dict[str, _Run] = {}


def _run() -> _Run:
    return _current["run"]


def _display(path: Path | str) -> str:
    """A path as the editor typed it: relative to where they stand."""
    path = os.path.abspath(path)
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


class ItemReader(MarkdownReader):
    """Markdown reader that enforces the Kilas contract."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._tz = ZoneInfo(self.settings["TIMEZONE"])

    # -- reading -----------------------------------------------------------
    def read(self, source_path: str):
        self._source_path = source_path
        self._path = _run().display(source_path)
        self._problems: list[Problem] = []
        with open(source_path, "rb") as handle:  # no Path object per file
            raw = handle.read()
        text = self._decode(raw)
        if text is None:
            return self._fail()
        header, _, _ = split_header(text)
        fields = self._fields_for(source_path)
        metadata = self._check_header(header, fields)
        if self._problems:
            return self._fail()
        run = _run()
        run.prefill()
        body, title, summary = run.renders.get(raw, text)
        if title is not None:
            metadata["title"] = title
        if summary is not None:
            metadata["summary"] = summary
        return body, metadata

    def _fail(self):
        for problem in self._problems:
            _run().add(problem)
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
    def _check_header(self, header, fields: tuple[Field, ...]) -> dict:
        known = _known(fields)
        seen: dict[str, int] = {}
        metadata: dict = {}
        for key, value, line in header:
            name = _field_key(key)
            field = known.get(name)
            if field is None:
                near = suggest(name, list(known))
                allowed = ", ".join(f.name for f in fields)
                hint = known[near].name if near else None
                self._problem(line, key, explain("unknown field", allowed, hint))
                continue
            if name in seen:
                self._problem(
                    line,
                    field.name,
                    f"given twice (first on line {seen[name]}); keep one",
                )
                continue
            seen[name] = line
            if not value:
                if field.required:
                    self._problem(line, field.name, "is empty; it is required")
                continue
            try:
                split = getattr(self, f"_split_{field.kind}", split_list)
                values = split(value) if field.many else [value]
                reader = getattr(self, f"_read_{field.kind}")
                result = [reader(v) for v in values] if field.many else reader(value)
            except _Bad as exc:
                self._problem(line, field.name, str(exc))
                continue
            if field.many:
                result = list(dict.fromkeys(result))
            metadata[ATTRIBUTES.get(name, name)] = result
        for name, field in known.items():
            if field.required and name not in seen:
                self._problem(
                    None,
                    field.name,
                    f"is missing; add a line '{field.name}: ...' to the header",
                )
        self._check_together(metadata, seen)
        return metadata

    def _check_together(self, metadata: dict, lines: dict[str, int]) -> None:
        date, modified = metadata.get("date"), metadata.get("modified")
        if date and modified and modified < date:
            self._problem(
                lines["modified"],
                "Modified",
                f"{modified.isoformat()} is earlier than Date {date.isoformat()}; "
                "Modified is the time of the last update",
            )
        self._check_image(metadata, lines)

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
            parsed = urlparse(value)
            if parsed.scheme.lower() == "https" and parsed.netloc:
                return value
            web = parsed.scheme.lower() in ("http", "") and parsed.netloc
            hint = f"https://{value.split('//', 1)[1]}" if web else None
            kind = f"{parsed.scheme}:" if parsed.scheme else "no https:"
            raise _Bad(explain(f'"{shown}" is refused ({kind})', allowed, hint))
        relative = value.removeprefix("{static}").lstrip("/")
        content = os.path.realpath(self.settings["PATH"])
        folder = os.path.join(content, "images")
        path = os.path.realpath(os.path.join(content, relative))
        if not os.path.isfile(path):
            names = []
            for root, _, files in os.walk(folder):
                names += [
                    os.path.relpath(os.path.join(root, f), content) for f in files
                ]
            raise _Bad(
                explain(
                    f'"{shown}": there is no file {_run().display(path)}',
                    allowed,
                    suggest(relative, names),
                )
            )
        if not path.startswith(folder + os.sep):
            raise _Bad(explain(f'"{shown}" is not under content/images/', allowed))
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
        """Checked here; rendered (Markdown, typogrify) with the body."""
        return value

    def _read_slug(self, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
            raise _Bad(
                f'"{value}" is not a slug; use lowercase letters, digits and '
                "hyphens, e.g. banjir-korea-utara"
            )
        return value

    def _read_date(self, value: str) -> datetime:
        try:
            if not _ISO_DATE.match(value):
                raise ValueError(value)
            date = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _Bad(
                explain(
                    f'"{value}" is not a date',
                    "ISO 8601, e.g. 2024-08-04 10:30 or 2024-08-04T10:30+07:00",
                    _near_date(value),
                )
            ) from None
        return date if date.tzinfo else date.replace(tzinfo=self._tz)

    def _read_category(self, value: str) -> str:
        categories = self.settings.get("KILAS_CATEGORIES") or []
        if not categories:
            return value
        for category in categories:
            if category.casefold() == value.casefold():
                return _run().wrapper(self, "category", category)
        raise _Bad(
            explain(
                f'unknown category "{value}"',
                f"{', '.join(categories)} (setting KILAS_CATEGORIES)",
                suggest(value, categories),
            )
        )

    def _split_region(self, value: str) -> list[str]:
        """``Georgia, Amerika Serikat`` is one place, not two."""
        return _run().regions.split(value)

    def _read_region(self, value: str):
        found = _run().regions.resolve(value)
        if found.value is not None:
            return found.value
        if found.ambiguous:
            raise _Bad(
                f'"{value}" is ambiguous: it can mean '
                f"{' or '.join(found.ambiguous)}; write the name or the code "
                "of the one you mean (for a place inside a country: "
                '"Name, Country")'
            )
        registry = self.settings.get("KILAS_REGIONS_FILE", "regions.yaml")
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
        found = _run().sources.resolve(value)
        if found.value is not None:
            return found.value
        registry = self.settings.get("KILAS_SOURCES_FILE", "sources.yaml")
        raise _Bad(
            explain(
                f'unknown source "{value}"',
                f"a name or alias listed in content/{registry} (add new sources there)",
                found.suggestion,
            )
        )

    def _read_story(self, value: str) -> Story:
        run = _run()
        name = " ".join(value.split())
        if name not in run.story_names:
            story = Story(name, self.settings)
            run.story_names[name] = run.stories.setdefault(story.slug, story)
        return run.story_names[name]

    def _read_tag(self, value: str):
        return _run().wrapper(self, "tags", value)[0]

    def _read_author(self, value: str):
        return _run().wrapper(self, "author", html.escape(value, quote=False))

    def _read_url(self, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise _Bad(
                f'"{value}" is not a web address; only http:// and https:// '
                "links are allowed"
            )
        return value

    def _read_lang(self, value: str) -> str:
        try:
            Locale.parse(value.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            raise _Bad(f'"{value}" is not a language code; use e.g. id or en') from None
        return value

    def _read_boolean(self, value: str) -> str:
        """Pelican compares these as the strings "true" and "false"."""
        if value.casefold() not in BOOLEANS:
            raise _Bad(explain(f'"{value}" is not true or false', "true, false"))
        return "true" if BOOLEANS[value.casefold()] else "false"

    def _read_status(self, value: str) -> str:
        if value.casefold() not in STATUSES:
            raise _Bad(
                explain(
                    f'"{value}" is not a status',
                    ", ".join(STATUSES),
                    suggest(value, list(STATUSES)),
                )
            )
        return value.casefold()


@functools.cache
def _known(fields: tuple[Field, ...]) -> dict[str, Field]:
    """The fields of a table by their normalized name (tables never change)."""
    return {field_key(f.name): f for f in fields}


# Editors write the same few field names in every header.
_field_key = functools.lru_cache(maxsize=1024)(field_key)


def _near_date(value: str) -> str | None:
    """An ISO spelling of a date written another way, when it is unambiguous."""
    from dateutil import parser  # noqa: PLC0415

    try:
        date = parser.parse(value, dayfirst=True)
    except (ValueError, OverflowError):
        return None
    return date.strftime("%Y-%m-%d %H:%M")


# -- signal receivers ----------------------------------------------------------
def start_run(pelican) -> None:
    """A new build starts: fresh registries, no problems.

    Typogrify moves from Pelican's read step into ours, where its result is
    cached with the Markdown output instead of being recomputed every build.
    """
    settings = pelican.settings
    if settings.get("TYPOGRIFY"):
        settings["TYPOGRIFY"] = False
        settings["KILAS_TYPOGRIFY"] = True
    _current["run"] = _Run(settings)


def add_reader(readers) -> None:
    """Read every Markdown file through the contract."""
    for extension in ItemReader.file_extensions:
        readers.reader_classes[extension] = ItemReader


def check_urls(generators) -> None:
    """Two items must not write the same page; then fail once if needed."""
    owners: dict[str, str] = {}
    run = _run()
    # Pelican records every item and page it read in the shared context.
    for _, content in sorted(generators[0].context["generated_content"].items()):
        save_as = content.save_as
        path = run.display(content.source_path)
        if save_as in owners and owners[save_as] != path:
            run.add(
                Problem(
                    path,
                    None,
                    "Slug",
                    f"writes the same page ({save_as}) as {owners[save_as]};"
                    " change the Title or add a distinct 'Slug:' line",
                )
            )
        owners.setdefault(save_as, path)
    run.renders.save()
    if run.problems:
        raise ContentError(run.problems)


def register() -> None:
    # initialized: reset per build, so autoreload rebuilds start clean.
    signals.initialized.connect(start_run)
    # readers_init: our reader takes over Markdown files.
    signals.readers_init.connect(add_reader)
    # all_generators_finalized: everything is read, nothing written yet.
    signals.all_generators_finalized.connect(check_urls)
