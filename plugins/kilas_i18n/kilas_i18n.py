"""Kilas localisation: Babel date and number filters, gettext catalogs.

The interface language of a page is the language of the item or page it
shows (``Lang``) when the theme has a catalog for it, else ``DEFAULT_LANG``:
an English translation's page speaks English around its text. A template may
set ``interface_lang`` to choose. Catalogs are read from the theme's
``translations/<lang>/LC_MESSAGES/messages.po`` and compiled in memory (no
compiled ``.mo`` is committed). Dates always carry a time zone: Babel treats a
naive datetime as UTC. Every time is shown in the site's zone (``TIMEZONE``)
with that zone's abbreviation from CLDR (``zone_abbreviation``: WIB for
Asia/Jakarta, WITA for Asia/Makassar, WIT for Asia/Jayapura).
"""

from __future__ import annotations

import io
import logging
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_skeleton, tokenize_pattern
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from kilas_settings import machine_date, zone_abbreviation
from pelican import signals

logger = logging.getLogger(__name__)

# Babel's short zone name when CLDR has no abbreviation: "+0700".


class I18nSettingError(ValueError):
    """A localisation setting has a value the plugin cannot use."""


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
    """Jinja filters bound to one locale and the site's time zone: a date
    and time is shown in that zone, whatever offset it was written with."""

    # Fields of a time pattern whose text depends on the hour and minute alone.
    CLOCK_FIELDS = frozenset("HhKkma")

    def __init__(self, lang: str, zone: str) -> None:
        self.lang = lang
        self.locale = Locale.parse(lang)
        self.tz = ZoneInfo(zone)
        # What Babel printed, keyed by the parts of a value its pattern reads
        # (a date for a date pattern, the hour and minute for the time, the
        # offset for the zone): items of one day or minute format it once.
        # One DateFilters per generator and build holds them.
        self._printed: dict = {}
        hm = self.locale.datetime_skeletons.get("Hm")
        self._clock_only = (
            hm is not None
            and {
                field[0] for kind, field in tokenize_pattern(str(hm)) if kind == "field"
            }
            <= self.CLOCK_FIELDS
        )

    def _remembered(self, key, make) -> str:
        text = self._printed.get(key)
        if text is None:
            text = self._printed[key] = make()
        return text

    def _date(self, value: date, pattern: str) -> str:
        """``format_date``, which reads only the date (Babel drops a
        datetime's time before formatting)."""
        day = self._local(value)
        if isinstance(day, datetime):
            day = day.date()
        return self._remembered(
            (pattern, day), lambda: format_date(day, pattern, locale=self.locale)
        )

    def _local(self, value: date) -> date:
        if isinstance(value, datetime):
            if value.tzinfo is None:  # Babel would take it for UTC
                return value.replace(tzinfo=self.tz)
            return value.astimezone(self.tz)
        return value

    def long_date(self, value: date) -> str:
        """``Minggu, 4 Agustus 2024``"""
        return self._date(value, "EEEE, d MMMM y")

    def plain_date(self, value: date) -> str:
        """``4 Agustus 2024``"""
        return self._date(value, "d MMMM y")

    def weekday(self, value: date) -> str:
        """``Minggu``"""
        return self._date(value, "EEEE")

    def weekday_short(self, value: date) -> str:
        """``Min``"""
        return self._date(value, "EEE")

    def medium_date(self, value: date) -> str:
        """``4 Agu 2024``, ``4 Aug 2024``: the day first, as in ``long_date``
        (English's "medium" is "Aug 4, 2024", beside "Sunday, 4 August
        2024" on one page)."""
        return self._date(value, "d MMM y")

    def short_time(self, value: datetime) -> str:
        """``10.30`` in Indonesian, ``10:30`` in English."""
        local = self._local(value)
        if not (self._clock_only and isinstance(local, datetime)):
            # a date, or a pattern that reads more than the clock
            return format_skeleton("Hm", local, locale=self.locale)
        return self._remembered(
            ("Hm", local.hour, local.minute),
            lambda: format_skeleton("Hm", local, locale=self.locale),
        )

    def zone(self, value: datetime) -> str:
        """``WIB``"""
        local = self._local(value)
        if getattr(local, "tzinfo", None) is not self.tz:  # not a time in it
            return zone_abbreviation(local, self.lang)
        # The name depends on the zone (the site's), whether daylight saving
        # is in force and, when CLDR has no name, the offset.
        return self._remembered(
            ("zone", local.utcoffset(), local.dst()),
            lambda: zone_abbreviation(local, self.lang),
        )

    def long_datetime(self, value: datetime) -> str:
        """``Minggu, 4 Agustus 2024 · 10.30 WIB``"""
        return f"{self.long_date(value)} · {self.short_time(value)} {self.zone(value)}"

    def month_year(self, value: date) -> str:
        """``Agustus 2024``"""
        return self._date(value, "LLLL y")

    def month_name(self, value: date) -> str:
        """``Agustus``"""
        return self._date(value, "LLLL")

    def year(self, value: date) -> str:
        return self._date(value, "y")

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.locale)

    def iso(self, value: datetime) -> str:
        """``2024-08-04T10:30:00+07:00`` (``machine_date``: an offset with
        seconds, local mean time of old dates, is written in UTC)."""
        return machine_date(self._local(value))

    def filters(self) -> dict:
        """The filters, each remembering its results: a date is formatted once
        per build however many listing pages show it."""
        filters = {
            "long_date": self.long_date,
            "plain_date": self.plain_date,
            "weekday": self.weekday,
            "weekday_short": self.weekday_short,
            "medium_date": self.medium_date,
            "short_time": self.short_time,
            "long_datetime": self.long_datetime,
            "zone_name": self.zone,
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


def interface_languages(theme: str, site_lang: str) -> tuple[str, ...]:
    """The site's language first, then every language the theme has a catalog for."""
    folder = Path(theme) / "translations"
    found = sorted(p.parent.parent.name for p in folder.glob("*/LC_MESSAGES/*.po"))
    return tuple(dict.fromkeys([site_lang, *found]))


def spoken_language(lang: str | None, known) -> str | None:
    """``lang`` when the theme speaks it, else its language without a region
    or script when the theme speaks that (``en-GB``, ``en-US``: ``en``;
    ``id-ID``: ``id``), else None."""
    if not lang or lang in known:
        return lang or None
    try:
        base = Locale.parse(str(lang).replace("-", "_")).language
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return base if base in known else None


def interface_language(context, site_lang: str, known) -> str:
    """The language a page's interface speaks: ``interface_lang`` when a
    template set it, else the ``Lang`` of the item or page the page shows,
    when the theme speaks it (or its language: an ``en-GB`` item's page
    speaks ``en``); else the site's."""
    lang = context.get("interface_lang")
    if not lang:
        shown = context.get("article") or context.get("page")
        lang = getattr(shown, "lang", None)
    return spoken_language(lang, known) or site_lang


@lru_cache(maxsize=64)
def og_locale(code: str) -> str:
    """The OpenGraph locale (``language_TERRITORY``) of a language code:
    ``en-GB`` is ``en_GB``; a code without a territory takes CLDR's likely
    one (``ms``: ``ms_MY``, ``jv``: ``jv_ID``, ``zh-Hant``: ``zh_TW``)."""
    text = str(code).replace("-", "_")
    try:
        locale = Locale.parse(text)
        if not locale.territory:
            likely = get_global("likely_subtags").get(str(locale))
            likely = likely or get_global("likely_subtags").get(locale.language)
            locale = Locale.parse(likely) if likely else locale
    except (ValueError, TypeError, UnknownLocaleError):
        return text
    if not locale.territory:
        return locale.language
    return f"{locale.language}_{locale.territory}"


def setup_environment(generator) -> None:
    """Give every generator's Jinja environment our filters and catalogs.

    ``_``, ``ngettext`` and the date and number filters look up the page's
    interface language (``interface_language``) each time they are called.
    """
    settings = generator.settings
    site_lang = settings.get("DEFAULT_LANG", "id")
    languages = interface_languages(settings["THEME"], site_lang)
    catalogs = {lang: translations_for(settings["THEME"], lang) for lang in languages}
    if "TIMEZONE_LABEL" in settings:
        raise I18nSettingError(
            "kilas_i18n: TIMEZONE_LABEL is no longer used: the zone's abbreviation"
            f" comes from TIMEZONE ({settings.get('TIMEZONE')}); delete the setting"
        )
    zone = settings.get("TIMEZONE") or "UTC"
    filters = {lang: DateFilters(lang, zone).filters() for lang in languages}

    def language(context) -> str:
        return interface_language(context, site_lang, languages)

    @pass_context
    def gettext(context, message: str) -> str:
        return catalogs[language(context)].ugettext(message)

    @pass_context
    def ngettext(context, singular: str, plural: str, number: int) -> str:
        return catalogs[language(context)].ungettext(singular, plural, number)

    def localised(name: str):
        @pass_context
        def apply(context, value):
            return filters[language(context)][name](value)

        return apply

    env = generator.env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.filters.update({name: localised(name) for name in filters[site_lang]})
    env.filters["og_locale"] = og_locale
    env.globals["interface_language"] = pass_context(language)


def register() -> None:
    # generator_init: each generator builds its own Jinja environment.
    signals.generator_init.connect(setup_environment)
