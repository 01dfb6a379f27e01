"""The README as a new editor reads it: every setting its tables name is a
real setting with the default the table states, and what it promises about
settings holds in a build."""

from __future__ import annotations

import ast
import re
from importlib import import_module
from pathlib import Path

import pytest
from pelican.settings import DEFAULT_CONFIG, get_settings_from_file

from tests.conftest import PROJECT, page, run_build

# Every plugin's table of defaults (module, name).
DEFAULT_TABLES = (
    ("kilas_contract.kilas_contract", "DEFAULTS"),
    ("kilas_feeds.kilas_feeds", "DEFAULTS"),
    ("kilas_images.kilas_images", "DEFAULTS"),
    ("kilas_related.kilas_related", "DEFAULTS"),
    ("kilas_search.kilas_search", "SEARCH_DEFAULTS"),
    ("kilas_seo.kilas_seo", "DEFAULTS"),
    ("kilas_sitemap.kilas_sitemap", "DEFAULTS"),
    ("kilas_taxonomy.kilas_taxonomy", "DEFAULTS"),
    ("kilas_theme.kilas_theme", "DEFAULTS"),
    ("kilas_timeline.kilas_timeline", "DEFAULTS"),
)
READMES = [PROJECT / "README.md", *sorted(PROJECT.glob("plugins/*/README.md"))]
ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]+)`( \(publishconf\))? \| (.*?) \| .* \|$")
# Defaults the tables give in words, and what the words mean.
IN_WORDS = {
    "12 sections": lambda value: len(value) == 12,
    "see `pelicanconf.py`": bool,
    "region, source, story": lambda value: list(value) == ["region", "source", "story"],
    "header red, footer ink": lambda value: value["background"] == "#9b1c1c",
    "Noto Sans Bold and Regular": lambda value: "NotoSans-Bold" in value["bold"],
    "region (`parent`, `members`), source (`also: cites`), story (plural `stories`)": (
        lambda value: (
            value["region"]["members"] == "members"
            and value["source"]["also"] == "cites"
            and value["story"]["plural"] == "stories"
        )
    ),
}


def _settings(file: str | None) -> dict:
    """Pelican's defaults, the plugins' defaults, then ``file``'s settings:
    what a build of the repository starts from (``None``: what a site that
    sets nothing gets, as a plugin's README states it)."""
    settings = dict(DEFAULT_CONFIG)
    for module, name in DEFAULT_TABLES:
        settings.update(getattr(import_module(module), name))
    if file:
        settings.update(get_settings_from_file(str(PROJECT / file)))
    return settings


def _rows() -> list[tuple[str, str, str, str]]:
    """(readme, setting, 'publishconf' or '', default cell) of every row of
    every settings table."""
    rows = []
    for readme in READMES:
        inside = False
        for line in readme.read_text(encoding="utf-8").splitlines():
            if line.startswith("| setting | default |"):
                inside = True
            elif not line.startswith("|"):
                inside = False
            elif inside and (match := ROW.match(line)):
                name, publish, default = match.groups()
                where = "publishconf" if publish else ""
                rows.append(
                    (readme.relative_to(PROJECT).as_posix(), name, where, default)
                )
    return rows


def _literal(cell: str):
    """The first value in backquotes (or the cell) as Python reads it; a
    word that is no Python literal stays text."""
    found = re.match(r"`([^`]*)`", cell)
    text = found.group(1) if found else cell
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _same(stated, actual) -> bool:
    if isinstance(stated, (list, tuple)) and isinstance(actual, (list, tuple)):
        return list(stated) == list(actual)
    return stated == actual


ROWS = _rows()


def test_the_readmes_have_settings_tables():
    named = {name for _, name, _, _ in ROWS}
    assert len(ROWS) > 60, ROWS  # every plugin README and the README's two tables
    assert {"KILAS_CATEGORIES", "SEARCH_SHARD_ITEMS", "KILAS_IMAGES_WIDTHS"} <= named


@pytest.mark.parametrize(
    ("readme", "name", "where", "cell"), ROWS, ids=[f"{r[0]}:{r[1]}" for r in ROWS]
)
def test_every_setting_a_table_names_is_real_with_that_default(
    readme, name, where, cell
):
    site = _settings("publishconf.py" if where else "pelicanconf.py")
    assert name in site, f"{readme}: {name} is no setting of a build"
    # The README states the repository's settings; a plugin's README what
    # the plugin gives a site that sets nothing ("(none)": the site must).
    settings = site if readme == "README.md" else _settings(None)
    if cell.startswith("(none"):
        assert name not in settings, f"{readme}: {name} has a default"
        return
    value = settings.get(name)
    if cell in IN_WORDS:
        assert IN_WORDS[cell](value), f"{readme}: {name} is {value!r}, not {cell}"
        return
    stated = _literal(cell)
    assert _same(stated, value), f"{readme}: {name} is {value!r}; the table says {cell}"
    publish = re.search(r"\(publishconf: `([^`]*)`\)", cell)
    if publish:
        value = _settings("publishconf.py")[name]
        assert _same(ast.literal_eval(publish.group(1)), value), (readme, name, value)


def test_search_sends_readers_without_javascript_to_the_timeline_where_it_is(
    project: Path, tmp_path: Path
):
    """SEARCH_BROWSE_URL's default is the timeline's address (TIMELINE_URL),
    wherever the site puts the timeline."""
    with (project / "pelicanconf.py").open("a", encoding="utf-8") as conf:
        conf.write('\nTIMELINE_URL = "arsip/"\nTIMELINE_SAVE_AS = "arsip/index.html"\n')
    output = tmp_path / "output"
    result = run_build("--output", str(output), "--check", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (output / "arsip" / "index.html").is_file()
    links = page(output, "cari").xpath("//main//noscript//a/@href | //main//p/a/@href")
    assert "/arsip/" in links, links
    assert "/linimasa/" not in links, links
