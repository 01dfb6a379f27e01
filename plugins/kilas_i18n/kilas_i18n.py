"""Kilas localisation: Babel date and number filters, gettext catalogs.

The interface language is ``DEFAULT_LANG``. Its catalog is read from the
theme's ``translations/<lang>/LC_MESSAGES/messages.po`` and compiled in memory
(no compiled ``.mo`` is committed). Dates always carry a time zone: Babel
treats a naive datetime as UTC.
"""

from __future__ import annotations

import io
import logging
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from pelican import signals

logger = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def load_translations(po_file: str, mtime: float) -> NullTranslations:
    """Compile one catalog in memory; cached per file version."""
    del mtime  # part of the cache key only
    with open(po_file, "rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def translations_for(theme: str, lang: str) -> NullTranslations:
    po_file = Path(theme) / "translations" / lang / "LC_MESSAGES" / "messages.po"
    if not po_file.exists():
        return NullTranslations()
    return load_translations(str(po_file), po_file.stat().st_mtime)


class DateFilters:
    """Jinja filters bound to one locale and time zone label."""

    def __init__(self, lang: str, tz_label: str) -> None:
        self.locale = Locale.parse(lang)
        self.tz_label = tz_label

    def long_date(self, value: date) -> str:
        """``Minggu, 4 Agustus 2024``"""
        return format_date(value, "EEEE, d MMMM y", locale=self.locale)

    def medium_date(self, value: date) -> str:
        """``4 Agu 2024``"""
        return format_date(value, "medium", locale=self.locale)

    def short_time(self, value: datetime) -> str:
        """``10.30`` in Indonesian, ``10:30`` in English."""
        return format_skeleton("Hm", value, locale=self.locale)

    def long_datetime(self, value: datetime) -> str:
        """``Minggu, 4 Agustus 2024 · 10.30 WIB``"""
        label = f" {self.tz_label}" if self.tz_label else ""
        return f"{self.long_date(value)} · {self.short_time(value)}{label}"

    def month_year(self, value: date) -> str:
        """``Agustus 2024``"""
        return format_date(value, "LLLL y", locale=self.locale)

    def month_name(self, value: date) -> str:
        """``Agustus``"""
        return format_date(value, "LLLL", locale=self.locale)

    def year(self, value: date) -> str:
        return format_date(value, "y", locale=self.locale)

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.locale)

    def iso(self, value: datetime) -> str:
        return value.isoformat()

    def filters(self) -> dict:
        """The filters, each remembering its results: a date is formatted once
        per build however many listing pages show it."""
        filters = {
            "long_date": self.long_date,
            "medium_date": self.medium_date,
            "short_time": self.short_time,
            "long_datetime": self.long_datetime,
            "month_year": self.month_year,
            "month_name": self.month_name,
            "year_label": self.year,
            "number": self.number,
            "isodate": self.iso,
        }
        return {name: _remembering(f) for name, f in filters.items()}


def _remembering(function):
    """``function`` with a memory. The key carries the type and the UTC offset:
    equal instants in two time zones compare equal but print differently."""
    memory: dict = {}

    def remembered(value):
        offset = value.utcoffset() if isinstance(value, datetime) else None
        key = (type(value), value, offset)
        if key not in memory:
            memory[key] = function(value)
        return memory[key]

    return remembered


def setup_environment(generator) -> None:
    """Give every generator's Jinja environment our filters and catalog."""
    settings = generator.settings
    lang = settings.get("DEFAULT_LANG", "id")
    env = generator.env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_translations(
        translations_for(settings["THEME"], lang), newstyle=True
    )
    env.filters.update(DateFilters(lang, settings.get("TIMEZONE_LABEL", "")).filters())


def register() -> None:
    # generator_init: each generator builds its own Jinja environment.
    signals.generator_init.connect(setup_environment)
