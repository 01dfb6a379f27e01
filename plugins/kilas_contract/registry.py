"""Registries that turn what editors write into one canonical region or source.

Regions come from CLDR (through Babel) for countries and world regions, from
ISO 3166-2 (through pycountry) for provinces and other subdivisions, and from a
small YAML file in ``content/`` for places neither knows. Sources come from a
YAML file in ``content/``. Lookups ignore case, accents and stray spaces.
"""

from __future__ import annotations

import difflib
import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from babel import Locale
from pelican.urlwrappers import URLWrapper

logger = logging.getLogger(__name__)

SOURCE_KINDS = ("outlet", "agency", "government", "ngo", "company", "other")
# CLDR codes that are not places a story can be about.
_NOT_PLACES = {"ZZ", "QO", "EZ", "UN", "XA", "XB"}


def normalize(text: str) -> str:
    """Fold case, accents, punctuation spacing: the key every lookup uses."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().replace("_", " ").split())


class RegistryError(ValueError):
    """A registry file is unreadable or has a bad entry."""


class _Term(URLWrapper):
    """A taxonomy term whose URL settings use ``settings_prefix``."""

    settings_prefix = ""

    def _from_settings(self, key: str) -> str:
        setting = f"{self.settings_prefix}_{key}"
        value = self.settings.get(setting, "")
        if isinstance(value, str):
            return value.format(**self.as_dict())
        return value

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.slug}>"


class Region(_Term):
    """One place: a country, world region, subdivision or registry entry."""

    settings_prefix = "REGION"

    def __init__(self, code: str, name: str, kind: str, settings: dict) -> None:
        super().__init__(name, settings)
        self.code = code
        self.kind = kind
        self.parent: Region | None = None


class Source(_Term):
    """An outlet, agency or other body whose reports items digest or cite."""

    settings_prefix = "SOURCE"

    def __init__(self, entry: dict, settings: dict) -> None:
        super().__init__(entry["name"], settings)
        self.homepage: str = entry.get("homepage", "")
        self.kind: str = entry.get("kind", "outlet")
        self.country: str = entry.get("country", "")
        self.language: str = entry.get("language", "")
        self.aliases: list[str] = list(entry.get("aliases", []))


class Story(_Term):
    """A developing story that several items belong to."""

    settings_prefix = "STORY"


@dataclass
class Lookup:
    """Resolved value, or None and the nearest known spelling."""

    value: object | None
    suggestion: str | None = None
    ambiguous: list[str] = field(default_factory=list)


class _Index:
    """Normalized key -> object, with the spellings shown in suggestions."""

    def __init__(self) -> None:
        self._items: dict[str, object] = {}
        self._spellings: dict[str, str] = {}
        self._clashes: dict[str, list[str]] = {}

    def add(self, key: str, value: object, weak: bool = False) -> None:
        """Map ``key`` to ``value``; a weak key never displaces an existing one."""
        norm = normalize(key)
        if not norm:
            return
        current = self._items.get(norm)
        if weak and current is not None:
            return
        if current is not None and current is not value:
            self._clashes.setdefault(norm, [self._label(current)]).append(
                self._label(value)
            )
            return
        self._items[norm] = value
        self._spellings.setdefault(norm, key)

    @staticmethod
    def _label(value: object) -> str:
        return f"{value.name} ({value.code})" if hasattr(value, "code") else str(value)

    def get(self, key: str) -> Lookup:
        norm = normalize(key)
        if norm in self._clashes:
            return Lookup(None, ambiguous=self._clashes[norm])
        if norm in self._items:
            return Lookup(self._items[norm])
        near = difflib.get_close_matches(norm, self._spellings, n=1, cutoff=0.75)
        return Lookup(None, self._spellings[near[0]] if near else None)


def _read_yaml(path: Path, key: str) -> list[dict]:
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RegistryError(f"cannot read the registry: {exc}") from exc
    entries = data.get(key, []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise RegistryError(f"expected a list under '{key}:'")
    return entries


class RegionRegistry:
    """Resolves a region code or name (site language or English) to a Region."""

    def __init__(self, settings: dict, registry_file: Path) -> None:
        self._settings = settings
        self._lang = settings.get("DEFAULT_LANG", "id")
        self._index = _Index()
        self._subdivisions_loaded = False
        self._by_code: dict[str, Region] = {}
        # Text -> region, for lookups that found one: thousands of items name
        # the same few regions. Loading the subdivisions never changes what
        # an earlier lookup found (their names are weak keys), so a found
        # region stays right; a miss is not kept, it may load them.
        self._found: dict[str, Lookup] = {}
        site = Locale.parse(self._lang)
        # Names in the site language, Indonesian and English all resolve.
        others = [Locale(lang) for lang in ("id", "en") if lang != site.language]
        for code, name in site.territories.items():
            if code in _NOT_PLACES or "-alt-" in code:
                continue
            kind = "world-region" if code.isdigit() else "country"
            region = self._register(code, name, kind)
            for other in others:
                self._index.add(other.territories.get(code, ""), region)
        self._add_iso_names()
        self._problems = self._load_registry(registry_file)

    @property
    def problems(self) -> list[str]:
        return self._problems

    def _register(self, code: str, name: str, kind: str, weak=False) -> Region:
        region = Region(code, name, kind, self._settings)
        self._by_code.setdefault(code.upper(), region)
        self._index.add(code, region, weak)
        self._index.add(name, region, weak)
        return region

    def _add_iso_names(self) -> None:
        import pycountry  # noqa: PLC0415  (imported late: it loads large tables)

        for country in pycountry.countries:
            region = self._by_code.get(country.alpha_2)
            if region is None:
                continue
            self._index.add(country.alpha_3, region)
            for attr in ("name", "common_name", "official_name"):
                if hasattr(country, attr):
                    self._index.add(getattr(country, attr), region)

    def _load_subdivisions(self) -> None:
        import pycountry  # noqa: PLC0415

        self._subdivisions_loaded = True
        for sub in pycountry.subdivisions:
            region = self._register(sub.code, sub.name, "subdivision", weak=True)
            region.parent = self._by_code.get(sub.country_code)

    def _load_registry(self, path: Path) -> list[str]:
        problems = []
        entries = _read_yaml(path, "regions")
        pending = []
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict) or not entry.get("code"):
                problems.append(f"region #{number} needs a 'code'")
                continue
            names = entry.get("name") or entry["code"]
            if isinstance(names, str):
                names = {"id": names}
            name = names.get(self._lang) or next(iter(names.values()))
            region = self._register(str(entry["code"]), name, "custom")
            for other in list(names.values()) + list(entry.get("aliases", [])):
                self._index.add(str(other), region)
            if entry.get("parent"):
                pending.append((region, str(entry["parent"])))
        for region, parent in pending:
            found = self.resolve(parent)
            if found.value is None:
                problems.append(f"region {region.code}: unknown parent {parent!r}")
            region.parent = found.value
        return problems

    def resolve(self, text: str) -> Lookup:
        found = self._found.get(text)
        if found is not None:
            return found
        found = self._index.get(text)
        if (
            found.value is None
            and not found.ambiguous
            and not self._subdivisions_loaded
        ):
            self._load_subdivisions()
            found = self._index.get(text)
        if found.value is not None:
            self._found[text] = found
        return found


class SourceRegistry:
    """Resolves a source name or alias to its Source entry."""

    REQUIRED = ("name", "homepage", "kind")

    def __init__(self, settings: dict, registry_file: Path) -> None:
        self._index = _Index()
        # Text -> lookup: the index is complete once built, and thousands of
        # items name the same few sources.
        self._found: dict[str, Lookup] = {}
        self.sources: list[Source] = []
        self._problems: list[str] = []
        for number, entry in enumerate(_read_yaml(registry_file, "sources"), 1):
            missing = [k for k in self.REQUIRED if not (entry or {}).get(k)]
            if missing:
                self._problems.append(f"source #{number}: missing {', '.join(missing)}")
                continue
            if entry["kind"] not in SOURCE_KINDS:
                self._problems.append(
                    f"source {entry['name']}: kind "
                    f"{entry['kind']!r} is not one of {', '.join(SOURCE_KINDS)}"
                )
            if not str(entry["homepage"]).startswith(("http://", "https://")):
                self._problems.append(
                    f"source {entry['name']}: homepage must be an http(s) address"
                )
            source = Source(entry, settings)
            self.sources.append(source)
            self._index.add(source.name, source)
            for alias in source.aliases:
                self._index.add(str(alias), source)

    @property
    def problems(self) -> list[str]:
        return self._problems

    def resolve(self, text: str) -> Lookup:
        if text not in self._found:
            self._found[text] = self._index.get(text)
        return self._found[text]
