"""Registries that turn what editors write into one canonical region or source.

Regions come from a built-in gazetteer (``gazetteer/*.yaml``: newsroom names
and abbreviations, Indonesia's 38 provinces, areas ISO lacks, groupings), from
CLDR through Babel (every country and world region by its Indonesian and
English name), from ISO 3166 through pycountry (loaded only when a name is not
found otherwise: other subdivisions, alpha-3 codes) and from
``content/regions.yaml``. Sources come from ``content/sources.yaml``. Lookups
ignore case, accents and stray spaces.

Ranking (README "Sources and regions"): a name from the gazetteer, CLDR or the
site's registry beats an ISO code, which beats a foreign ISO subdivision's
name; within one rank two places make the name ambiguous (an error listing
them). ``Name, Country`` reaches a place inside a country.

Registry files are read as YAML nodes, never as Python objects first: anchors
and aliases are refused (no alias bomb), every scalar is text as written (no
``NO`` -> False, no ``030`` -> 24), and every problem carries its line.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

import yaml
from babel import Locale
from pelican.urlwrappers import URLWrapper

logger = logging.getLogger(__name__)

SOURCE_KINDS = ("outlet", "agency", "government", "ngo", "company", "other")
REGION_KINDS = ("country", "province", "subdivision", "area", "grouping")
# CLDR codes that are not places a story can be about.
_NOT_PLACES = {"ZZ", "QO", "EZ", "UN", "XA", "XB"}
GAZETTEER = Path(__file__).parent / "gazetteer"
GAZETTEER_FILES = ("countries.yaml", "indonesia.yaml", "areas.yaml", "groupings.yaml")
# Cities, regencies and islands by the region they lie in: read on a miss.
PLACES_FILE = "places.yaml"
# Words that name a part of a place: "Jakarta Selatan" suggests DKI Jakarta.
_PART_WORDS = frozenset(
    [
        "utara",
        "selatan",
        "barat",
        "timur",
        "tengah",
        "pusat",
        "daya",
        "laut",
        "kota",
        "kabupaten",
        "kab",
        "provinsi",
        "prov",
        "negara",
        "bagian",
        "kawasan",
        "wilayah",
        "city",
        "north",
        "south",
        "east",
        "west",
        "central",
        "province",
        "region",
    ]
)
# How Indonesian copy writes an administrative level before a name: its
# abbreviation ("Prov. Jawa Barat", "Kab. Bogor", "Kep. Seribu") is read as
# the word, and the level is dropped when the name with it is not known.
# "Provinsi X" is X; a city or regency ("Kota Surabaya", "Kota Gaza",
# "Kabupaten Bogor") lies in what its bare name resolves to, so it is
# explained as a place inside that region, never filed as the region.
_ABBREVIATIONS = {"prov.": "provinsi", "kab.": "kabupaten", "kep.": "kepulauan"}
_LEVELS = {
    "provinsi ": False,
    "kabupaten ": True,
    "kota administrasi ": True,
    "kota ": True,
}
# Ranks of a lookup key, best first.
_NAME, _CODE, _FOREIGN = 0, 1, 2
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL = "tag:yaml.org,2002:null"


def normalize(text: str) -> str:
    """Fold case, accents, punctuation spacing: the key every lookup uses."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("_", " ").replace("-", " ")
    return " ".join(text.casefold().split())


def _without_level(norm: str) -> tuple[str, bool]:
    """``norm`` with an abbreviated level spelt out and a leading level
    dropped ("kab. bogor" -> "bogor", "kep. seribu" -> "kepulauan seribu"),
    and whether the dropped level names a place inside the rest."""
    first, _, rest = norm.partition(" ")
    if rest and first in _ABBREVIATIONS:
        norm = f"{_ABBREVIATIONS[first]} {rest}"
    for level, inner in _LEVELS.items():
        if norm.startswith(level) and norm[len(level) :].strip():
            return norm[len(level) :].strip(), inner
    return norm, False


class RegistryError(ValueError):
    """A registry file is unreadable or has a bad entry."""


class RegistryProblem(NamedTuple):
    """One thing wrong in a registry file, at a line when one is known."""

    path: Path
    line: int | None
    message: str


class _Term(URLWrapper):
    """A taxonomy term. Its URL settings are named after its class, as
    Pelican's ``URLWrapper`` does: ``REGION_URL``, ``SOURCE_SAVE_AS``."""

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.slug}>"


class Region(_Term):
    """One place: a country, province, subdivision, area or grouping.

    ``parent`` is the one place it lies in (a province's country); ``members``
    are the places a grouping gathers (ASEAN's countries)."""

    def __init__(self, code: str, name: str, kind: str, settings: dict) -> None:
        super().__init__(name, settings)
        self.code = code
        self.kind = kind
        self.parent: Region | None = None
        self.members: list[Region] = []
        # A foreign subdivision's slug carries its country: Georgia (US-GA)
        # and the country Georgia need two pages.
        self.slug_suffix = ""

    @property
    def slug(self) -> str:
        if self._slug is None and self.slug_suffix:
            self._slug = URLWrapper(
                f"{self.name} {self.slug_suffix}", self.settings
            ).slug
        return URLWrapper.slug.fget(self)

    @slug.setter
    def slug(self, value: str) -> None:
        URLWrapper.slug.fset(self, value)

    @property
    def country(self) -> Region | None:
        """The country it lies in (itself for a country)."""
        region = self
        while region is not None and region.kind != "country":
            region = region.parent
        return region

    @property
    def label(self) -> str:
        """``Name (CODE)``, with its country for a place inside one."""
        country = self.country
        if country is not None and country is not self:
            return f"{self.name}, {country.name} ({self.code})"
        return f"{self.name} ({self.code})"


class Source(_Term):
    """An outlet, agency or other body whose reports items digest or cite."""

    def __init__(self, entry: dict, settings: dict) -> None:
        super().__init__(entry["name"], settings)
        self.homepage: str = entry.get("homepage", "")
        self.kind: str = entry.get("kind", "outlet")
        self.country: str = entry.get("country", "")
        self.language: str = entry.get("language", "")
        self.aliases: list[str] = list(entry.get("aliases", []))
        if entry.get("slug"):  # the address kept when the name changes
            self.slug = entry["slug"]


class Story(_Term):
    """A developing story that several items belong to."""


@dataclass
class Lookup:
    """Resolved value, or None and the nearest known spelling."""

    value: object | None
    suggestion: str | None = None
    ambiguous: list[str] = field(default_factory=list)
    # A place that is not a region of its own lies in this one (Surabaya).
    inside: object | None = None


# -- reading registry files -----------------------------------------------------
class _Text(NamedTuple):
    text: str
    line: int


@dataclass
class _Entry:
    """One entry of a registry list: its fields as YAML nodes, with lines."""

    line: int
    nodes: dict[str, yaml.Node]
    lines: dict[str, int]


class _Reader:
    """Reads one registry file into entries, recording every problem."""

    def __init__(
        self, path: Path, problems: list[RegistryProblem], digest=None
    ) -> None:
        self.path = path
        self.problems = problems
        self.digest = digest
        # The file could not be read or parsed: what it names is unknown.
        self.unreadable = False

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(RegistryProblem(self.path, line, message))

    def entries(self, key: str, fields: tuple[str, ...]) -> list[_Entry]:
        """The entries under ``key:``, each a mapping of known ``fields``."""
        root = self._compose()
        if root is None:
            return []
        if not isinstance(root, yaml.MappingNode):
            self.problem(_line(root), f"expected '{key}:' followed by a list")
            return []
        entries: list[_Entry] = []
        for key_node, value in root.value:
            if _scalar(key_node) != key:
                self.problem(
                    _line(key_node),
                    f"unknown key {_scalar(key_node)!r}; the file holds '{key}:'",
                )
            elif isinstance(value, yaml.SequenceNode):
                entries += self._entries(value, key, fields)
            elif _scalar(value) is not None:
                self.problem(_line(value), f"expected a list under '{key}:'")
        return entries

    def _entries(self, seq, key, fields) -> list[_Entry]:
        entries = []
        for node in seq.value:
            if not isinstance(node, yaml.MappingNode):
                self.problem(
                    _line(node),
                    f"each entry of '{key}:' is a mapping such as '- {fields[0]}: ...'",
                )
                continue
            entry = _Entry(_line(node), {}, {})
            for key_node, value in node.value:
                name = _scalar(key_node) or ""
                if name not in fields:
                    near = difflib.get_close_matches(name, fields, n=1)
                    hint = f'; did you mean "{near[0]}"?' if near else ""
                    self.problem(
                        _line(key_node),
                        f"unknown field {name!r}; allowed: {', '.join(fields)}{hint}",
                    )
                elif name in entry.nodes:
                    self.problem(
                        _line(key_node),
                        f"'{name}' given twice in one entry (first on line "
                        f"{entry.lines[name]}); keep one",
                    )
                else:
                    entry.nodes[name] = value
                    entry.lines[name] = _line(key_node)
            entries.append(entry)
        return entries

    def _compose(self) -> yaml.Node | None:
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(None, f"cannot read the registry: {exc}")
            self.unreadable = True
            return None
        if self.digest is not None:
            self.digest.update(f"{self.path}\0{text}\0".encode())
        try:
            # Events first: an anchor or alias is refused before any node
            # exists, so an alias bomb costs no more than reading its text.
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    self.problem(
                        event.start_mark.line + 1,
                        "YAML anchors and aliases (&name, *name) are not allowed "
                        "in a registry; write each value out",
                    )
                    self.unreadable = True
                    return None
            return yaml.compose(text, Loader=_Loader)
        except yaml.reader.ReaderError as exc:
            # A character YAML refuses: said by its place in the text.
            line = text.count("\n", 0, exc.position) + 1
            column = exc.position - text.rfind("\n", 0, exc.position)
            self.problem(
                line,
                f"not valid YAML: the control character U+{exc.character:04X} at"
                f" column {column} (pasted text brings them); delete it",
            )
            self.unreadable = True
            return None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            reason = getattr(exc, "problem", None) or str(exc)
            self.problem(mark.line + 1 if mark else None, f"not valid YAML: {reason}")
            self.unreadable = True
            return None

    # -- field values ----------------------------------------------------------
    def text(self, entry: _Entry, name: str) -> _Text | None:
        """A field that must be one piece of text."""
        node = entry.nodes.get(name)
        if node is None:
            return None
        value = _scalar(node)
        if not isinstance(node, yaml.ScalarNode):
            self.problem(_line(node), f"'{name}' must be text, e.g. {name}: ...")
            return None
        if not value:
            self.problem(_line(node), f"'{name}' is empty")
            return None
        return _Text(value, _line(node))

    def texts(self, entry: _Entry, name: str) -> list[_Text]:
        """A field that must be a list of texts: ``[A, B]``."""
        node = entry.nodes.get(name)
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
            return []
        if not isinstance(node, yaml.SequenceNode):
            shown = _scalar(node)
            example = f"[{shown}]" if shown else "[A, B]"
            self.problem(
                _line(node),
                f"'{name}' must be a list, e.g. {name}: {example} (got {shown!r})"
                if shown
                else f"'{name}' must be a list, e.g. {example}",
            )
            return []
        values = []
        for item in node.value:
            value = _scalar(item)
            if not isinstance(item, yaml.ScalarNode) or not value:
                self.problem(_line(item), f"each of '{name}' must be text")
                continue
            values.append(_Text(value, _line(item)))
        return values

    def names(self, entry: _Entry, name: str) -> dict[str, _Text]:
        """Text, or a mapping of language code -> text."""
        node = entry.nodes.get(name)
        if node is None:
            return {}
        if isinstance(node, yaml.MappingNode):
            names = {}
            for key_node, value in node.value:
                lang, text = _scalar(key_node), _scalar(value)
                if not isinstance(value, yaml.ScalarNode) or not text or not lang:
                    self.problem(_line(value), f"'{name}' maps a language code to text")
                    continue
                names[lang] = _Text(text, _line(value))
            return names
        single = self.text(entry, name)
        return {"": single} if single else {}


def _scalar(node: yaml.Node) -> str | None:
    """A scalar as written (YAML's type guesses undone); None for null."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
        return None
    return " ".join(str(node.value).split())


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _read_places(path: Path) -> dict[str, str]:
    """The gazetteer's places (normalized name -> region code)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    return {
        normalize(str(name)): str(code)
        for code, names in data["places"].items()
        for name in names
    }


# -- regions ----------------------------------------------------------------------
REGION_FIELDS = ("code", "name", "aliases", "parent", "members", "kind")


@dataclass
class _Pending:
    """A parent or member named by an entry, resolved once all are loaded."""

    region: Region
    text: str
    path: Path
    line: int
    site: bool
    found: Region | None = None


class RegionRegistry:
    """Resolves a region code or name (site language or English) to a Region."""

    def __init__(
        self, settings: dict, registry_file: Path, gazetteer: Path = GAZETTEER
    ) -> None:
        self._settings = settings
        self._lang = Locale.parse(settings.get("DEFAULT_LANG", "id")).language
        # normalized key -> the regions it names, per rank.
        self._keys: dict[str, tuple[list, list, list]] = {}
        # Spellings for suggestions: names, and foreign subdivisions' names.
        self._spellings: dict[str, str] = {}
        self._foreign: dict[str, str] = {}
        self._by_code: dict[str, Region] = {}
        self._iso_loaded = False
        self._places: dict[str, str] | None = None
        self._problems: list[RegistryProblem] = []
        # The site's file could not be read: its places are unknown.
        self.unreadable = False
        # What the registry files say: pages show it (names, parents,
        # members), so it is part of what a page depends on.
        self._digest = hashlib.sha1()
        # Text -> region, for lookups that found one: thousands of items name
        # the same few regions. Loading ISO data later adds only keys of a
        # worse rank, so a region found stays right; a miss is not kept.
        self._found: dict[str, Lookup] = {}
        self._load_cldr()
        self._parents: list[_Pending] = []
        self._members: list[_Pending] = []
        for name in GAZETTEER_FILES:
            self._load_entries(gazetteer / name, site=False)
        self._site_keys: dict[str, tuple[Region, int]] = {}
        self._load_entries(registry_file, site=True)
        self._link()

    @property
    def problems(self) -> list[RegistryProblem]:
        return self._problems

    @property
    def digest(self) -> str:
        """A hash of the gazetteer's and the site's registry files."""
        return self._digest.hexdigest()

    @property
    def regions(self) -> list[Region]:
        """Every region known without loading ISO subdivisions."""
        return list(self._by_code.values())

    def get(self, code: str) -> Region | None:
        return self._by_code.get(code.upper())

    # -- building the index ------------------------------------------------------
    def _key(self, text: str, region: Region, rank: int) -> None:
        norm = normalize(text)
        if not norm:
            return
        ranks = self._keys.get(norm)
        if ranks is None:
            ranks = self._keys[norm] = ([], [], [])
        if not any(r is region for r in ranks[rank]):
            ranks[rank].append(region)
        if rank == _NAME:
            self._spellings.setdefault(norm, text)
        elif rank == _FOREIGN:
            self._foreign.setdefault(norm, text)

    def _new(self, code: str, names: dict[str, str], kind: str) -> Region:
        name = names.get(self._lang) or names.get("en") or next(iter(names.values()))
        region = Region(code, name, kind, self._settings)
        region.names = dict(names)
        self._by_code[code.upper()] = region
        self._key(code, region, _CODE)
        return region

    def _load_cldr(self) -> None:
        site = Locale.parse(self._lang)
        locales = {lang: Locale(lang) for lang in ("id", "en")}
        locales[site.language] = site
        for code in site.territories:
            if code in _NOT_PLACES or "-alt-" in code:
                continue
            names = {
                lang: locale.territories[code]
                for lang, locale in locales.items()
                if code in locale.territories
            }
            kind = "country" if code.isalpha() and code != "EU" else "grouping"
            region = self._new(code, names, kind)
            for name in names.values():
                self._key(name, region, _NAME)

    def _load_entries(self, path: Path, site: bool) -> None:
        reader = _Reader(path, self._problems, self._digest)
        codes: dict[str, int] = {}
        entries = reader.entries("regions", REGION_FIELDS)
        self.unreadable = self.unreadable or reader.unreadable
        for entry in entries:
            code = reader.text(entry, "code")
            if code is None:
                if "code" not in entry.nodes:
                    reader.problem(entry.line, "region needs a 'code'")
                continue
            if code.text.upper() in codes:
                reader.problem(
                    code.line,
                    f"code {code.text!r} is given twice (first on line "
                    f"{codes[code.text.upper()]}); keep one entry",
                )
                continue
            codes[code.text.upper()] = code.line
            self._apply(reader, entry, code, site)

    def _apply(self, reader: _Reader, entry: _Entry, code: _Text, site: bool) -> None:
        names = reader.names(entry, "name")
        aliases = reader.texts(entry, "aliases")
        kind = reader.text(entry, "kind")
        if kind and kind.text not in REGION_KINDS:
            reader.problem(
                kind.line,
                f"kind {kind.text!r} is not one of {', '.join(REGION_KINDS)}",
            )
            kind = None
        region = self._by_code.get(code.text.upper())
        override = region is not None
        if "" in names:  # one name: the site's language
            names[self._lang] = names.pop("")
        if region is None:
            shown = {lang: n.text for lang, n in names.items()} or {"": code.text}
            default = "grouping" if "members" in entry.nodes else "area"
            region = self._new(code.text, shown, kind.text if kind else default)
        else:
            region.names.update({lang: n.text for lang, n in names.items()})
            if self._lang in names:
                region.name = names[self._lang].text
            if kind:
                region.kind = kind.text
        for text in [*names.values(), *aliases]:
            self._claim(reader, text, region, site, override)
        parent = reader.text(entry, "parent")
        if parent:
            self._parents.append(
                _Pending(region, parent.text, reader.path, parent.line, site)
            )
        if "members" in entry.nodes:
            region.members = []
            for member in reader.texts(entry, "members"):
                self._members.append(
                    _Pending(region, member.text, reader.path, member.line, site)
                )

    def _claim(
        self, reader: _Reader, text: _Text, region: Region, site: bool, override: bool
    ) -> None:
        """``text`` names ``region``. In the site's file a name may belong to
        one entry only, and may take a name from the gazetteer only in an
        entry that overrides a known place (by its code)."""
        norm = normalize(text.text)
        if not norm:
            return
        if site:
            earlier = self._site_keys.get(norm)
            if earlier and earlier[0] is not region:
                reader.problem(
                    text.line,
                    f'"{text.text}" is already a name of {earlier[0].label} (line '
                    f"{earlier[1]}); a name may mean one place only",
                )
                return
            self._site_keys[norm] = (region, text.line)
            holders = self._keys.get(norm, ([], [], []))
            others = list(
                {
                    id(r): r for r in holders[_NAME] + holders[_CODE] if r is not region
                }.values()
            )
            if others and not override:
                taken = " and ".join(r.label for r in others)
                reader.problem(
                    text.line,
                    f'"{text.text}" already means {taken}; give the new place a '
                    "name of its own, or change what it means in an entry with "
                    f"that place's code (code: {others[0].code})",
                )
                return
            for rank in (_NAME, _CODE):
                holders[rank][:] = [r for r in holders[rank] if r is region]
        self._key(text.text, region, _NAME)

    def _link(self) -> None:
        """Resolve parents and members, then refuse cycles."""
        for pending in self._parents:
            pending.found = self._linked(pending, "parent")
            if pending.found is not None:
                pending.region.parent = pending.found
        for pending in self._members:
            pending.found = self._linked(pending, "member")
            members = pending.region.members
            if pending.found is not None and not any(
                m is pending.found for m in members
            ):
                members.append(pending.found)
        for pending in self._parents:
            self._refuse_parent_cycle(pending)
        for pending in self._members:
            self._refuse_member_cycle(pending)

    def _linked(self, pending: _Pending, what: str) -> Region | None:
        if pending.site:
            found = self.resolve(pending.text)
        else:
            found = Lookup(self._by_code.get(pending.text.upper()))
        if found.value is None:
            hint = f'; did you mean "{found.suggestion}"?' if found.suggestion else ""
            choices = f" (it can mean {' or '.join(found.ambiguous)})"
            self._cycle_or_problem(
                pending,
                f"{pending.region.code}: unknown {what} {pending.text!r}"
                + (choices if found.ambiguous else hint),
            )
        if found.value is pending.region:
            self._cycle_or_problem(
                pending, f"{pending.region.code}: a place cannot be its own {what}"
            )
            return None
        return found.value

    def _cycle_or_problem(self, pending: _Pending, message: str) -> None:
        self._problems.append(RegistryProblem(pending.path, pending.line, message))

    def _refuse_parent_cycle(self, pending: _Pending) -> None:
        start = pending.region
        chain, region = [start], start.parent
        while region is not None and region is not start:
            if any(r is region for r in chain):
                return  # a cycle that start only leads into: its own entry says so
            chain.append(region)
            region = region.parent
        if region is start:
            codes = " -> ".join(r.code for r in [*chain, start])
            self._cycle_or_problem(
                pending,
                f"{start.code}: 'parent' makes a cycle ({codes}); a place "
                "cannot lie inside itself",
            )
            start.parent = None

    def _refuse_member_cycle(self, pending: _Pending) -> None:
        start, member = pending.region, pending.found
        if member is None:
            return
        stack, seen = [member], set()
        while stack:
            region = stack.pop()
            if region is start:
                self._cycle_or_problem(
                    pending,
                    f"{start.code}: member {member.code} contains {start.code} "
                    "again; groupings cannot contain themselves",
                )
                start.members = [m for m in start.members if m is not member]
                return
            if id(region) not in seen:
                seen.add(id(region))
                stack += region.members

    def _load_iso(self) -> None:
        """ISO 3166 through pycountry: alpha-3 codes and official English
        names of countries, then every subdivision (names of the worst rank)."""
        if self._iso_loaded:
            return
        self._iso_loaded = True
        import pycountry  # noqa: PLC0415  (imported late: it loads large tables)

        for country in pycountry.countries:
            region = self._by_code.get(country.alpha_2)
            if region is None:
                continue
            self._key(country.alpha_3, region, _CODE)
            for attr in ("name", "common_name", "official_name"):
                if hasattr(country, attr):
                    self._key(getattr(country, attr), region, _CODE)
        parents = []
        for sub in pycountry.subdivisions:
            region = self._by_code.get(sub.code)
            if region is not None:  # the gazetteer spells it as newsrooms do
                self._key(sub.name, region, _FOREIGN)
                continue
            country = self._by_code.get(sub.country_code)
            region = Region(sub.code, sub.name, "subdivision", self._settings)
            region.names = {"": sub.name}
            region.parent = country
            region.slug_suffix = country.name if country else ""
            self._by_code[sub.code] = region
            self._key(sub.code, region, _CODE)
            self._key(sub.name, region, _FOREIGN)
            if sub.parent_code:
                parents.append((region, sub.parent_code))
        for region, code in parents:
            parent = self._by_code.get(code)
            if parent is not None and parent.kind == "subdivision":
                region.parent = parent

    # -- lookups -------------------------------------------------------------------
    def resolve(self, text: str) -> Lookup:
        found = self._found.get(text)
        if found is not None:
            return found
        found = self._lookup(text)
        if found.value is not None:
            self._found[text] = found
        return found

    def _lookup(self, text: str) -> Lookup:
        norm = normalize(text)
        found = self._lookup_norm(text, norm)
        plain, inner = _without_level(norm)
        if plain == norm or found.value is not None or found.ambiguous or found.inside:
            return found
        bare = self._lookup_norm(text, plain)
        if inner and bare.value is not None:
            return Lookup(None, bare.value.name, inside=bare.value)
        known = bare.value is not None or bare.ambiguous or bare.inside
        return bare if known or not found.suggestion else found

    def _lookup_norm(self, text: str, norm: str) -> Lookup:
        found = self._best(norm, _FOREIGN)
        if found is not None:
            return found
        if "," in text:
            return self._within(text)
        # An Indonesian city or island is explained, never read as a foreign
        # subdivision of the same name (Flores is not Uruguay's).
        inside = self._place(norm, home=True)
        if inside is not None:
            return inside
        self._load_iso()
        return (
            self._best(norm)
            or self._place(norm, home=False)
            or Lookup(None, self._suggest(norm))
        )

    def _place(self, norm: str, home: bool) -> Lookup | None:
        """A city, regency or island that lies in a region (gazetteer's
        places.yaml): not a region of its own, so the lookup fails with the
        region it lies in as the suggestion. ``home``: Indonesian places
        only, else foreign ones."""
        if self._places is None:
            self._places = _read_places(GAZETTEER / PLACES_FILE)
        code = self._places.get(norm)
        if code is None or code.startswith("ID") != home:
            return None
        region = self._by_code.get(code)
        if region is None:
            return None
        return Lookup(None, region.name, inside=region)

    def _best(self, norm: str, ranks: int = 3) -> Lookup | None:
        for regions in self._keys.get(norm, ())[:ranks]:
            if len(regions) == 1:
                return Lookup(regions[0])
            if regions:
                return Lookup(None, ambiguous=sorted(r.label for r in regions))
        return None

    def _within(self, text: str) -> Lookup:
        """``Name, Country``: the place called Name inside Country."""
        name, _, outer = text.rpartition(",")
        container = self.resolve(outer.strip())
        if container.value is None:
            return Lookup(None, container.suggestion, container.ambiguous)
        self._load_iso()
        outer_region = container.value
        for regions in self._keys.get(normalize(name), ()):
            inside = [r for r in regions if _lies_in(r, outer_region)]
            if len(inside) == 1:
                return Lookup(inside[0])
            if inside:
                return Lookup(None, ambiguous=sorted(r.label for r in inside))
        places = {
            normalize(r.name): r
            for r in self._by_code.values()
            if _lies_in(r, outer_region)
        }
        near = difflib.get_close_matches(normalize(name), places, n=1, cutoff=0.6)
        if near:
            return Lookup(None, f"{places[near[0]].name}, {outer_region.name}")
        return Lookup(None)

    def _suggest(self, norm: str) -> str | None:
        """A sensible "Did you mean", shown as the place's own name: a near
        spelling of a name (``Palestin``: Palestina); the place that a city
        or part is in (``Jakarta Selatan``, ``Kota Gaza``: DKI Jakarta, Jalur
        Gaza); a less near name; strictly, a foreign subdivision's name."""
        steps = (
            (self._spellings, 0.85),
            (None, 0),
            (self._spellings, 0.8),
            (self._foreign, 0.85),
        )
        for spellings, cutoff in steps:
            if spellings is None:
                words = [w for w in norm.split() if w not in _PART_WORDS]
                found = self._best(" ".join(words)) if words else None
                if (
                    found is not None
                    and found.value is not None
                    and words != norm.split()
                ):
                    return found.value.name
                continue
            near = difflib.get_close_matches(norm, spellings, n=1, cutoff=cutoff)
            if near:
                found = self._best(near[0])
                if found is not None and found.value is not None:
                    return found.value.name
                return spellings[near[0]]
        return None

    def split(self, value: str) -> list[str]:
        """A Region value as a list. With ``;`` between places, each part is
        one place (``Georgia, Amerika Serikat; Rusia``); with commas only, a
        part followed by a country it lies in is read with it as
        ``Name, Country`` (``Georgia, Amerika Serikat``), else alone."""
        from .contract import split_list  # noqa: PLC0415

        parts = split_list(value)
        if ";" in value or len(parts) < 2:
            return parts
        joined: list[str] = []
        index = 0
        while index < len(parts):
            if index + 1 < len(parts):
                pair = f"{parts[index]}, {parts[index + 1]}"
                found = (
                    self.resolve(pair) if self._is_container(parts[index + 1]) else None
                )
                if found is not None and (found.value is not None or found.ambiguous):
                    joined.append(pair)
                    index += 2
                    continue
            joined.append(parts[index])
            index += 1
        return joined

    def _is_container(self, text: str) -> bool:
        found = self._best(normalize(text))
        return bool(
            found and found.value is not None and found.value.kind != "grouping"
        )


def _lies_in(region: Region, outer: Region) -> bool:
    seen = 0
    parent = region.parent
    while parent is not None and seen < 64:
        if parent is outer:
            return True
        parent = parent.parent
        seen += 1
    return False


# -- sources ----------------------------------------------------------------------
def _host(text: str) -> str:
    """The host of an address or domain, without ``www.``; "" for a name."""
    text = text.strip().lower()
    if "://" not in text:
        if " " in text or "." not in text:
            return ""
        text = f"https://{text}"
    try:
        host = urlparse(text).hostname or ""
    except ValueError:  # "https://[x": no address, so no host
        return ""
    return host.removeprefix("www.")


def _is_homepage(text: str) -> bool:
    """An http(s) address a link can hold as written."""
    if not text.startswith(("http://", "https://")) or any(c.isspace() for c in text):
        return False
    try:
        return bool(urlparse(text).hostname)
    except ValueError:  # "https://[x"
        return False


def _country_problem(text: str) -> str | None:
    """Why ``text`` is not an ISO 3166-1 alpha-2 code (as CLDR knows them),
    with the code meant when one is near (``GBR``, ``Inggris``)."""
    if text in Locale("en").territories and len(text) == 2 and text.isalpha():
        return None
    import pycountry  # noqa: PLC0415  (loaded only for a bad value)

    try:
        near = pycountry.countries.lookup(text.strip()).alpha_2
    except LookupError:
        names = {
            name.casefold(): code
            for lang in ("id", "en")
            for code, name in Locale(lang).territories.items()
            if len(code) == 2
        }
        near = names.get(text.strip().casefold())
    hint = f' Did you mean "{near}"?' if near else ""
    return (
        f"country {text!r} is not a two-letter ISO 3166-1 code (ID, GB, KP, ...).{hint}"
    )


def language_problem(text: str) -> str | None:
    """Why ``text`` is not a language code CLDR names (``id``, ``en``,
    ``zh_Hant``), with the code meant when one is near (``ind``,
    ``Indonesia``, ``EN``)."""
    languages = Locale("en").languages
    if text in languages:
        return None
    import pycountry  # noqa: PLC0415  (loaded only for a bad value)

    wanted = text.strip().casefold()
    names = {
        name.casefold(): code
        for lang in ("id", "en")
        for code, name in Locale(lang).languages.items()
    }
    near = {code.casefold(): code for code in languages}.get(wanted) or names.get(
        wanted
    )
    if near is None:
        found = pycountry.languages.get(alpha_3=wanted)
        near = getattr(found, "alpha_2", None)
    hint = f' Did you mean "{near}"?' if near else ""
    return f"language {text!r} is not a language code (id, en, ko, ...).{hint}"


SOURCE_FIELDS = ("name", "aliases", "homepage", "kind", "country", "language", "slug")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class SourceRegistry:
    """Resolves a source name or alias to its Source entry."""

    REQUIRED = ("name", "homepage", "kind")

    def __init__(self, settings: dict, registry_file: Path) -> None:
        self._keys: dict[str, tuple[Source, int]] = {}
        self._spellings: dict[str, str] = {}
        # Text -> lookup: the index is complete once built, and thousands of
        # items name the same few sources.
        self._found: dict[str, Lookup] = {}
        self.sources: list[Source] = []
        # Each source's address (its slug): the name and line holding it.
        self._slugs: dict[str, tuple[str, int]] = {}
        self._problems: list[RegistryProblem] = []
        self._digest = hashlib.sha1()
        reader = _Reader(registry_file, self._problems, self._digest)
        entries = reader.entries("sources", SOURCE_FIELDS)
        # Unreadable: no item's source can be checked (the file's problem
        # fails the build, and each item's "unknown source" would bury it).
        self.unreadable = reader.unreadable
        for entry in entries:
            values = {
                key: reader.text(entry, key)
                for key in ("name", "homepage", "kind", "country", "language", "slug")
            }
            missing = [k for k in self.REQUIRED if k not in entry.nodes]
            if missing:
                named = f" {values['name'].text}" if values["name"] else ""
                reader.problem(
                    entry.line, f"source{named} is missing {', '.join(missing)}"
                )
            aliases = reader.texts(entry, "aliases")
            name = values["name"]
            if name is None:
                continue
            kind, homepage = values["kind"], values["homepage"]
            if kind and kind.text not in SOURCE_KINDS:
                reader.problem(
                    kind.line,
                    f"source {name.text}: kind {kind.text!r} is not one of "
                    f"{', '.join(SOURCE_KINDS)}",
                )
            if homepage and not _is_homepage(homepage.text):
                reader.problem(
                    homepage.line,
                    f"source {name.text}: homepage {homepage.text!r} must be an "
                    "http(s) address (no spaces), e.g. https://www.reuters.com/",
                )
            for key, check in (
                ("country", _country_problem),
                ("language", language_problem),
            ):
                value = values[key]
                problem = value and check(value.text)
                if problem:
                    reader.problem(value.line, f"source {name.text}: {problem}")
            earlier = self._keys.get(normalize(name.text))
            if earlier is not None:
                reader.problem(
                    name.line,
                    f'source "{name.text}" is already listed (line {earlier[1]}); '
                    "keep one entry",
                )
                continue
            slug = values["slug"]
            if slug and not _SLUG.fullmatch(slug.text):
                reader.problem(
                    slug.line,
                    f"source {name.text}: slug {slug.text!r} is not a slug; use"
                    " lowercase letters, digits and hyphens, e.g. sinar-harapan",
                )
                values["slug"] = None
            plain = {k: v.text for k, v in values.items() if v is not None}
            plain["aliases"] = [a.text for a in aliases]
            source = Source(plain, settings)
            owner = self._slugs.get(source.slug)
            if owner is not None:
                reader.problem(
                    (slug or name).line,
                    f"source {name.text}: its page would be at the address of"
                    f" {owner[0]} (line {owner[1]}), sumber/{source.slug}/: give"
                    " one of them another 'slug:'",
                )
                continue
            self._slugs[source.slug] = (name.text, name.line)
            self.sources.append(source)
            for text in [name, *aliases]:
                self._claim(reader, text, source)

    def _claim(self, reader: _Reader, text: _Text, source: Source) -> None:
        norm = normalize(text.text)
        earlier = self._keys.get(norm)
        if earlier is not None and earlier[0] is not source:
            reader.problem(
                text.line,
                f'"{text.text}" already names {earlier[0].name} (line '
                f"{earlier[1]}); a name or alias may mean one source only",
            )
            return
        if earlier is None:
            self._keys[norm] = (source, text.line)
            self._spellings[norm] = text.text

    @property
    def problems(self) -> list[RegistryProblem]:
        return self._problems

    @property
    def digest(self) -> str:
        """A hash of the registry file."""
        return self._digest.hexdigest()

    def resolve(self, text: str) -> Lookup:
        found = self._found.get(text)
        if found is None:
            norm = normalize(text)
            if norm in self._keys:
                found = Lookup(self._keys[norm][0])
            elif (by_site := self.by_site(text)) is not None:
                found = Lookup(None, by_site.name)
            else:
                near = difflib.get_close_matches(
                    norm, self._spellings, n=1, cutoff=0.75
                )
                found = Lookup(None, self._spellings[near[0]] if near else None)
            self._found[text] = found
        return found

    def by_site(self, text: str) -> Source | None:
        """The source whose homepage is on the site of ``text``, an address
        or a domain (``https://www.reuters.com/world/...``, ``reuters.com``)."""
        host = _host(text)
        if not host:
            return None
        for source in self.sources:
            if _host(getattr(source, "homepage", "") or "") == host:
                return source
        return None
