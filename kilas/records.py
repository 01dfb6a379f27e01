"""What each page read, so that the next build renders only the pages whose
inputs changed.

While a page renders, Kilas records which names its templates looked up in
the page's context (``article``, ``articles_page``, ``period``, ``SITEURL``,
``timeline``...) and which templates they loaded. Python code that a
template calls and that reads the context (``share_card()``, ``_()``) is
recorded the same way: it reads through Jinja's context too. The page's key
is a digest of the values found under those names and of those templates'
sources, with the *environment*: Python's packages, the settings, the
plugins' and Kilas' code and the theme's other files (message catalogs).
The next build computes the key again from that build's values for the same
names before rendering, and renders only when it differs.

A value's digest covers what a page can show of it, by how far it lies from
the page (an *entity* is an object with a page of its own: an item or page,
a category, tag, region, source, story or period):

- the entity a page is about (a name's value, such as ``article`` or
  ``period``): all its fields, its body included;
- an entity reached from it or listed by the page (neighbours, related
  items, the items of a list page, a period's days): all its fields but the
  body (its summary, which an entry shows, is a field) and, for an item,
  but its own links to other items;
- an entity two steps away (a neighbour's neighbour, the region, source
  or tag an item names): an item by its address, another entity by its
  plain fields (name, slug, address, dates), not its lists.

Lists, dicts and other objects are followed to their members; a
paginator stands for its shape (its items' count, not its items: the page
shows its own). Functions stand for their name (their code is in the
environment). A template that reads further than this (how many items an
item's region holds, an item's neighbour's neighbours) shows something its
key does not cover: ``tests/test_incremental.py`` builds every kind of change
incrementally and compares the result with a clean build, byte for byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from datetime import date, time, timedelta, tzinfo
from decimal import Decimal
from enum import Enum
from functools import partial
from pathlib import Path, PurePath
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType

from jinja2.runtime import Context, Undefined
from jinja2.utils import missing
from pelican.contents import Content
from pelican.paginator import Paginator
from pelican.urlwrappers import URLWrapper

from kilas.fastpath import installed_packages
from kilas.pelican_coupling import body_of

# Settings that change on every build: what they decide (which items are in
# the site) is in the items the pages read.
_VOLATILE = {
    "OUTPUT_PATH",
    "KILAS_CACHE_DIR",
    "KILAS_NOW",
    "KILAS_SCHEDULE",
    "KILAS_HELD",
}
# Never part of a value's digest: the settings (in the environment) and the
# shared context an item keeps (every name a page reads is recorded itself).
_NOT_SHOWN = {"settings", "_context"}
# An intra-site link Pelican resolves when the body is shown ({filename}...).
_SITE_LINK = re.compile(r"""=\s*["'][{|]""")
_PLAIN = (str, int, float, bool, type(None), bytes)
# Plain values the JSON encoder cannot write.
_OTHER_PLAIN = (timedelta, Decimal, PurePath, Enum, tzinfo)
_DIGESTED = (
    bytes,
    date,
    time,
    *_OTHER_PLAIN,
    FunctionType,
    BuiltinFunctionType,
    MethodType,
    ModuleType,
    type,
    partial,
    Paginator,
    set,
    frozenset,
)
_CALLABLE = (FunctionType, BuiltinFunctionType, MethodType, ModuleType, type)


def _blake(*parts: bytes) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part)
    return digest.digest()


def _plain(value) -> bytes:
    """A plain value's bytes, tagged with its type and length (hashed with
    the value holding it)."""
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
    elif isinstance(value, bytes):
        data = value
    else:
        data = repr(value).encode()
    return b"%s:%d:%s" % (type(value).__name__.encode(), len(data), data)


def shown_body(content) -> str:
    """An item's body as pages and feeds show it: links to other files are
    resolved then (their addresses may have changed), so such a body is
    taken as shown."""
    body = body_of(content)
    return content.content if _SITE_LINK.search(body) else body


def _is_entity(value) -> bool:
    return isinstance(value, Content | URLWrapper) or "save_as" in getattr(
        value, "__dict__", ()
    )


def _not_attributes(content, metadata: dict) -> dict:
    """The metadata Pelican did not also set as the item's attributes (those
    are digested as attributes)."""
    fields = vars(content)
    return {
        k: v for k, v in metadata.items() if fields.get(k.lower(), missing) is not v
    }


def _links_items(value) -> bool:
    if isinstance(value, list | tuple):
        return bool(value) and all(isinstance(v, Content) for v in value)
    return isinstance(value, Content)


class Unkeyable(Exception):
    """A value that cannot be digested the same way twice (a cycle of
    objects that are not entities): its page is rendered on every build."""


# A page's own entity (a term, a period) digested without its items'
# fields: see ``kilas_items`` and ``Recorder.touch``.
SHALLOW = -2
# The recorder rendering a page in this process (a forked writer has its own).
_RENDERING: list[Recorder] = []


_ITEMS: dict[type, frozenset] = {}


def _items_of(cls) -> frozenset:
    """The item lists a class declares (``kilas_items``): a page that shows
    its entity but never reads those lists (a paginated year page reads its
    year's count, not its items) does not depend on the items' fields."""
    found = _ITEMS.get(cls)
    if found is None:
        names = getattr(cls, "kilas_items", None)
        valid = isinstance(names, tuple | list | frozenset)
        found = _ITEMS[cls] = frozenset(names) if valid else frozenset()
    return found


def _watch(cls) -> None:
    """Make reading a declared item list of ``cls`` (from a template or from
    Python: a property such as ``lead`` iterating it) tell the recorder."""
    if cls.__dict__.get("_kilas_watched"):
        return
    for name in _items_of(cls):

        def get(self, name=name):
            if _RENDERING:
                _RENDERING[-1].touch(self)
            return self.__dict__[name]

        def put(self, value, name=name):
            self.__dict__[name] = value

        setattr(cls, name, property(get, put))
    cls._kilas_watched = True


class _Identities:
    """An item list digested by its items' identities (``SHALLOW``)."""

    __slots__ = ("items",)

    def __init__(self, items) -> None:
        self.items = items


class Digests:
    """Digests of the values pages read, computed once per value per build."""

    def __init__(self) -> None:
        self._memo: dict[tuple[int, int], tuple[object, bytes]] = {}
        self._active: set[tuple[int, int]] = set()
        self._encoders: dict[int, object] = {}

    def of(self, value, level: int = 0) -> bytes:
        if type(value) in _PLAIN:
            return _plain(value)
        key = (id(value), level)
        hit = self._memo.get(key)
        if hit is not None:
            return hit[1]
        if key in self._active:
            raise Unkeyable(type(value).__qualname__)
        self._active.add(key)
        try:
            digest = self._compute(value, level)
        finally:
            self._active.discard(key)
        # The value is kept with its digest: its id is not reused this build.
        self._memo[key] = (value, digest)
        return digest

    def _compute(self, value, level: int) -> bytes:
        if level == SHALLOW:
            items = _items_of(type(value))
            if not items or isinstance(value, Content | URLWrapper):
                return self._compute(value, 0)
            fields = {
                k: _Identities(v) if k in items else v
                for k, v in _fields_of(value).items()
            }
            kind = type(value).__qualname__.encode()
            return _blake(b"H", kind, b"\0", self._json(fields, 1))
        if isinstance(value, _Identities):
            return _blake(b"I", *(self.of(item, 2) for item in value.items))
        inner = max(level, 1)
        if value is missing or isinstance(value, Undefined):
            return b"missing"
        constant = getattr(type(value), "kilas_digest", None)
        if isinstance(constant, str):  # shows nothing (a build's state)
            return _plain(constant)
        if isinstance(value, _PLAIN):  # a str subclass: Markup
            return _plain(value)
        if isinstance(value, date | time):
            zone = getattr(value, "tzinfo", None)
            return _plain(f"{type(value).__name__}:{value.isoformat()}:{zone}")
        if isinstance(value, timedelta | Decimal | PurePath | Enum | tzinfo):
            return _plain(f"{type(value).__name__}:{value}")
        if isinstance(value, set | frozenset):
            return _blake(b"S", *sorted(self.of(v, inner) for v in value))
        if isinstance(value, partial):
            return _blake(b"F", self.of(value.func, inner))
        if isinstance(value, _CALLABLE) or (
            callable(value) and not hasattr(value, "__dict__")
        ):
            name = getattr(value, "__qualname__", type(value).__qualname__)
            return _plain(f"{getattr(value, '__module__', '')}.{name}")
        if isinstance(value, Paginator):
            # Its shape: the page shows its own items (its ``*_page``).
            shape = (value.name, value.url, value.per_page, value.orphans)
            return _plain(f"paginator:{shape}:{value.count}")
        if _is_entity(value):
            return self._entity(value, level)
        if isinstance(value, list | tuple | dict):
            return _blake(b"J", self._json(value, inner))
        return _blake(b"O", self._json(_fields_of(value), inner))

    def _json(self, value, level: int) -> bytes:
        """``value`` (a list, dict or an object's fields) as JSON, made by
        the C encoder; what JSON cannot hold is digested where it lies (an
        entity or a set), or taken apart (an object)."""
        encode = self._encoders.get(level)
        if encode is None:

            def apart(found):
                if _is_entity(found) or isinstance(found, _Identities):
                    return self.of(found, level).hex()
                if found is missing or isinstance(found, Undefined):
                    return "\0missing"
                if isinstance(found, _DIGESTED) or (
                    callable(found) and not hasattr(found, "__dict__")
                ):
                    return self.of(found, level).hex()
                return {"\0class": type(found).__qualname__, **_fields_of(found)}

            encode = json.JSONEncoder(ensure_ascii=False, default=apart).encode
            self._encoders[level] = encode
        try:
            return encode(value).encode("utf-8", "surrogatepass")
        except ValueError as exc:  # a cycle of objects that are not entities
            raise Unkeyable(str(exc)) from None
        except TypeError:  # keys JSON cannot hold (tuples, objects)
            return self._walk(value, level)

    def _walk(self, value, level: int) -> bytes:
        if isinstance(value, list | tuple):
            return _blake(b"L", *(self.of(v, level) for v in value))
        parts = []
        for k, v in value.items():
            parts += [self.of(k, level), self.of(v, level)]
        return _blake(b"D", *parts)

    def _fields(self, value, content: bool):
        for name, field in vars(value).items():
            if name in _NOT_SHOWN or (content and name.startswith("_")):
                continue
            yield name, field

    def _entity(self, value, level: int) -> bytes:
        content = isinstance(value, Content)
        kind = type(value).__qualname__.encode()
        if isinstance(value, URLWrapper):  # its slug is made when first asked
            return _plain(f"{kind}:{value.name}:{value.slug}")
        if level >= 2:  # two steps away: an item by its address, a term by name
            if content:
                return _plain(f"{kind}:{value.source_path}:{value.url}:{value.lang}")
            plain = sorted(
                (name, _plain(field))
                for name, field in self._fields(value, content)
                if isinstance(field, str | int | float | bool | date) or field is None
            )
            return _blake(b"T", kind, *(n.encode() + b"\0" + d for n, d in plain))
        if not content:
            return _blake(b"E", kind, b"\0", self._json(_fields_of(value), level + 1))
        # An item's own fields are digested once, for its page and for the
        # lists that show it (what they hold two steps away: a term by its
        # name and address); its page adds its links to other items (their
        # own fields) and its body.
        own, links = self._own_fields(value)
        if level == 0:
            body = _plain(shown_body(value))
            return _blake(b"E", kind, b"\0", own, self._json(links, 1), body)
        if "summary" not in value.metadata:
            return _blake(b"E", kind, b"\0", own, _plain(value.summary))
        return _blake(b"E", kind, b"\0", own)

    def _own_fields(self, item) -> tuple[bytes, dict]:
        key = (id(item), -1)
        hit = self._memo.get(key)
        if hit is None:
            own, links = {}, {}
            for name, shown in self._fields(item, True):
                field = _not_attributes(item, shown) if name == "metadata" else shown
                (links if _links_items(field) else own)[name] = field
            hit = self._memo[key] = (item, self._json(own, 2), links)
        return hit[1], hit[2]


def _fields_of(value) -> dict:
    """An object's fields (but the settings and a shared context)."""
    fields = getattr(value, "__dict__", None)
    if fields is None:
        slots = [s for c in type(value).__mro__ for s in getattr(c, "__slots__", ())]
        if not slots:
            raise Unkeyable(type(value).__qualname__)
        fields = {s: getattr(value, s, None) for s in slots}
    return {k: v for k, v in fields.items() if k not in _NOT_SHOWN}


class Settings(dict):
    """The build's settings, telling which are read while a page renders
    (``inside``) and which at any other time after Pelican started
    (``outside``: what reading and writing use). A setting read only while
    pages render is recorded by the pages that read it; the others are part
    of the environment. Reads while the settings are checked, before
    reading, are not counted (``forget_reads``)."""

    __slots__ = ("inside", "outside", "recorder")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.recorder: Recorder | None = None
        self.outside: set[str] = set()
        self.inside: set[str] = set()

    def forget_reads(self) -> None:
        self.outside, self.inside = set(), set()

    def _note(self, key) -> None:
        recorder = self.recorder
        if recorder is not None and recorder.current is not None:
            recorder.current.add(("s", str(key)))
            self.inside.add(key)
        else:
            self.outside.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def __contains__(self, key) -> bool:
        self._note(key)
        return super().__contains__(key)

    def setdefault(self, key, default=None):
        self._note(key)
        return super().setdefault(key, default)

    @contextlib.contextmanager
    def shared(self):
        """Reads made while working out a value that later pages reuse
        without reading the settings again (a memo, such as an item's URL):
        they count as reads at another time, so the settings read are part
        of every page's key (the environment), not only of the key of the
        page that happened to work the value out first."""
        recorder = self.recorder
        current = recorder.current if recorder is not None else None
        if current is None:
            yield
            return
        recorder.current = None
        try:
            yield
        finally:
            recorder.current = current

    def __reduce__(self):
        return (dict, (dict(self),))

    def page_settings(self) -> set[str]:
        """Settings only pages read (this build)."""
        return {str(k) for k in self.inside - self.outside}


def _lookup(name: str, maps) -> object:
    for mapping in maps:
        value = mapping.get(name, missing)
        if value is not missing:
            return value
    return missing


class Recorder:
    """Watches renders: the names and templates each page reads.

    Installed on a Jinja environment (``install``): its context class
    records lookups, ``get_template`` records loads, and
    ``env.kilas_reads`` is this recorder, for Python code that caches a
    rendered part across pages (``capture`` and ``replay``).
    """

    def __init__(self, environment_digest: str, settings: dict | None = None) -> None:
        self.environment = environment_digest
        self.settings = settings or {}
        self.digests = Digests()
        self.current: set | None = None
        self._maps: tuple = ()
        self._sources: dict[tuple[int, str], bytes] = {}
        self._envs: list = []  # where it is installed, first first
        # Templates loaded outside a page's render, while ``loading``.
        self.loads: set[str] | None = None
        # The page's names whose values declare item lists, by the value's id.
        self._named: dict[int, str] = {}

    def install(self, env) -> None:
        if getattr(env, "kilas_reads", None) is self:
            return
        env.kilas_reads = self
        self._envs.append(env)
        env.context_class = RecordingContext
        for method in ("get_template", "select_template", "get_or_select_template"):
            setattr(env, method, self._loading(getattr(env, method)))

    def _loading(self, load):
        def recorded(*args, **kwargs):
            template = load(*args, **kwargs)
            if self.current is not None:
                self.current.add(("t", template.name))
            elif self.loads is not None:
                self.loads.add(template.name)
            return template

        return recorded

    def seen(self, key: str, value):
        """A template looked ``key`` up and found ``value``: recorded when
        it is the page's own (not a template's local variable). A set is
        given as a ``_Membership``: asking whether a text is in it records
        the answer, any other use the whole set."""
        current = self.current
        if current is not None and _items_of(type(value)):
            _watch(type(value))
            if _lookup(key, self._maps) is value:
                self._named.setdefault(id(value), key)
        if (
            current is not None
            and ("n", key) not in current
            and _lookup(key, self._maps) is value
        ):
            if isinstance(value, frozenset | set):
                return _Membership(self, key, value)
            current.add(("n", key))
        return value

    @contextlib.contextmanager
    def page(self, maps: tuple, template_name: str):
        """Record one page's render; ``maps``: where its names are found."""
        reads = {("t", template_name)}
        self.current, self._maps = reads, maps
        self._named = {}
        _RENDERING.append(self)
        try:
            yield reads
        finally:
            _RENDERING.remove(self)
            self.current, self._maps = None, ()

    def touch(self, entity) -> None:
        """A declared item list of ``entity`` was read: the page depends on
        its items' fields (the page's name for it, or every name when the
        entity is not one of the page's own)."""
        if self.current is not None:
            self.current.add(("d", self._named.get(id(entity), "*")))

    @contextlib.contextmanager
    def capture(self):
        """What a part renders reads (kept by the caller for ``replay``)."""
        outer, got = self.current, set()
        self.current = got
        try:
            yield got
        finally:
            self.current = outer
            if outer is not None:
                outer |= got

    @contextlib.contextmanager
    def loading(self):
        """The templates loaded outside a page's render while it lasts (by
        the plugins writing a feed: kilas_contract renders each entry's
        source link with ``partials/source_link.html``), by name."""
        outer, self.loads = self.loads, set()
        try:
            yield self.loads
        finally:
            self.loads = outer

    def templates(self, reads) -> bytes:
        """A digest of the sources of the templates ``reads`` names."""
        digest = hashlib.blake2b(digest_size=20)
        for kind, name in reads:
            if kind == "t" and self._envs:
                digest.update(self._source(self._envs[0], name))
        return digest.digest()

    def replay(self, reads) -> None:
        """A cached part is shown again: the page read what it read."""
        if self.current is not None and reads:
            self.current |= reads

    def key(self, reads, maps: tuple, env) -> str | None:
        """The page's key from the values of what it read, in that order
        (None: unkeyable)."""
        digest = hashlib.blake2b(digest_size=20)
        deep = {name for kind, name in reads if kind == "d"}
        try:
            for kind, name in reads:
                digest.update(f"{kind}:{name}\0".encode())
                if kind == "n":
                    value = _lookup(name, maps)
                    shallow = (
                        "*" not in deep and name not in deep and _items_of(type(value))
                    )
                    if shallow:
                        _watch(type(value))
                    digest.update(self.digests.of(value, SHALLOW if shallow else 0))
                elif kind == "s":
                    digest.update(
                        self.digests.of(dict.get(self.settings, name, missing))
                    )
                elif kind == "m":
                    key, _, member = name.partition("\0")
                    found = _lookup(key, maps)
                    digest.update(b"1" if _has(found, member) else b"0")
                else:
                    digest.update(self._source(env, name))
        except Unkeyable:
            return None
        return digest.hexdigest()

    def names(self, reads, mapping: dict) -> bytes:
        """A digest of the values ``reads`` names in ``mapping`` (what a feed
        read from its context)."""
        digest = hashlib.blake2b(digest_size=20)
        for kind, name in reads:
            if kind != "n":
                continue
            digest.update(f"{name}\0".encode())
            digest.update(self.digests.of(_lookup(name, (mapping,))))
        return digest.digest()

    def shows(self, reads, maps: tuple, paths: set[str]) -> bool:
        """Whether a page read, by name, an item or page of ``paths``."""
        for kind, name in reads:
            if kind == "n":
                value = _lookup(name, maps)
                if isinstance(value, Content) and value.source_path in paths:
                    return True
        return False

    def _source(self, env, name: str) -> bytes:
        key = (id(env), name)
        if key not in self._sources:
            try:
                source = env.loader.get_source(env, name)[0]
            except Exception:  # noqa: BLE001  (gone: a page that loads it must change)
                source = "\0missing"
            self._sources[key] = _plain(source)
        return self._sources[key]


def _has(found, member: str) -> bool:
    try:
        return member in found
    except TypeError:
        return False


class _Membership:
    """A set a page looked up: ``text in it`` records the answer (the page
    depends on it, not on the rest of the set); any other use records the
    set. Text members only; what else the set holds is asked as usual."""

    def __init__(self, recorder: Recorder, name: str, members) -> None:
        self._recorder, self._name, self._members = recorder, name, members

    def __contains__(self, member) -> bool:
        current = self._recorder.current
        if current is not None:
            if isinstance(member, str) and "\0" not in member:
                current.add(("m", f"{self._name}\0{member}"))
            else:
                current.add(("n", self._name))
        return member in self._members

    def _whole(self):
        if self._recorder.current is not None:
            self._recorder.current.add(("n", self._name))
        return self._members

    def __iter__(self):
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())

    def __bool__(self) -> bool:
        return bool(self._whole())

    def __eq__(self, other) -> bool:
        return self._whole() == other

    __hash__ = None

    def __getattr__(self, name):
        return getattr(self._whole(), name)


def _plainly(value):
    """JSON for what ``site_digests`` meets in an item's fields: a term by
    name, a date by its text, another item by its file, an object by its
    fields."""
    if isinstance(value, URLWrapper):
        return f"{type(value).__name__}:{value.name}:{value.slug}"
    if isinstance(value, (date, time, *_OTHER_PLAIN)):
        return f"{type(value).__name__}:{value}:{getattr(value, 'tzinfo', None)}"
    if isinstance(value, set | frozenset):
        return sorted(map(str, value))
    if isinstance(value, Content):
        return f"{type(value).__name__}:{value.source_path}"
    return {"\0class": type(value).__qualname__, **_fields_of(value)}


_fields_json = json.JSONEncoder(ensure_ascii=False, default=_plainly).encode


def surroundings(settings: dict, page_settings) -> str:
    """The theme's templates and the values of the settings only pages
    read: what ``site_digests`` leaves to the pages' records."""
    digest = hashlib.blake2b(digest_size=20)
    _hash_tree(digest, Path(settings["THEME"]) / "templates", "*")
    shown = {k: dict.get(settings, k) for k in sorted(page_settings)}
    digest.update(json.dumps(stable(shown), default=str).encode())
    return digest.hexdigest()


def site_digests(contents) -> tuple[str, dict]:
    """What every item and page is made of, but their bodies: their files,
    addresses and fields (metadata, and what plugins added: photos, related
    items, neighbours) (a digest, "" when it cannot be made); and each
    one's body as shown, by source path. When the first is as in the last
    build, and the ``surroundings`` too, an edit changed bodies only: the
    pages showing no changed body at all are as they were (lists show
    titles and summaries, which are metadata; a body is shown on its own
    page and in feeds)."""
    digest = hashlib.blake2b(digest_size=20)
    bodies = {}
    try:
        for content in sorted(contents, key=lambda c: c.source_path):
            digest.update(f"{content.source_path}\0{content.save_as}\0".encode())
            fields = {
                k: v
                for k, v in vars(content).items()
                if not k.startswith("_") and k not in _NOT_SHOWN
            }
            digest.update(_fields_json(fields).encode("utf-8", "replace"))
            body = _plain(shown_body(content))
            if "summary" not in content.metadata:
                body += _plain(content.summary)  # made from the body
            bodies[content.source_path] = _blake(body).hex()
    except (TypeError, ValueError, Unkeyable):
        return "", bodies
    return digest.hexdigest(), bodies


class ReadingDict(dict):
    """A copy of a context telling the names read from it (``reads``): what
    Pelican's feed writer and the plugins it signals read for a feed."""

    __slots__ = ("reads",)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.reads: set[tuple[str, str]] = set()

    def __getitem__(self, key):
        self.reads.add(("n", str(key)))
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.reads.add(("n", str(key)))
        return super().get(key, default)

    def __contains__(self, key) -> bool:
        self.reads.add(("n", str(key)))
        return super().__contains__(key)


class RecordingContext(Context):
    """Jinja's context, telling the recorder every name looked up."""

    def resolve_or_missing(self, key: str):
        value = super().resolve_or_missing(key)
        recorder = getattr(self.environment, "kilas_reads", None)
        return value if recorder is None else recorder.seen(key, value)


def stable(value):
    """A JSON-able form of settings without memory addresses."""
    if isinstance(value, dict):
        return {str(k): stable(v) for k, v in sorted(value.items(), key=str)}
    if isinstance(value, list | tuple | set | frozenset):
        items = [stable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _hash_tree(digest, folder: Path, pattern: str, skip: Path | None = None) -> None:
    for path in sorted(folder.rglob(pattern)) if folder.exists() else ():
        if skip is not None and path.is_relative_to(skip):
            continue
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())


def environment_digest(settings: dict, page_settings=()) -> str:
    """What every page depends on besides what it reads: the packages, the
    settings (but ``page_settings``, which the pages reading them record),
    the plugins' and Kilas' code, and the theme's files other than its
    templates (each page records the templates it loads)."""
    digest = hashlib.sha1()
    # Any installed package may change pages (nh3 the bodies, pycountry a
    # region's name, Pillow the photos): every one's version is in it.
    for distribution in installed_packages():
        digest.update(f"{distribution}\0".encode())
    left = _VOLATILE | set(page_settings)
    shown = {k: v for k, v in settings.items() if k not in left}
    digest.update(json.dumps(sorted(page_settings)).encode())
    digest.update(json.dumps(stable(shown), default=str).encode())
    theme = Path(settings["THEME"])
    _hash_tree(digest, theme, "*", skip=theme / "templates")
    for folder in settings.get("PLUGIN_PATHS", []):
        _hash_tree(digest, Path(folder), "*.py")
    _hash_tree(digest, Path(__file__).parent, "*.py")
    return digest.hexdigest()
