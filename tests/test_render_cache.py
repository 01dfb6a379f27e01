"""The render cache (.kilas-cache/<output>/kilas-render.pickle) is only a
cache: whatever replaced or damaged it, the next build drops it with a
notice, renders the items again and writes the same site."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest
from conftest import run_build, site_files

FIXTURE = Path(__file__).parent / "fixtures" / "contract"


def _damage(cache: Path, how: str) -> None:
    cache.unlink()
    if how == "garbage":
        cache.write_bytes(b"\x00not a pickle at all")
    elif how == "truncated":
        cache.write_bytes(pickle.dumps({"k": ("a", None, None, ())})[:-5])
    elif how == "a list":
        cache.write_bytes(pickle.dumps(["not", "a", "dict"]))
    elif how == "wrong entries":
        cache.write_bytes(pickle.dumps({"k": 42, "j": ("only", "three", "parts")}))
    elif how == "a folder":
        cache.mkdir()
        (cache / "inside").write_text("x")
    elif how == "a pipe":
        os.mkfifo(cache)
    elif how == "a dangling link":
        os.symlink(cache.parent / "nowhere", cache)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    shutil.copytree(FIXTURE, root / "content")
    result = run_build(
        "--content", str(root / "content"), "--output", str(root / "out")
    )
    assert result.returncode == 0, result.stderr
    return site_files(root / "out")


@pytest.mark.parametrize(
    "how",
    ["garbage", "truncated", "a list", "wrong entries", "a folder", "a pipe",
     "a dangling link"],
)  # fmt: skip
def test_a_damaged_render_cache_is_dropped_and_rebuilt(tmp_path, clean, how):
    shutil.copytree(FIXTURE, tmp_path / "content")
    args = ("--content", str(tmp_path / "content"), "--output", str(tmp_path / "out"))
    assert run_build(*args).returncode == 0
    cache = tmp_path / ".kilas-cache" / "out" / "kilas-render.pickle"
    assert cache.is_file()
    _damage(cache, how)
    # The item must be rendered again: a changed body shows it was.
    item = tmp_path / "content" / "items" / "baik.md"
    item.write_text(item.read_text() + "\nTambahan.\n", encoding="utf-8")
    result = run_build(*args)
    assert result.returncode == 0, result.stderr
    assert "kilas_render: the render cache" in result.stderr
    assert "it was dropped and the items are rendered again" in result.stderr
    page = (tmp_path / "out" / "2024/08/baik/index.html").read_text(encoding="utf-8")
    assert "Tambahan." in page
    assert cache.is_file() and not cache.is_symlink()
    assert isinstance(pickle.loads(cache.read_bytes()), dict)
    # The next build uses the cache again, silently, and writes the same site.
    again = run_build(*args)
    assert again.returncode == 0 and "render cache" not in again.stderr
    item.write_text(item.read_text().replace("\nTambahan.\n", ""), encoding="utf-8")
    assert run_build(*args).returncode == 0
    assert site_files(tmp_path / "out") == clean


def test_the_cache_key_follows_the_sanitiser_policy(monkeypatch):
    """A change to the allow-list renders every item again."""
    import kilas_render as render
    from kilas_contract.contract import item_parts
    from kilas_render import sanitise

    from kilas.build import load_settings

    settings = load_settings(Path(__file__).resolve().parent.parent / "pelicanconf.py")
    before = render.render_options(settings, item_parts)
    monkeypatch.setattr(sanitise, "TAGS", sanitise.TAGS - {"table"})
    after = render.render_options(settings, item_parts)
    assert before != after
    raw = b"Title: x\n\n| a |\n|---|\n| 1 |\n"
    assert render.cache_key(raw, before) != render.cache_key(raw, after)
    monkeypatch.setattr(sanitise, "URL_SCHEMES", sanitise.URL_SCHEMES | {"ftp"})
    assert render.render_options(settings, item_parts) not in (before, after)


def _texts() -> list[str]:
    """Texts of every kind SmartyPants meets: quotes of both kinds where each
    rule of convert_quotes looks (start, after a space, an entity or a dash,
    before punctuation, digits or an "s"), escapes, dashes, entities, tags."""
    import random

    pieces = [
        "'", '"', "\\", "\\\\", '\\"', "\\'", "\\.", "\\-", "\\`", "`", "``", "''",
        "--", "---", "...", ". . .", ". .", "&quot;", "&nbsp;", "&#8211;", "&#8212;", "&mdash;",
        "&ndash;", "&#x2013;", "&#x2014;", " ", "\n", "\t", "(", "[", "{", "-",
        ".", ",", "!", "?", ";", "s", "80s", "'90-an", "a", "kata", "Jakarta",
        "1", "2024", "<p>", "</p>", "<pre>", "</pre>", "<code>'x'</code>", "é",
    ]  # fmt: skip
    rng = random.Random(14)
    texts = ["", "plain words, no quotes - at all.", *pieces]
    texts += ["".join(rng.choices(pieces, k=rng.randrange(1, 12))) for _ in range(4000)]
    return texts


def test_the_cache_key_follows_the_code_and_packages_that_render(tmp_path, monkeypatch):
    """The key held the code of the module of ``parts`` only, and the
    versions of Markdown, typogrify and SmartyPants: an edit to another
    module ``parts`` calls, or an upgrade of pymdown-extensions (an
    extension of the default settings), left cached texts as they were."""
    from importlib.metadata import version

    import kilas_render as render

    from kilas.build import load_settings

    settings = load_settings(Path(__file__).resolve().parent.parent / "pelicanconf.py")
    package = tmp_path / "kilas_parts_probe"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "parts.py").write_text(
        "from .rules import RULE\n\ndef parts(text):\n    return RULE\n", "utf-8"
    )
    (package / "rules.py").write_text("RULE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    from kilas_parts_probe.parts import parts

    before = render.render_options(settings, parts)
    assert f"pymdown-extensions=={version('pymdown-extensions')}" in before
    assert f"nh3=={version('nh3')}" in before
    (package / "rules.py").write_text("RULE = 2\n", encoding="utf-8")
    assert render.render_options(settings, parts) != before


def test_smartypants_shortcut_changes_no_text():
    """kilas_render skips SmartyPants conversions on texts they cannot
    change; every text converts exactly as with SmartyPants' own functions,
    alone and through typogrify."""
    import kilas_render as render
    import smartypants
    from typogrify.filters import typogrify

    render._skip_untouched(smartypants)
    for name in render._NEEDED:
        quick = getattr(smartypants, name)
        original = quick.__wrapped__
        for text in _texts():
            assert quick(text) == original(text), (name, text)
    # The whole filter chain, with the shortcuts and without.
    texts = _texts()
    quick = [typogrify(text) for text in texts]
    saved = {name: getattr(smartypants, name) for name in render._NEEDED}
    try:
        for name, function in saved.items():
            setattr(smartypants, name, function.__wrapped__)
        assert [typogrify(text) for text in texts] == quick
    finally:
        for name, function in saved.items():
            setattr(smartypants, name, function)


def _markup() -> list[str]:
    """Texts of every kind widont and caps meet: block ends (p, h1-h6, li,
    dt, dd, in any case, with spaces), inline tags around the last word,
    tags that are not closed ("<a</p>"), comments, kbd and script, spaces of
    every kind, capitals with dots, digits and apostrophes."""
    import random

    pieces = [
        "<p>", "</p>", "</p >", "<P>", "</P>", "<li>", "</li>", "</dd>", "</dt>",
        "<h2>", "</h1>", "</h6>", "</h7>", '<a href="x y">', "<a>", "</a>", "<em>",
        "</em>", "<span class='c'>", "</span>", "<strong>", "</strong>", "<i>",
        "</i>", "<b>", "</b>", "<br>", "<br/>", "<b<x>", "<abbr>", "</abbr>",
        "<img src=x>", "<a", "<em ", "</blockquote>", "<kbd>", "</kbd>", "<script>", "</script>",
        "<!-- c -->", "<!-- a -- b -->", "<pre>", "</pre>", "<code>", "</code>",
        "<", ">", " ", "  ", "\n", "\t", "\xa0", "\u2003", "\x1c", "\x85",
        "kata", "Jakarta", "DPR", "KPK", "A.B.", "U. S. ", "H2O", "I", "It's",
        "ABC'S", "a", "1", "2024", "&nbsp;", "&amp;", ".", ",", "-", "'", '"', "é",
    ]  # fmt: skip
    rng = random.Random(14)
    texts = ["", " ", "a", "a b", "<p>a b</p>", "<p> b</p>", "<p>a </p>\n"]
    texts += ["<p>x <a</p>\tA.B.", "kata<a</dd>\xa02024", "<p>a <em b</li> c</p>"]
    texts += [
        "".join(rng.choices(pieces, k=rng.randrange(1, 25))) for _ in range(30000)
    ]
    return texts


def test_quick_widont_and_caps_change_nothing():
    """kilas_render's widont looks only where its expression can match and
    its caps only at pieces holding capitals; every text comes out exactly
    as from typogrify's own filters, alone and through the whole chain
    (rendered bodies: tests/test_incremental.py compares whole sites)."""
    import kilas_render as render
    from typogrify import filters

    render._quick_filters()
    texts = _markup()
    for name in ("widont", "caps"):
        quick = getattr(filters, name)
        original = quick.__wrapped__
        for text in texts:
            assert quick(text) == original(text), (name, text)
    chained = [filters.typogrify(text) for text in texts]
    saved = {name: getattr(filters, name) for name in ("widont", "caps")}
    try:
        for name, function in saved.items():
            setattr(filters, name, function.__wrapped__)
        assert [filters.typogrify(text) for text in texts] == chained
    finally:
        for name, function in saved.items():
            setattr(filters, name, function)
