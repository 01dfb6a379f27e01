"""``invoke new``: write a new item that already passes ``invoke check``."""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kilas_contract.contract import PLACEHOLDERS, explain, split_list, suggest
from kilas_contract.registry import RegionRegistry, SourceRegistry
from pelican.utils import slugify

from kilas.build import load_settings

logger = logging.getLogger(__name__)

# The prompts are refused in any item that is not a draft (kilas_contract),
# so a scaffold is never published by mistake.
SUMMARY_PROMPT = f"{PLACEHOLDERS['Summary']}."
BODY_PROMPT = (
    f"{PLACEHOLDERS['Body']}, dengan kata-kata sendiri; lalu hapus baris"
    " Status: draft agar butir ini terbit."
)


# The longest file name ``invoke new`` makes from a headline, in characters
# (news sites' addresses keep about as much; the contract allows 200 and a
# file system 255 bytes).
LONGEST_FILE_SLUG = 100


def file_slug(slug: str, limit: int = LONGEST_FILE_SLUG) -> str:
    """``slug`` shortened to ``limit`` characters at a word's end (a long
    headline would give a file name the file system refuses)."""
    if len(slug) <= limit:
        return slug
    words = slug[: limit + 1].rsplit("-", 1)[0]
    return (words if "-" in slug[: limit + 1] else slug[:limit]).strip("-")


class ScaffoldError(ValueError):
    """An argument of ``invoke new`` is not a known value."""


def _one_line(field: str, value: str) -> str | None:
    """A problem when ``value`` cannot be one header line: a line break or
    another control character would end the field (``Status: published``
    on a line of its own would be a field)."""
    for column, char in enumerate(value, 1):
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return (
                f"{field}: {value!r} holds the control character "
                f"U+{ord(char):04X} at column {column}: a field is one line;"
                " write it without line breaks"
            )
    return None


def _resolve_all(registry, values: list[str], field: str) -> tuple[list, list]:
    names, problems = [], []
    for value in values:
        found = registry.resolve(value)
        if found.value is None:
            problems.append(
                explain(f'{field}: unknown value "{value}"', "", found.suggestion)
            )
        else:
            names.append(found.value.name)
    return names, problems


def new_item(
    title: str,
    region: str,
    source: str,
    category: str,
    summary: str = "",
    story: str = "",
    settings_file: str = "pelicanconf.py",
    now: datetime | None = None,
) -> Path:
    """Write ``content/<items>/YYYY/MM/<slug>.md``; refuse to overwrite."""
    settings = load_settings(settings_file)
    content = Path(settings["PATH"])
    categories = settings.get("KILAS_CATEGORIES") or []
    title, summary, story = title.strip(), summary.strip(), story.strip()
    category = category.strip()
    matches = [c for c in categories if c.casefold() == category.casefold()]
    problems = [
        p
        for field, value in (("Title", title), ("Summary", summary), ("Story", story))
        if (p := _one_line(field, value))
    ]
    problems += [
        f"{field}: is empty; it is required"
        for field, empty in (
            ("Title", not title),
            ("Region", not split_list(region)),
            ("Source", not source.strip()),
        )
        if empty
    ]
    regex_subs = settings["SLUG_REGEX_SUBSTITUTIONS"]
    if story and not problems and not slugify(story, regex_subs=regex_subs):
        problems.append(
            f'Story: "{story}" gives the story no address: write it with letters'
            " or digits"
        )
    if categories and not matches:
        problems.append(
            explain(
                f'Category: unknown value "{category}"',
                ", ".join(categories),
                suggest(category, categories),
            )
        )
    resolved = {}
    for field, registry, values in (
        ("Region", RegionRegistry, split_list(region)),
        ("Source", SourceRegistry, [source.strip()] if source.strip() else []),
    ):
        path = content / settings[f"KILAS_{field.upper()}S_FILE"]
        names, wrong = _resolve_all(registry(settings, path), values, field)
        resolved[field] = names
        problems += wrong
    if problems:
        raise ScaffoldError("\n".join(problems))
    regions, sources = resolved["Region"], resolved["Source"]
    now = now or datetime.now(ZoneInfo(settings["TIMEZONE"]))
    slug = file_slug(slugify(title, regex_subs=regex_subs))
    if not slug:
        raise ScaffoldError(f'Title: "{title}" gives an empty file name')
    folder = content / settings["ARTICLE_PATHS"][0] / f"{now:%Y}" / f"{now:%m}"
    path = folder / f"{slug}.md"
    if path.exists():
        shown = (
            path.relative_to(content.parent)
            if path.is_relative_to(content.parent)
            else path
        )
        raise ScaffoldError(f"{shown} already exists; choose another title")
    lines = [
        f"Title: {title}",
        f"Date: {now:%Y-%m-%d %H:%M}",
        f"Category: {matches[0] if matches else category}",
        f"Region: {'; '.join(regions)}",
        f"Source: {sources[0]}",
    ]
    if story:
        lines.append(f"Story: {story}")
    # A draft until the editor has written the text and removes this line.
    lines.append("Status: draft")
    lines += [f"Summary: {summary or SUMMARY_PROMPT}", "", BODY_PROMPT, ""]
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    return path
