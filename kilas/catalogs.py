"""The theme's message catalogs: extract the interface strings from the
templates, and keep every language's catalog in step with them.

``theme/translations/messages.pot`` is the template of all msgids (English);
``theme/translations/<lang>/LC_MESSAGES/messages.po`` holds one language.
The plugin ``kilas_i18n`` compiles the ``.po`` in memory at build time.
"""

from __future__ import annotations

import logging
from configparser import ConfigParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

logger = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parent.parent
THEME = PROJECT / "theme"
LANGUAGES = ("id", "en")
# The msgids are English: the English catalog may leave a msgstr empty.
SOURCE_LANG = "en"
DOMAIN = "messages"


def _new_catalog(locale: str | None = None) -> Catalog:
    return Catalog(
        locale=locale,
        project="Kilas",
        copyright_holder="Kilas",
        header_comment="# Kilas interface strings. Update with `invoke translations`.",
        charset="utf-8",
        fuzzy=False,
    )


def _method_map(theme: Path) -> tuple[list, dict]:
    parser = ConfigParser()
    parser.read(theme / "babel.cfg", encoding="utf-8")
    method_map, options_map = [], {}
    for section in parser.sections():
        method, pattern = (part.strip() for part in section.split(":", 1))
        method_map.append((pattern, method))
        options_map[pattern] = dict(parser.items(section))
    return method_map, options_map


def extract(theme: Path = THEME) -> Catalog:
    """Every msgid of the theme's templates, with where it is used."""
    method_map, options_map = _method_map(theme)
    catalog = _new_catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        theme,
        method_map,
        options_map,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
    ):
        catalog.add(
            message,
            None,
            [(filename, lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def po_path(lang: str, theme: Path = THEME) -> Path:
    return theme / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str, theme: Path = THEME) -> Catalog:
    with po_path(lang, theme).open("rb") as handle:
        return read_po(handle, locale=lang)


def untranslated(lang: str, theme: Path = THEME) -> list[str]:
    """msgids of the templates that the language's catalog does not translate."""
    path = po_path(lang, theme)
    catalog = read_catalog(lang, theme) if path.exists() else _new_catalog(lang)
    missing = []
    for message in extract(theme):
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = (
            found.string
            if found and isinstance(found.string, (list, tuple))
            else [found.string if found else ""]
        )
        if found is None or found.fuzzy or not all(strings):
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            missing.append(key)
    return missing


def update(theme: Path = THEME, languages: tuple[str, ...] = LANGUAGES) -> Path:
    """Write messages.pot and bring every language's .po up to date with it
    (new msgids added untranslated, removed ones marked obsolete)."""
    template = extract(theme)
    pot = theme / "translations" / f"{DOMAIN}.pot"
    pot.parent.mkdir(parents=True, exist_ok=True)
    with pot.open("wb") as handle:
        write_po(handle, template, width=88, omit_header=False, sort_output=True)
    for lang in languages:
        path = po_path(lang, theme)
        if path.exists():
            catalog = read_catalog(lang, theme)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = _new_catalog(lang)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=88, sort_output=True, ignore_obsolete=True)
    return pot
