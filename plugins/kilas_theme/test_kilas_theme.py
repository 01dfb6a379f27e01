"""kilas_theme: reading time, names in the interface language, settings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kilas_theme import kilas_theme
from kilas_theme.kilas_theme import country_name, language_name, reading_minutes


def test_reading_minutes_round_up_whole_words_of_the_text():
    assert reading_minutes("<p>" + "kata " * 200 + "</p>") == 1
    assert reading_minutes("<p>" + "kata " * 201 + "</p>") == 2
    assert reading_minutes("") == 1
    assert reading_minutes(None) == 1
    # Tags and attributes are not words; hyphenated and elided words are one.
    tagged = '<a href="x y z">anak-anak</a> <em>Jum\u2019at</em> ' * 100
    assert reading_minutes(tagged, words_per_minute=200) == 1
    assert reading_minutes(tagged, words_per_minute=199) == 2


def test_names_in_the_interface_language():
    assert language_name("en", "id") == "Inggris"
    assert language_name("id", "en") == "Indonesian"
    assert country_name("kp", "id") == "Korea Utara"
    assert country_name("XX", "id") == "XX"
    assert language_name("en", "bukan-bahasa") == "en"


@pytest.mark.parametrize("value", [0, -5, True, 2.5, "200"])
def test_a_bad_reading_speed_stops_the_build(value):
    pelican = SimpleNamespace(settings={"KILAS_THEME_WORDS_PER_MINUTE": value})
    with pytest.raises(ValueError, match="KILAS_THEME_WORDS_PER_MINUTE = "):
        kilas_theme.check_settings(pelican)


def test_template_code_is_kept_between_builds_and_only_while_it_holds(
    tmp_path, monkeypatch
):
    """A build's compiled templates are kept on disk (the build cache):
    the next build loads them instead of compiling, unless the template's
    source, the environment's syntax or a filter's calling convention
    changed; a damaged file is compiled again; unused code is removed."""
    from jinja2 import DictLoader, Environment, pass_context  # noqa: PLC0415

    folder = tmp_path / "templates"
    sources = {"page.html": "<p>{{ title|shout }}</p>"}
    compiled = []

    def environment(shout=lambda text: text.upper(), **options):
        env = Environment(loader=DictLoader(sources), autoescape=True, **options)
        env.filters["shout"] = shout
        env.bytecode_cache = kilas_theme._SharedCode(str(folder))
        original = env.compile
        env.compile = lambda *a, **k: compiled.append(a[1]) or original(*a, **k)
        return env

    def render(env) -> str:
        return env.get_template("page.html").render(title="<b>")

    assert render(environment()) == "<p>&lt;B&gt;</p>"
    assert compiled == ["page.html"] and len(list(folder.iterdir())) == 1
    assert render(environment()) == "<p>&lt;B&gt;</p>"  # a new build
    assert compiled == ["page.html"], "loaded from disk, not compiled"

    # The filter now takes the context: the compiled call differs.
    shout = pass_context(lambda context, text: text.upper() + "!")
    assert render(environment(shout)) == "<p>&lt;B&gt;!</p>"
    # Another syntax, another source: compiled again.
    assert render(environment(trim_blocks=True)) == "<p>&lt;B&gt;</p>"
    sources["page.html"] = "<i>{{ title|shout }}</i>"
    env = environment()
    assert render(env) == "<i>&lt;B&gt;</i>"
    assert len(compiled) == 4

    # Damaged code on disk is compiled again.
    for path in folder.iterdir():
        path.write_bytes(b"\xe3 not code")
    assert render(environment()) == "<i>&lt;B&gt;</i>"
    assert len(compiled) == 5

    # Only what this build used stays.
    env.bytecode_cache.forget_unused()
    assert len(list(folder.iterdir())) == 1
