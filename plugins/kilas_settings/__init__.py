"""Settings of Kilas' plugins: defaults declared once, every value checked once.

Not a plugin (it has no ``register``): a small library the plugins and
``kilas/`` import. A plugin declares its settings as data, a dict of
defaults and a dict of rules, and calls ``apply`` once when the build
starts::

    DEFAULTS = {"TIMELINE_HOME_DAYS": 6}
    RULES = {"TIMELINE_HOME_DAYS": whole(0)}

    def start(pelican):
        apply(pelican.settings, DEFAULTS, RULES, plugin="kilas_timeline")

``apply`` fills in each default the site did not set (a copy: a build never
shares the plugin's lists and dicts), then checks every ruled value and
raises one ``SettingError`` naming each bad key, its value and what is
allowed. ``problems`` gives the same messages as a list, for code that
reports every problem of a run itself (the content contract does).

A build's own objects (a pool of processes, a plan made while reading) live
in ``state``: one ``BuildState`` per build, kept in the settings the Pelican
object and every generator share.
"""

from __future__ import annotations

import calendar
import copy
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.core import UnknownLocaleError, get_global
from babel.dates import format_datetime
from babel.languages import get_official_languages

logger = logging.getLogger(__name__)

__all__ = [
    "BuildState",
    "NoSuchDate",
    "Rule",
    "SettingError",
    "apply",
    "apply_defaults",
    "build_now",
    "check",
    "flag",
    "kind",
    "machine_date",
    "minute_offset",
    "one_of",
    "optional",
    "parse_date",
    "problems",
    "report_held",
    "rule",
    "shown_when",
    "site_url",
    "state",
    "text",
    "texts",
    "whole",
    "zone_abbreviation",
]


class SettingError(ValueError):
    """A setting has a value a plugin cannot use. The message names every
    bad key, its value and what is allowed, one a line."""


@dataclass(frozen=True)
class Rule:
    """What a setting may be: ``test(value)`` is true for a good value;
    ``allowed`` says what is allowed, in an error message."""

    test: Callable[[object], bool]
    allowed: str
    # A near value to suggest for a refused one (or None), e.g. a misspelling's.
    hint: Callable[[object], str | None] | None = None

    def __call__(self, value: object) -> bool:
        try:
            return bool(self.test(value))
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            return False


def rule(
    test: Callable[[object], bool],
    allowed: str,
    hint: Callable[[object], str | None] | None = None,
) -> Rule:
    """A rule of the plugin's own: ``test`` may raise on a bad value;
    ``hint(value)`` may name a near value to suggest."""
    return Rule(test, allowed, hint)


def whole(minimum: int = 0, example: int | None = None) -> Rule:
    """A whole number (not True or False) of at least ``minimum``."""
    allowed = f"a whole number of at least {minimum}"
    if example is not None:
        allowed += f", e.g. {example}"
    return Rule(
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum,
        allowed,
    )


def text(allowed: str = "a text") -> Rule:
    return Rule(lambda v: isinstance(v, str), allowed)


def flag() -> Rule:
    return Rule(lambda v: isinstance(v, bool), "True or False")


def one_of(*values: object) -> Rule:
    return Rule(
        lambda v: any(v == c and type(v) is type(c) for c in values),
        "one of " + ", ".join(map(repr, values)),
    )


def texts(allowed: str = "a list of texts") -> Rule:
    return Rule(
        lambda v: isinstance(v, list | tuple) and all(isinstance(s, str) for s in v),
        allowed,
    )


def kind(types: type | tuple[type, ...], allowed: str) -> Rule:
    """Any value of ``types`` (True and False count only when bool is named)."""
    names = types if isinstance(types, tuple) else (types,)
    return Rule(
        lambda v: isinstance(v, names) and (bool in names or not isinstance(v, bool)),
        allowed,
    )


def optional(inner: Rule) -> Rule:
    """None, or what ``inner`` allows."""
    return Rule(lambda v: v is None or inner(v), f"None or {inner.allowed}")


def _hint(checked: Rule, value: object) -> str | None:
    if checked.hint is None:
        return None
    try:
        return checked.hint(value)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None


def apply_defaults(settings: dict, defaults: Mapping[str, object]) -> None:
    """Fill in each default the site did not set, as a deep copy: the plugin's
    table is never handed to a build (nor changed by one)."""
    for key, value in defaults.items():
        if key not in settings:
            settings[key] = copy.deepcopy(value)


def problems(settings: Mapping, rules: Mapping[str, Rule], plugin: str) -> list[str]:
    """``plugin: KEY = value is not allowed; expected ...`` for every setting
    of ``rules`` whose value its rule refuses (an unset key counts as None)."""
    found = []
    for key, check_value in rules.items():
        value = settings.get(key)
        if not check_value(value):
            message = (
                f"{plugin}: {key} = {value!r} is not allowed;"
                f" expected {check_value.allowed}"
            )
            near = _hint(check_value, value)
            found.append(f"{message}; did you mean {near}?" if near else message)
    return found


def check(
    settings: Mapping,
    rules: Mapping[str, Rule],
    plugin: str,
    error: type[SettingError] = SettingError,
) -> None:
    """Raise ``error`` naming every setting its rule refuses."""
    found = problems(settings, rules, plugin)
    if found:
        raise error("\n".join(found))


def apply(
    settings: dict,
    defaults: Mapping[str, object],
    rules: Mapping[str, Rule],
    plugin: str,
    error: type[SettingError] = SettingError,
) -> None:
    """``apply_defaults``, then ``check``: what a plugin does when a build starts."""
    apply_defaults(settings, defaults)
    check(settings, rules, plugin, error)


def site_url(settings: Mapping, path: str) -> str:
    """The address of ``path`` (relative to the site's root): ``SITEURL`` +
    "/" + path; root-relative when ``SITEURL`` is empty (development)."""
    return f"{settings.get('SITEURL', '')}/{path}"


# The theme's own icon (theme/static/), for a site that brings none.
THEME_ICON = "theme/favicon.svg"


def site_icon(settings: Mapping) -> str:
    """The site's icon, a path from the site's root: ``SITE_ICON`` when set;
    else the file ``EXTRA_PATH_METADATA`` publishes as ``favicon.*`` (the
    site's own, ``content/extra/favicon.svg``) when it is there; else the
    theme's. A site without the file linked a missing icon from every page."""
    chosen = settings.get("SITE_ICON")
    if chosen:
        return str(chosen).strip("/")
    content = Path(settings.get("PATH") or ".")
    for source, meta in (settings.get("EXTRA_PATH_METADATA") or {}).items():
        path = str((meta or {}).get("path", ""))
        if (
            path.rpartition("/")[2].startswith("favicon.")
            and (content / source).is_file()
        ):
            return path.strip("/")
    return THEME_ICON


_OFFSET_NAME = re.compile(r"^(GMT|UTC)?[+-]\d")


@lru_cache(maxsize=32)
def _offsets_in_use(zone: str) -> frozenset[timedelta]:
    """The offsets ``zone`` has kept since 1970 (each January and July up to
    2037), which its CLDR names stand for: the time zone database is
    complete from 1970, and Asia/Jakarta has been WIB (+07:00) since 1964."""
    tz = ZoneInfo(zone)
    return frozenset(
        datetime(year, month, 1, tzinfo=tz).utcoffset()
        for year in range(1970, 2038)
        for month in (1, 7)
    )


def zone_abbreviation(value: datetime, lang: str) -> str:
    """The abbreviation of ``value``'s time zone that readers know.

    CLDR's commonly used short name in the interface language (WIB, WITA and
    WIT in Indonesian); when that language has none (English names
    Asia/Jakarta "+0700"), the name used in the zone's own country, in its
    official languages (so an English page of an Indonesian site also says
    WIB); else the offset, "GMT+07:00". A time whose offset the zone no
    longer keeps (Jakarta's +07:20 of 1924, +09:00 of 1943) is named by that
    offset: CLDR's name stands for today's (WIB is +07:00).
    """
    zone = getattr(value.tzinfo, "key", None)
    if zone and value.utcoffset() not in _offsets_in_use(zone):
        return format_datetime(value, "OOOO", locale=lang)
    territory = get_global("zone_territories").get(zone or "")
    languages = [lang]
    if territory:
        languages += get_official_languages(territory, de_facto=True)
    for language in dict.fromkeys(languages):
        try:
            name = format_datetime(value, "zzz", locale=language)
        except (ValueError, LookupError, UnknownLocaleError):
            continue  # a language CLDR has no data for (Timor-Leste's tet)
        if not _OFFSET_NAME.match(name):
            return name
    return format_datetime(value, "OOOO", locale=lang)


def minute_offset(value: datetime) -> datetime:
    """``value``, or the same instant in UTC when its offset has seconds
    (local mean time, as Jakarta's +07:07:12 before 1924): HTML, Atom,
    sitemaps and JSON-LD write an offset in hours and minutes only."""
    offset = value.utcoffset()
    if offset is not None and offset % timedelta(minutes=1):
        return value.astimezone(UTC)
    return value


def machine_date(value: datetime) -> str:
    """The ISO 8601 date and time machines read (RFC 3339, the W3C datetime
    of sitemaps, HTML's ``<time datetime>``, JSON-LD): ``value``'s own
    offset when it is whole minutes, else UTC."""
    return minute_offset(value).isoformat()


# The whole value: a date, a time (10:30, or 10.30 as Indonesian writes it),
# then an offset, Z, or one of Indonesia's zones. Python's fromisoformat alone
# reads "10.30" as ten o'clock and 0.3 seconds.
_ISO_DATE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[ T](?P<time>\d{2}[:.]\d{2})(?P<seconds>:\d{2}(?:\.\d{1,6})?)?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?|WIB|WITA|WIT)?$",
    re.IGNORECASE,
)
# Indonesia's three zones (no summer time), as editors write them after a time.
INDONESIAN_ZONES = {"WIB": "+07:00", "WITA": "+08:00", "WIT": "+09:00"}


def parse_date(value: str, zone: tzinfo) -> datetime:
    """An ISO 8601 date and time as an instant in ``zone``: an offset, ``Z``
    or WIB, WITA or WIT is honoured, then the time converted; without one the
    time is ``zone``'s (a time its clocks skip or read twice, where summer
    time starts or ends, is NoSuchDate). ``10.30`` is 10:30. Raises
    ValueError."""
    match = _ISO_DATE.match(value.strip())
    if not match:
        raise ValueError(value)
    text = match["date"]
    written = (match["zone"] or "").upper()
    if match["time"] or written:
        text += (
            f"T{(match['time'] or '00:00').replace('.', ':')}{match['seconds'] or ''}"
        )
    if written:
        text += "+00:00" if written == "Z" else INDONESIAN_ZONES.get(written, written)
    try:
        date = datetime.fromisoformat(text)
    except ValueError:
        reason = _impossible(match)
        if reason:
            raise NoSuchDate(value, *reason) from None
        raise ValueError(value) from None
    if date.tzinfo:
        return date.astimezone(zone)
    return _wall_time(date, zone)


def _wall_time(date: datetime, zone: tzinfo) -> datetime:
    """``date`` read on ``zone``'s clocks. Where summer time starts, a
    clock time is skipped (no instant has it); where it ends, one is read
    twice (two instants, an hour apart): both are NoSuchDate, saying what
    to write (the time after the change; the offset of the one meant)."""
    first, second = date.replace(tzinfo=zone), date.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    name = getattr(zone, "key", str(zone))
    when = f"{date:%H:%M} on {date:%Y-%m-%d}"
    moved = first.astimezone(UTC).astimezone(zone)
    if moved.replace(tzinfo=None) != date:  # skipped: the clocks went forward
        raise NoSuchDate(
            str(date),
            f"{when} is no time in {name}: the clocks went forward that night",
            f"{moved:%Y-%m-%d %H:%M}",
        )
    choices = " or ".join(
        f"{date:%Y-%m-%dT%H:%M}{_offset_text(d)}" for d in (first, second)
    )
    raise NoSuchDate(
        str(date),
        f"{when} happens twice in {name} (the clocks went back that night):"
        f" write the offset of the one meant, {choices}",
    )


def _offset_text(value: datetime) -> str:
    """``+02:00`` (hours and minutes)."""
    minutes = int(value.utcoffset().total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class NoSuchDate(ValueError):
    """A value written as a date that no calendar has (``2023-02-29``,
    ``24:00``): ``why``, and the value ``meant`` when it is plain."""

    def __init__(self, value: str, why: str, meant: str | None = None) -> None:
        super().__init__(value)
        self.why = why
        self.meant = meant


def _impossible(match: re.Match) -> tuple[str, str | None] | None:
    """Why a value of a date's shape is no date, and the value meant when
    one is plain; None when no part is out of its range."""
    year, month, day = (int(part) for part in match["date"].split("-"))
    if not 1 <= month <= 12:
        return f"months run from 01 to 12, not {month:02d}", None
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{calendar.month_name[month]} {year} has {days} days", None
    if not match["time"]:
        return None
    hour, minute = (int(part) for part in re.split("[:.]", match["time"]))
    if (hour, minute) == (24, 0) and not match["seconds"]:
        after = datetime(year, month, day) + timedelta(days=1)
        zone = match["zone"] or ""
        meant = f"{after:%Y-%m-%d} 00:00{' ' * bool(zone)}{zone}"
        return "24:00 is 00:00 of the next day", meant
    if hour > 23:
        return f"hours run from 00 to 23, not {hour:02d}", None
    if minute > 59:
        return f"minutes run from 00 to 59, not {minute:02d}", None
    return None


def shown_when(value: datetime, settings: Mapping) -> str:
    """``2024-08-04 10:30 WIB``: a time in the site's zone, by its
    abbreviation, as a build lists what it holds back."""
    lang = settings.get("DEFAULT_LANG", "id")
    return f"{value:%Y-%m-%d %H:%M} {zone_abbreviation(value, lang)}"


def report_held(held: dict, log: logging.Logger) -> None:
    """Say what a build held back (kilas_contract's ``KILAS_HELD``):
    scheduled items, soonest first, with their times; drafts left out. A
    build that finds nothing changed says it again (Pelican not imported)."""
    notice = 25  # NOTICE: shown, never a warning that fails the build
    if held.get("scheduled"):
        log.log(
            notice,
            "kilas_contract: %d item(s) scheduled, left out of this build until"
            " their time (now is %s):",
            len(held["scheduled"]),
            held["now"],
        )
    for when, path, title in held.get("scheduled", []):
        log.log(notice, "  %s  %s (%s)", when, path, title)
    if held.get("drafts"):
        log.log(
            notice,
            "kilas_contract: %d draft(s) left out of this build (KILAS_DRAFTS ="
            " False): %s",
            len(held["drafts"]),
            ", ".join(held["drafts"]),
        )


def build_now(
    settings: Mapping,
    plugin: str = "kilas",
    error: type[SettingError] = SettingError,
) -> datetime:
    """The build's one "now", in the site's zone: the environment variable
    KILAS_NOW, else the setting KILAS_NOW, else the clock. The one reading of
    KILAS_NOW: kilas_contract holds items back by it, and kilas/fastpath.py
    (which must not import Pelican) decides by it whether time changed the
    site. Raises ``error`` naming the value and where it came from."""
    zone = ZoneInfo(settings.get("TIMEZONE") or "UTC")
    value, where = os.environ.get("KILAS_NOW", "").strip(), "environment variable"
    if not value:
        value, where = settings.get("KILAS_NOW"), "setting"
    if value is None:
        return datetime.now(zone)
    if isinstance(value, datetime):
        return value.astimezone(zone) if value.tzinfo else value.replace(tzinfo=zone)
    try:
        return parse_date(str(value), zone)
    except NoSuchDate as exc:
        meant = f"; write {exc.meant}" if exc.meant else ""
        raise error(
            f"{plugin}: KILAS_NOW = {value!r} ({where}) is not a date: {exc.why}{meant}"
        ) from None
    except (TypeError, ValueError):
        raise error(
            f"{plugin}: KILAS_NOW = {value!r} ({where}) is not an ISO 8601"
            " date and time; write e.g. 2024-08-05T12:00+07:00"
        ) from None


# -- a build's own objects -------------------------------------------------------
STATE_KEY = "KILAS_BUILD_STATE"


class BuildState:
    """What the plugins keep for one build, by plugin name.

    It lives in the build's settings (``STATE_KEY``): the Pelican object
    (``initialized``, ``finalized``), every generator and the shared context
    hold that same dict, so a signal receiver of any kind finds it, and a
    new build (new settings) starts with a new one. A forked process has its
    own copy. It prints, pickles and copies as an empty state: it holds
    processes and plans, never something a page shows.
    """

    # What a page that reads it shows of it: nothing (Kilas' page records
    # digest the state as this text).
    kilas_digest = "BuildState"

    def __init__(self) -> None:
        self._parts: dict[str, object] = {}

    def get(self, plugin: str) -> object | None:
        return self._parts.get(plugin)

    def set(self, plugin: str, value: object) -> object | None:
        """Keep ``value`` for ``plugin``; return what it replaces."""
        old = self._parts.get(plugin)
        self._parts[plugin] = value
        return old

    def pop(self, plugin: str) -> object | None:
        return self._parts.pop(plugin, None)

    def __repr__(self) -> str:
        return "BuildState()"

    def __reduce__(self):
        return (BuildState, ())

    def __copy__(self) -> BuildState:
        return self

    def __deepcopy__(self, memo) -> BuildState:
        return self


def state(settings: dict) -> BuildState:
    """The build's ``BuildState``, made on first use."""
    found = settings.get(STATE_KEY)
    if not isinstance(found, BuildState):
        found = settings[STATE_KEY] = BuildState()
    return found
