"""Kilas theme support: every template comes from the theme, and a few filters
the templates need to describe items.

Pelican looks a template up in the theme, then silently in its ``simple``
theme. This plugin removes that fallback from every generator's Jinja loader:
a template the theme lacks stops the build with Pelican's "unable to load"
error instead of rendering a page in another design.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import marshal
import math
import os
import pickle
import re
import sys
from functools import lru_cache

import jinja2
from babel import Locale, UnknownLocaleError
from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    TemplateError,
)
from jinja2.bccache import Bucket
from kilas_settings import apply, site_icon, state, text, whole
from markupsafe import Markup
from pelican import signals

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Words a reader reads in a minute (reading time on item pages).
    "KILAS_THEME_WORDS_PER_MINUTE": 200,
    # The site's icon, a path from the site's root ("": the site's own
    # favicon from EXTRA_PATH_METADATA, else the theme's; see site_icon).
    "SITE_ICON": "",
}
RULES = {
    "KILAS_THEME_WORDS_PER_MINUTE": whole(1),
    "SITE_ICON": text('a path from the site\'s root, e.g. "favicon.svg"'),
}

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
# A table's start tag that has no tabindex yet.
_TABLE = re.compile(r"<table(?=[\s>])(?![^>]*\btabindex=)")


def reading_minutes(html: str, words_per_minute: int = 200) -> int:
    """Minutes to read an HTML text, rounded up, at least 1."""
    text = Markup(html or "").striptags()
    return max(1, math.ceil(len(_WORD.findall(text)) / words_per_minute))


def language_name(code: str, interface_lang: str) -> str:
    """A language's name in the interface language: ``en`` is "Inggris" in
    id; a code with a region or script (``Lang`` writes ``en-GB``) is named
    with it: "Inggris (Britania)", "Arab (Mesir)"."""
    try:
        names = Locale.parse(interface_lang).languages
        key = str(code).replace("-", "_")
        return names.get(key) or Locale.parse(key).get_display_name(interface_lang)
    except (ValueError, TypeError, UnknownLocaleError):
        return code


def scrolling_tables(html: str) -> Markup:
    """An item's or page's text with each table reachable by the keyboard
    (``tabindex="0"``): the stylesheet makes a table wider than the screen
    scroll sideways inside the text, and arrow keys scroll what has focus."""
    return Markup(_TABLE.sub('<table tabindex="0"', str(html or "")))


@lru_cache(maxsize=64)
def text_direction(code: str) -> str:
    """``rtl`` for a language written right to left (``ar``, ``fa``, ``he``,
    ``ur``: CLDR's character order), else ``ltr``."""
    try:
        return Locale.parse(str(code).replace("-", "_")).text_direction
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"


def country_name(code: str, interface_lang: str) -> str:
    """A country's name (ISO 3166-1 code) in the interface language."""
    try:
        return Locale.parse(interface_lang).territories.get(str(code).upper(), code)
    except ValueError:
        return code


def _strict_loader(generator) -> ChoiceLoader:
    """The generator's loader without Pelican's ``simple`` theme."""
    theme = FileSystemLoader(generator._templates_path)
    return ChoiceLoader([theme, PrefixLoader({"!theme": theme})])


def _memoized_render(env, template_name: str, constants: dict, cache: dict):
    """A function rendering ``template_name`` once per distinct arguments.

    An item's entry in a list (headline, meta line, summary) is the same on
    the home page, its day, week, month and year, its category, tags, regions,
    source and story: render it once per build and reuse it. ``cache`` is
    the build's (``_entries``), shared by every generator's environment: the
    timeline's, the taxonomies' and the items' pages show the same entries
    (a quarter of the entries were rendered again by another generator).
    ``constants`` are settings the template may read besides ``item`` and
    ``args``.
    """

    def render(content, *args):
        # A runner that records what each page reads (Kilas' own) sets
        # ``env.kilas_reads``: a page showing a cached entry read what
        # rendering it read.
        reads = getattr(env, "kilas_reads", None)
        key = (template_name, id(content), *args)
        if key not in cache:
            with reads.capture() if reads else contextlib.nullcontext() as got:
                template = env.get_template(template_name)
                html = template.render(item=content, args=args, **constants)
            cache[key] = (content, Markup(html), got)
        elif reads:
            reads.replay(cache[key][2])
        return cache[key][1]

    return render


class _SharedCode(BytecodeCache):
    """Compiled templates kept in memory for one build and shared by every
    generator's environment (each generator has its own): a template is
    compiled once per build, not once per generator and writing process.
    With a ``folder`` (the build cache's), the code is also kept on disk
    between builds: a build then compiles only the templates that changed
    (compiling the theme's took about 0.2 s of every build).

    Compiled code depends on how an environment parses and generates code,
    so the code is kept per ``_dialect``; and on the source, whose checksum
    must match (Jinja's own check). On disk, in Jinja's own format (its
    version's magic, the checksum, the code), a file is named by a digest of
    both and of Jinja's and Python's versions; what cannot be read back is
    compiled again."""

    def __init__(self, folder: str | None = None) -> None:
        self.code: dict[tuple, tuple[str, object]] = {}
        self.folder = folder
        self.used: set[str] = set()

    def load_bytecode(self, bucket: Bucket) -> None:
        key = (_dialect(bucket.environment), bucket.key)
        found = self.code.get(key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]
            return
        path = self._path(key, bucket.checksum)
        if path is None:
            return
        try:  # Jinja's own format: its magic, the checksum, the code
            with open(path, "rb") as file:
                bucket.load_bytecode(file)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()
        if bucket.code is not None:
            self.code[key] = (bucket.checksum, bucket.code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        key = (_dialect(bucket.environment), bucket.key)
        self.code[key] = (bucket.checksum, bucket.code)
        path = self._path(key, bucket.checksum)
        if path is None:
            return
        temporary = f"{path}.{os.getpid()}.tmp"
        try:
            os.makedirs(self.folder, exist_ok=True)
            with open(temporary, "wb") as file:
                bucket.write_bytecode(file)
            os.replace(temporary, path)
        except OSError as exc:  # the build goes on: the code is in memory
            logger.debug("kilas_theme: template code not kept: %s", exc)
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def _path(self, key: tuple, checksum: str) -> str | None:
        if not self.folder:
            return None
        digest = hashlib.blake2b(
            repr((_VERSIONS, key, checksum)).encode(), digest_size=20
        ).hexdigest()
        self.used.add(digest)
        return os.path.join(self.folder, digest)

    def forget_unused(self) -> None:
        """Remove the kept code of templates no environment asked for in
        this build (changed or removed since)."""
        if not self.folder or not os.path.isdir(self.folder):
            return
        for name in os.listdir(self.folder):
            if name not in self.used:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.folder, name))


# What compiled code depends on besides the environment and the source.
_VERSIONS = (jinja2.__version__, sys.implementation.cache_tag)


def _dialect(env) -> tuple:
    """What of an environment the compiled code of a template depends on."""
    return (
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        _stable(env.autoescape),
        _stable(env.finalize),
        tuple(sorted(env.extensions)),
        # How each filter and test is called (with the context or not) is
        # compiled into the code; policies too.
        tuple(sorted((n, _passes(f)) for n, f in env.filters.items())),
        tuple(sorted((n, _passes(f)) for n, f in env.tests.items())),
        _stable(env.policies),
    )


def _passes(function) -> str:
    """What Jinja passes a filter or test first (``pass_context`` and the
    like mark it): the compiled call differs."""
    return str(getattr(function, "jinja_pass_arg", ""))


def _stable(value):
    """``value`` as the same text in every process: a function by its
    module, name and code's digest; a plain value as itself."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return tuple(sorted((str(k), _stable(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_stable(v) for v in value)
    code = getattr(value, "__code__", None)
    body = (
        hashlib.blake2b(marshal.dumps(code), digest_size=8).hexdigest() if code else ""
    )
    name = getattr(value, "__qualname__", type(value).__qualname__)
    return f"{getattr(value, '__module__', '')}.{name}:{body}"


def _shared_code(settings: dict) -> _SharedCode:
    """The build's template code (a new build starts with none in memory,
    and finds on disk what the last build compiled)."""
    build = state(settings)
    found = build.get(__name__)
    if not isinstance(found, _SharedCode):
        cache = settings.get("KILAS_CACHE_DIR")
        found = _SharedCode(os.path.join(cache, "templates") if cache else None)
        build.set(__name__, found)
    return found


def _entries(settings: dict) -> dict:
    """The build's rendered list entries (a new build starts with none)."""
    build = state(settings)
    found = build.get(f"{__name__}.entries")
    if not isinstance(found, dict):
        found = {}
        build.set(f"{__name__}.entries", found)
    return found


def setup_theme(generator) -> None:
    """Only our templates, and the theme's filters, in every generator."""
    settings = generator.settings
    words_per_minute = settings["KILAS_THEME_WORDS_PER_MINUTE"]
    generator.env.loader = _strict_loader(generator)
    # Templates do not change during a build: no look at each template's
    # time on every use (a stat per page and included template), and the
    # code compiled once for every generator.
    generator.env.auto_reload = False
    generator.env.bytecode_cache = _shared_code(settings)
    generator.env.filters.update(
        {
            "reading_minutes": lambda html: reading_minutes(html, words_per_minute),
            "language_name": lambda code, lang=None: language_name(
                code, lang or settings.get("DEFAULT_LANG", "id")
            ),
            "text_direction": text_direction,
            "scrolling_tables": scrolling_tables,
            "country_name": lambda code, lang=None: country_name(
                code, lang or settings.get("DEFAULT_LANG", "id")
            ),
        }
    )
    constants = {key: settings.get(key, "") for key in ("DEFAULT_LANG", "SITENAME")}
    generator.env.globals["digest_item_html"] = _memoized_render(
        generator.env, "partials/digest_item_body.html", constants, _entries(settings)
    )


def compile_templates(generators) -> None:
    """Compile the theme's templates before writing starts: the processes
    forked to write then share the code instead of each compiling it. A
    template that does not compile is left to the page that uses it, which
    reports the error as before."""
    env = next((g.env for g in generators if hasattr(g, "env")), None)
    if env is None or env.bytecode_cache is None:
        return
    for name in env.loader.loaders[0].list_templates():
        with contextlib.suppress(TemplateError, UnicodeDecodeError):
            env.get_template(name)
    if isinstance(env.bytecode_cache, _SharedCode):
        env.bytecode_cache.forget_unused()


def check_settings(pelican) -> None:
    """Defaults filled in and every setting checked once, before reading."""
    apply(pelican.settings, DEFAULTS, RULES, plugin="kilas_theme")
    pelican.settings["SITE_ICON"] = site_icon(pelican.settings)


def register() -> None:
    # initialized: settings checked once, before any generator exists.
    signals.initialized.connect(check_settings)
    # generator_init: each generator builds its own Jinja environment and loader.
    signals.generator_init.connect(setup_theme)
    # all_generators_finalized: everything is read; the templates are
    # compiled once, before the writing processes are forked.
    signals.all_generators_finalized.connect(compile_templates)
