"""The Pelican functions Kilas copies, overrides or reads into are the ones
it was ported to (kilas/pelican_coupling.py, UPSTREAM): a Pelican upgrade
that changes one fails here, naming it."""

from __future__ import annotations

import ast
import inspect
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import pytest
from pelican import Pelican
from pelican.generators import ArticlesGenerator
from pelican.utils import process_translations
from pelican.writers import Writer

from kilas import pelican_coupling
from kilas.incremental import KilasPelican, KilasWriter
from kilas.pelican_coupling import UPSTREAM, upstream_hash

GUIDE = "docs/architecture.md, 'Upgrading Pelican'"


@pytest.mark.parametrize("name", sorted(UPSTREAM))
def test_each_pinned_upstream_function_is_unchanged(name):
    pinned, use = UPSTREAM[name]
    found = upstream_hash(name)
    assert found == pinned, (
        f"Pelican's {name} changed (pelican {version('pelican')}; hash {found},"
        f" pinned {pinned} from pelican {pelican_coupling.PELICAN_VERSION})."
        f" Kilas depends on it: {use}. Re-port: compare the new {name} with the"
        f" copy or override in kilas/pelican_coupling.py, port the change, run"
        f" tests/test_stock_pelican.py, then pin the new hash in UPSTREAM ({GUIDE})."
    )


@pytest.mark.parametrize(
    ("ours", "base"),
    [
        (KilasPelican, Pelican),
        (KilasWriter, Writer),
        (pelican_coupling.KilasArticlesGenerator, ArticlesGenerator),
    ],
    ids=lambda cls: cls.__name__,
)
def test_every_override_of_pelican_is_pinned(ours, base):
    """A method Kilas defines over one of Pelican's is pinned (so a new
    override cannot slip in unguarded)."""
    pinned = {name.rsplit(".", 1)[1] for name in UPSTREAM}
    overridden = [
        name
        for cls in ours.__mro__
        if cls.__module__.startswith("kilas.")
        for name in vars(cls)
        if not name.startswith("__") and hasattr(base, name)
    ]
    assert overridden, f"{ours.__name__} overrides nothing of {base.__name__}"
    unpinned = sorted(set(overridden) - pinned)
    assert unpinned == [], f"{ours.__name__} overrides unpinned {unpinned}"


# What kilas/ may take from Pelican outside the coupling module: public API.
PUBLIC = {
    "pelican.plugins.signals",
    "pelican.settings.read_settings",
    "pelican.utils.slugify",
    "pelican.utils.sanitised_join",
    "pelican.generators.StaticGenerator",  # isinstance only
    # kilas/records.py tells an item, a paginator and a term from other values
    "pelican.contents.Content",  # isinstance only
    "pelican.paginator.Paginator",  # isinstance only, and its public count
    "pelican.urlwrappers.URLWrapper",  # isinstance only, and its name and slug
}


def test_only_the_coupling_module_imports_pelicans_internals():
    """Outside kilas/pelican_coupling.py, kilas/ imports only public names of
    Pelican (no class to subclass or patch)."""
    kilas = Path(pelican_coupling.__file__).parent
    found = {}
    for path in sorted(kilas.glob("*.py")):
        if path.name == "pelican_coupling.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "pelican"
            ):
                for alias in node.names:
                    found[f"{node.module}.{alias.name}"] = path.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "pelican":
                        found[alias.name] = path.name
    assert "pelican.plugins.signals" in found  # the check reads imports
    assert {k: v for k, v in found.items() if k not in PUBLIC} == {}
    assert inspect.getsourcefile(KilasWriter._open_w) == pelican_coupling.__file__


def test_linear_process_translations_gives_pelicans_result():
    """Kilas' copy of process_translations finds the same originals and
    translations, in the same order, with the same ``translations`` lists,
    as Pelican's (which scans a list per item)."""

    def items():
        made = []
        for n in range(60):
            # Pairs share a slug (an item and its translation), in a mixed
            # order; some say which one is the translation, some are alone.
            slug = f"butir-{(n * 7) % 60 // 2 if n < 50 else n}"
            lang = "en" if n % 2 else "id"
            fields = {"slug": slug, "lang": lang, "source_path": f"{n}.md"}
            if n % 5 == 0:
                fields["translation"] = "true"
            made.append(
                SimpleNamespace(
                    **fields, metadata=dict(fields), in_default_lang=lang == "id"
                )
            )
        return made

    def shape(result):
        index, translations = result
        paths = lambda group: [x.source_path for x in group]  # noqa: E731
        return (
            paths(index),
            paths(translations),
            {x.source_path: paths(x.translations) for x in index + translations},
        )

    theirs = shape(process_translations(items(), translation_id="slug"))
    ours = shape(pelican_coupling.process_translations(items(), "slug"))
    assert ours == theirs
    assert theirs[1], "the case holds translations"
    assert pelican_coupling.process_translations(items(), None)[1] == []


@pytest.mark.parametrize(
    "cacher", [pelican_coupling.KilasArticlesGenerator, pelican_coupling.KilasReaders]
)
def test_pelicans_content_cache_is_skipped_only_when_it_is_off(cacher):
    """With CACHE_CONTENT off (Kilas' setting) the articles generator and its
    readers stat no file for Pelican's content cache; with it on, the cache
    works."""
    generator = object.__new__(cacher)
    stamped = []
    generator.path = "content"
    generator._filestamp_func = lambda name: stamped.append(name) or 1.0
    generator._cache, generator._cache_data_policy = {}, False
    generator.cache_data("a.md", "item")
    assert generator.get_cached_data("a.md", "none") == "none"
    assert stamped == []
    generator._cache_data_policy = True
    generator.cache_data("a.md", "item")
    assert generator.get_cached_data("a.md", "none") == "item"
    # The generator stamps files under its content path, the readers the
    # paths they are given (absolute in a build).
    assert len(stamped) == 2 and {n.rpartition("/")[2] for n in stamped} == {"a.md"}
