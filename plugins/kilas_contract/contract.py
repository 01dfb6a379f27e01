"""The item contract: one table of fields and rules, and the header parser.

Every rule is data (``FIELDS``); ``check_header`` turns a file's header into
Pelican metadata plus a list of ``Problem``s, never stopping at the first one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple


# kind: how a value is read; many: a list separated by ";" or ",".
class Field(NamedTuple):
    name: str
    required: bool
    kind: str
    many: bool


ITEM_FIELDS: tuple[Field, ...] = (
    Field("Title", True, "text", False),
    Field("Date", True, "date", False),
    Field("Modified", False, "date", False),
    Field("Category", True, "category", False),
    Field("Region", True, "region", True),
    Field("Source", True, "source", False),
    Field("Source_URL", False, "url", False),
    Field("Cites", False, "source", True),
    Field("Story", False, "story", False),
    Field("Pin", False, "boolean", False),
    Field("Summary", True, "markdown", False),
    Field("Tags", False, "tag", True),
    Field("Author", False, "author", False),
    Field("Lang", False, "lang", False),
    Field("Translation", False, "boolean", False),
    Field("Status", False, "status", False),
    Field("Image", False, "image", False),
    Field("Image_Alt", False, "text", False),
    Field("Image_Caption", False, "text", False),
    Field("Image_Credit", False, "text", False),
    Field("Correction", False, "text", False),
    Field("Slug", False, "slug", False),
)

PAGE_FIELDS: tuple[Field, ...] = (
    Field("Title", True, "text", False),
    Field("Summary", False, "markdown", False),
    Field("Lang", False, "lang", False),
    Field("Translation", False, "boolean", False),
    Field("Status", False, "status", False),
    Field("Slug", False, "slug", False),
    Field("Template", False, "template", False),
    Field("Modified", False, "date", False),
)

# Field names as editors write them in Indonesian (or other English words),
# and the field each one means: "Sumber:" gets "Did you mean Source?", not
# the nearest spelling. Keys as ``field_key`` makes them.
OTHER_NAMES = {
    "Title": ("judul", "tajuk", "kepala_berita", "headline"),
    "Date": ("tanggal", "tgl", "waktu", "terbit", "diterbitkan", "tanggal_terbit",
             "published", "pubdate"),
    "Modified": ("diperbarui", "diperbaharui", "pembaruan", "diubah", "diperbarui_pada",
                 "tanggal_diperbarui", "updated", "update"),
    "Category": ("kategori", "rubrik", "kanal", "categories", "section"),
    "Region": ("wilayah", "daerah", "lokasi", "tempat", "negara", "provinsi", "kota",
               "kawasan", "regions", "location", "place", "country"),
    "Source": ("sumber", "sumber_berita", "media", "outlet", "sources"),
    "Source_URL": ("url_sumber", "sumber_url", "tautan_sumber", "tautan", "link",
                   "url", "source_link", "tautan_asli"),
    "Cites": ("mengutip", "kutipan", "dikutip", "rujukan", "referensi", "cite",
              "citing", "citation"),
    "Story": ("cerita", "kisah", "topik", "isu", "peristiwa", "stories", "topic"),
    "Summary": ("ringkasan", "rangkuman", "ikhtisar", "intisari", "teras", "lead",
                "description", "excerpt", "abstract"),
    "Tags": ("label", "tag", "kata_kunci", "labels", "keywords"),
    "Author": ("penulis", "pengarang", "wartawan", "reporter", "editor", "penyunting",
               "authors"),
    "Lang": ("bahasa", "language"),
    "Translation": ("terjemahan", "translated"),
    "Status": ("keadaan",),
    "Image": ("gambar", "foto", "photo", "picture", "image_url"),
    "Image_Alt": ("keterangan_gambar", "alt_gambar", "teks_alternatif",
                  "keterangan_foto", "alt", "caption"),
    "Correction": ("koreksi", "ralat", "erratum", "corrections"),
    "Template": ("templat",),
}  # fmt: skip

# Prompts `invoke new` writes (kilas/scaffold.py): an item that still holds
# one is refused, so a scaffold is never published by mistake. A draft may
# keep them: drafts are never published.
PLACEHOLDERS = {
    "Summary": "Tulis ringkasan satu paragraf di sini",
    "Body": "Tulis isi butir di sini",
}

STATUSES = ("published", "draft", "hidden")
BOOLEANS = {
    "true": True, "yes": True, "ya": True,
    "false": False, "no": False, "tidak": False,
}  # fmt: skip
# What Indonesian editors write for a status: the status they mean.
STATUS_WORDS = {
    "terbit": "published", "diterbitkan": "published", "tayang": "published",
    "draf": "draft", "konsep": "draft",
    "tersembunyi": "hidden", "sembunyi": "hidden", "disembunyikan": "hidden",
}  # fmt: skip
# Where a field's value is stored on the item when the name differs.
ATTRIBUTES = {"region": "regions"}

_OTHER = {other: field for field, others in OTHER_NAMES.items() for other in others}

_HEADER_RE = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)$")
_MORE_RE = re.compile(r"^[ ]{4,}(?P<value>.*)$")
_INDENTED_RE = re.compile(r"^[ \t]+(?P<value>.*)$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file, printed ``path:line: field: message``."""

    path: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return (
            f"{where}: {self.field}: {self.message}"
            if self.field
            else (f"{where}: {self.message}")
        )


class HeaderLine(NamedTuple):
    key: str
    value: str
    line: int


def split_header(text: str) -> tuple[list[HeaderLine], str, int]:
    """Split ``Key: value`` lines from the body; return them, the body and
    the number of lines the header took. Indented lines continue a value:
    by four spaces as Markdown's meta data has it, or by any spaces or a
    tab when the line is no ``Key: value`` line (editors indent so)."""
    lines = text.split("\n")
    header: list[HeaderLine] = []
    end = len(lines)
    for index, line in enumerate(lines):
        match = _HEADER_RE.match(line)
        more = _MORE_RE.match(line) or (None if match else _INDENTED_RE.match(line))
        if more and header and line.strip():
            last = header[-1]
            header[-1] = last._replace(value=f"{last.value} {more['value'].strip()}")
        elif match:
            header.append(HeaderLine(match["key"], match["value"].strip(), index + 1))
        else:
            end = index + 1 if not line.strip() else index
            break
    return header, "\n".join(lines[end:]), end


# A line that looks like a field, in any header syntax an editor may bring:
# Pelican's "Key: value", YAML front matter's "key: value", TOML's "key = value".
_FIELD_LIKE_RE = re.compile(
    r"^\s{0,3}(?P<key>[A-Za-z][A-Za-z0-9 _-]{0,30}?)\s*[:=]\s*\S"
)
# Front matter fences of other generators (Jekyll, Hugo): (fence, its syntax).
FRONT_MATTER = {"---": "YAML", "+++": "TOML"}


class HeaderEnd(NamedTuple):
    """Where the header stopped before the editor meant it to: the line that
    stopped it (1-based) and its text, and the fields written in the lines
    right after it (field key -> line), which are read as the body."""

    line: int
    text: str
    below: dict[str, int]


def header_end(text: str, end: int, known: Collection[str]) -> HeaderEnd | None:
    """The line that ended the header, when fields of ``known`` (field keys)
    follow it at once: a blank line inside the header, a line that is not
    ``Key: value`` (``Source URL: ...``), or front matter (``---``). ``end``
    is what ``split_header`` returned as the header's length."""
    lines = text.split("\n")
    if end >= len(lines):
        return None
    stop = end - 1 if end and not lines[end - 1].strip() else end
    below: dict[str, int] = {}
    for index in range(stop + 1, len(lines)):
        line = lines[index]
        if line.strip() in FRONT_MATTER or (_MORE_RE.match(line) and line.strip()):
            continue
        match = _FIELD_LIKE_RE.match(line)
        if not match:
            break
        key = field_key(match["key"].replace(" ", "_"))
        key = key if key in known else field_key(other_name(key) or key)
        if key in known:
            below.setdefault(key, index + 1)
    return HeaderEnd(stop + 1, lines[stop].strip(), below) if below else None


def item_parts(text: str) -> tuple[str, str | None, str | None, str | None]:
    """The body, and the raw Title, Summary and Lang values, of an item's
    text (what ``kilas_render`` renders, and in which language)."""
    header, body, _ = split_header(text)
    values = {key.lower(): value for key, value, _ in header}
    return body, values.get("title"), values.get("summary"), values.get("lang")


def other_name(name: str) -> str | None:
    """The field an Indonesian or other name means: ``sumber`` -> ``Source``."""
    return _OTHER.get(field_key(name))


def field_key(name: str) -> str:
    """``Source-URL``, ``source_url`` and ``SOURCE_URL`` are the same field."""
    return name.strip().lower().replace("-", "_")


def split_list(value: str) -> list[str]:
    """``;`` or ``,`` separated, trimmed, empty parts and repeats dropped."""
    separator = ";" if ";" in value else ","
    seen: dict[str, str] = {}
    for raw in value.split(separator):
        part = " ".join(raw.split())
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    return list(seen.values())


def suggest(value: str, choices: list[str], cutoff: float = 0.6) -> str | None:
    folded = {c.casefold(): c for c in choices}
    near = difflib.get_close_matches(value.casefold(), folded, n=1, cutoff=cutoff)
    return folded[near[0]] if near else None


def explain(message: str, allowed: str = "", suggestion: str | None = None) -> str:
    """``message. Allowed: .... Did you mean "x"?``, the parts that apply."""
    text = message
    if allowed:
        text += f". Allowed: {allowed}"
    if suggestion:
        text += f'. Did you mean "{suggestion}"?'
    return text
