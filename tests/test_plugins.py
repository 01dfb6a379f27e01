"""The plugins as a whole: every one listed in PLUGINS (in an order that
works), documented, with one owner for each name it gives the templates."""

from __future__ import annotations

import importlib
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import PROJECT
from jinja2 import Environment
from pelican import signals
from pelican.generators import Generator

from kilas.build import load_settings
from kilas.incremental import KilasPelican

PLUGINS = PROJECT / "plugins"
# Folders of plugins/ that are libraries the plugins import, not plugins.
LIBRARIES = {"kilas_render", "kilas_settings"}
KINDS = ("filters", "globals", "tests")


def _folders() -> list[Path]:
    return sorted(p for p in PLUGINS.iterdir() if (p / "__init__.py").is_file())


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> dict:
    output = tmp_path_factory.mktemp("plugins") / "output"
    return load_settings(PROJECT / "pelicanconf.py", output=output)


def registrations(settings: dict) -> dict[tuple[str, str], set[str]]:
    """(kind, name) -> the plugins whose ``generator_init`` receivers put that
    filter, global or test into a generator's Jinja environment. Each
    receiver is given a fresh environment of its own, so a name two plugins
    register is seen twice whichever runs last."""
    KilasPelican(settings, check_only=True)  # loads and registers PLUGINS
    generator = Generator(
        context=settings.copy(),
        settings=settings,
        path=settings["PATH"],
        theme=settings["THEME"],
        output_path=settings["OUTPUT_PATH"],
    )
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for receiver in signals.generator_init.receivers_for(generator):
        plugin = receiver.__module__.split(".")[0]
        generator.env = Environment()
        before = {kind: set(getattr(generator.env, kind)) for kind in KINDS}
        receiver(generator)
        for kind in KINDS:
            for name in set(getattr(generator.env, kind)) - before[kind]:
                owners[kind, name].add(plugin)
    return owners


def test_every_filter_global_and_test_has_one_owner(settings):
    owners = registrations(settings)
    assert ("filters", "by_day") in owners  # the templates' names are seen
    assert ("globals", "jsonld_script") in owners
    shared = {key: sorted(names) for key, names in owners.items() if len(names) > 1}
    assert shared == {}


def test_a_name_two_plugins_register_is_found(settings):
    def register_by_day(generator):
        generator.env.filters["by_day"] = list

    register_by_day.__module__ = "kilas_other.kilas_other"
    signals.generator_init.connect(register_by_day)
    try:
        owners = registrations(settings)
    finally:
        signals.generator_init.disconnect(register_by_day)
    assert owners["filters", "by_day"] == {"kilas_timeline", "kilas_other"}


def test_plugins_lists_every_plugin_in_an_order_that_works(settings):
    listed = list(settings["PLUGINS"])
    folders = {p.name for p in _folders()} - LIBRARIES
    assert sorted(listed) == sorted(folders)
    # kilas_seo's JSON-LD reads the photos and cards kilas_images gives items;
    # kilas_i18n's date filters exist before kilas_images draws card dates.
    assert listed.index("kilas_images") < listed.index("kilas_seo")
    assert listed.index("kilas_i18n") < listed.index("kilas_images")


@pytest.mark.parametrize("folder", _folders(), ids=lambda p: p.name)
def test_every_plugin_has_a_readme_naming_each_of_its_settings(folder: Path):
    readme = folder / "README.md"
    assert readme.is_file(), f"{folder.name} has no README.md"
    text = readme.read_text(encoding="utf-8")
    if folder.name in LIBRARIES:
        module = importlib.import_module(folder.name)
    else:
        module = importlib.import_module(f"{folder.name}.{folder.name}")
        assert "## Signals" in text
    assert "## Tests" in text
    defaults = getattr(module, "DEFAULTS", None) or getattr(
        module, "SEARCH_DEFAULTS", {}
    )
    missing = [key for key in defaults if f"`{key}`" not in text]
    assert missing == [], f"{folder.name}/README.md does not document {missing}"
