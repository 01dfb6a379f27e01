"""Kilas theme support: every template comes from the theme, and a few filters
the templates need to describe items.

Pelican looks a template up in the theme, then silently in its ``simple``
theme. This plugin removes that fallback from every generator's Jinja loader:
a template the theme lacks stops the build with Pelican's "unable to load"
error instead of rendering a page in another design.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re

from babel import Locale
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from kilas_settings import apply, whole
from markupsafe import Markup
from pelican import signals

logger = logging.getLogger(__name__)

DEFAULTS = {
    # Words a reader reads in a minute (reading time on item pages).
    "KILAS_THEME_WORDS_PER_MINUTE": 200,
}
RULES = {"KILAS_THEME_WORDS_PER_MINUTE": whole(1)}

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def reading_minutes(html: str, words_per_minute: int = 200) -> int:
    """Minutes to read an HTML text, rounded up, at least 1."""
    text = Markup(html or "").striptags()
    return max(1, math.ceil(len(_WORD.findall(text)) / words_per_minute))


def language_name(code: str, interface_lang: str) -> str:
    """A language's name in the interface language: ``en`` is "Inggris" in id."""
    try:
        return Locale.parse(interface_lang).languages.get(code, code)
    except ValueError:
        return code


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


def _memoized_render(env, template_name: str, constants: dict):
    """A function rendering ``template_name`` once per distinct arguments.

    An item's entry in a list (headline, meta line, summary) is the same on
    the home page, its day, week, month and year, its category, tags, regions,
    source and story: render it once per build and reuse it. The cache lives
    in the generator's environment, for one build. ``constants`` are settings
    the template may read besides ``item`` and ``args``.
    """
    cache: dict = {}

    def render(content, *args):
        # A runner that records what each page reads (Kilas' own) sets
        # ``env.kilas_reads``: a page showing a cached entry read what
        # rendering it read.
        reads = getattr(env, "kilas_reads", None)
        key = (id(content), *args)
        if key not in cache:
            with reads.capture() if reads else contextlib.nullcontext() as got:
                template = env.get_template(template_name)
                html = template.render(item=content, args=args, **constants)
            cache[key] = (content, Markup(html), got)
        elif reads:
            reads.replay(cache[key][2])
        return cache[key][1]

    return render


def setup_theme(generator) -> None:
    """Only our templates, and the theme's filters, in every generator."""
    settings = generator.settings
    words_per_minute = settings["KILAS_THEME_WORDS_PER_MINUTE"]
    generator.env.loader = _strict_loader(generator)
    generator.env.filters.update(
        {
            "reading_minutes": lambda html: reading_minutes(html, words_per_minute),
            "language_name": lambda code, lang=None: language_name(
                code, lang or settings.get("DEFAULT_LANG", "id")
            ),
            "country_name": lambda code, lang=None: country_name(
                code, lang or settings.get("DEFAULT_LANG", "id")
            ),
        }
    )
    constants = {key: settings.get(key, "") for key in ("DEFAULT_LANG", "SITENAME")}
    generator.env.globals["digest_item_html"] = _memoized_render(
        generator.env, "partials/digest_item_body.html", constants
    )


def check_settings(pelican) -> None:
    """Defaults filled in and every setting checked once, before reading."""
    apply(pelican.settings, DEFAULTS, RULES, plugin="kilas_theme")


def register() -> None:
    # initialized: settings checked once, before any generator exists.
    signals.initialized.connect(check_settings)
    # generator_init: each generator builds its own Jinja environment and loader.
    signals.generator_init.connect(setup_theme)
