"""Incremental builds: same bytes as a clean build, and only changed pages
are rendered again. Figures of speed come from `invoke bench`, not from here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_build, snapshot

from kilas.bench import write_corpus
from kilas.build import BuildFailed, build, cache_dir

ITEMS = 200  # above the thresholds for the render pool and forked writing


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    write_corpus(root, ITEMS, items="items")
    return root / "content"


def _stats(content: Path, output: Path) -> dict:
    return build(content=content, output=output)["KILAS_STATS"]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_incremental_build_equals_clean_build(corpus, tmp_path):
    output = tmp_path / "incremental" / "output"
    first = _stats(corpus, output)
    assert first["items"] == ITEMS
    assert first["rendered"] == first["pages"] > ITEMS

    noop = _stats(corpus, output)
    assert noop["rendered"] == 0
    assert noop["copied"] == 0

    items = sorted(corpus.rglob("*.md"))
    _edit(items[3], "\n\n", "\n\nKalimat baru di awal isi.\n\n")
    body = _stats(corpus, output)
    page = f"{items[3].parent.parent.name}/{items[3].parent.name}/{items[3].stem}/index.html"
    assert page in body["rendered_pages"]
    others = set(body["rendered_pages"]) - {page}
    assert all(name.endswith(".atom.xml") for name in others), others

    _edit(items[7], "Title: ", "Title: Diperbarui: ")
    _stats(corpus, output)

    clean = tmp_path / "clean" / "output"
    _stats(corpus, clean)
    assert _ordered(snapshot(output)) == _ordered(snapshot(clean))


def _ordered(files: dict[str, bytes]) -> dict:
    """What two builds of the same pages must share byte for byte.

    Pagefind's bundle is not byte-stable between two runs on the same pages
    (its filter index, the order inside its files and so their hashed names,
    sometimes even the UI assets it bundles, vary from run to run), so the
    bundle is compared by what it indexes: the pages it was made from are
    compared byte for byte, and the bundle must index the same number of them.
    """
    shared = {n: d for n, d in files.items() if not n.startswith("pagefind/")}
    for name, data in files.items():
        if name.startswith("pagefind/") and name.endswith("/pagefind-entry.json"):
            languages = json.loads(data)["languages"]
            shared[f"{name} pages"] = sum(v["page_count"] for v in languages.values())
    return shared


def test_failed_build_then_fixed_build_is_complete(corpus, tmp_path):
    output = tmp_path / "output"
    _stats(corpus, output)
    before = snapshot(output)
    item = sorted(corpus.rglob("*.md"))[11]
    good = item.read_text(encoding="utf-8")
    try:
        item.write_text(
            good.replace("Region: ", "Region: Atlantis; "), encoding="utf-8"
        )
        with pytest.raises(BuildFailed):
            build(content=corpus, output=output)
        assert snapshot(output) == before
        # A failed build that had written pages forgets their keys: all re-render.
        (cache_dir(output) / "staging" / "index.html").write_text("half-written")
        (cache_dir(output) / "pages.json").unlink()
    finally:
        item.write_text(good, encoding="utf-8")
    assert _stats(corpus, output)["rendered"] > ITEMS
    assert snapshot(output) == before


def test_no_progress_bar_when_not_a_terminal(corpus, tmp_path):
    result = run_build("--content", str(corpus), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "200 items" in result.stdout


def test_failure_while_writing_leaves_output_untouched(project, tmp_path):
    """output/ shares files with the staging folder: a build that fails after
    rewriting pages and the stylesheet must still leave output/ as it was."""
    output = tmp_path / "output"
    assert run_build("--output", str(output), cwd=project).returncode == 0
    before = snapshot(output)
    item = next((project / "content/items").rglob("banjir-hancurkan-4000-rumah.md"))
    item.write_text(
        item.read_text(encoding="utf-8") + "\nKalimat baru di akhir isi butir.\n"
    )
    css = project / "theme/static/css/kilas.css"
    css.write_text(css.read_text(encoding="utf-8") + "\nbody { color: red }\n")
    template = project / "theme/templates/page.html"
    template.write_text("{{ page.missing.attribute }}", encoding="utf-8")
    result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 1
    assert snapshot(output) == before
    page = "2024/08/banjir-hancurkan-4000-rumah/index.html"
    staged = (cache_dir(output) / "staging" / page).read_text(encoding="utf-8")
    assert "Kalimat baru di" in staged  # rewritten in staging before the failure
    assert "Kalimat baru di" not in (output / page).read_text(encoding="utf-8")
