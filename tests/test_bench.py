"""kilas.bench: the synthetic corpus, the measuring runner and stock Pelican."""

from __future__ import annotations

import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from lxml import html

from kilas import bench

REQUIRED = ("Title", "Date", "Category", "Region", "Source", "Tags", "Summary")
OPTIONAL = ("Cites", "Story")


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file()
    }


def _parse(path: Path) -> tuple[dict[str, str], str]:
    head, body = path.read_text(encoding="utf-8").split("\n\n", 1)
    fields = dict(line.split(": ", 1) for line in head.splitlines())
    return fields, body


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    bench.write_corpus(root, 150)
    return root / "content"


def test_corpus_is_deterministic(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        bench.write_corpus(tmp_path / name, 30, seed=seed)
    first = _tree(tmp_path / "a")
    assert len(first) == 31
    assert first == _tree(tmp_path / "b")
    assert first != _tree(tmp_path / "c")
    with pytest.raises(FileExistsError):
        bench.write_corpus(tmp_path / "a", 30, seed=7)


def test_corpus_counts(corpus: Path) -> None:
    items = sorted(corpus.rglob("*.md"))
    assert len(items) == 150
    parsed = [_parse(p)[0] for p in items]
    assert {f["Category"] for f in parsed} == set(bench.CATEGORIES) and len(
        bench.CATEGORIES
    ) == 12
    regions = {r for f in parsed for r in f["Region"].split("; ")}
    assert regions <= set(bench.REGIONS) and len(set(bench.REGIONS)) == 40
    assert all(re.fullmatch(r"[A-Z]{2}", r) for r in bench.REGIONS)
    stories = Counter(f["Story"] for f in parsed if "Story" in f)
    assert len(set(bench.STORIES)) == 30 and set(stories) <= set(bench.STORIES)
    assert 0.15 < sum(stories.values()) / len(items) < 0.45
    assert len({f["Title"] for f in parsed}) == len({p.stem for p in items}) == 150
    years = Counter(f["Date"][:4] for f in parsed)
    assert set(years) == {"2022", "2023", "2024"}

    sources = yaml.safe_load((corpus / "sources.yaml").read_text(encoding="utf-8"))[
        "sources"
    ]
    assert len(sources) == 25 and len({s["name"] for s in sources}) == 25
    for s in sources:
        assert set(s) == {"name", "aliases", "homepage", "kind", "country", "language"}
        assert s["kind"] in {"outlet", "agency", "government", "ngo", "other"}
        assert s["homepage"].startswith("https://") and isinstance(s["aliases"], list)


def test_every_item_is_valid(corpus: Path) -> None:
    names = {
        s["name"]
        for s in yaml.safe_load((corpus / "sources.yaml").read_text())["sources"]
    }
    for path in corpus.rglob("*.md"):
        fields, body = _parse(path)
        assert set(REQUIRED) <= set(fields) <= set(REQUIRED + OPTIONAL), path
        assert all(v.strip() == v and v for v in fields.values()), path
        assert bench.slugify(fields["Title"]) == path.stem
        when = datetime.strptime(fields["Date"], "%Y-%m-%d %H:%M")
        assert datetime(2022, 1, 1) <= when < datetime(2025, 1, 1)
        assert path.parent.relative_to(corpus).as_posix() == f"{when:%Y/%m}"
        assert fields["Category"] in bench.CATEGORIES
        regions = fields["Region"].split("; ")
        assert 1 <= len(regions) <= 3 and len(set(regions)) == len(regions)
        assert fields["Source"] in names
        cites = fields["Cites"].split("; ") if "Cites" in fields else []
        assert len(cites) <= 2 and set(cites) <= names - {fields["Source"]}
        assert 2 <= len(fields["Tags"].split(", ")) <= 4
        summary = fields["Summary"]
        assert 20 <= len(summary.split()) <= 40 and summary.count(".") == 1
        assert summary.endswith(".")
        assert 400 <= bench.word_count(body) <= 700, path
        assert re.search(r"^- ", body, re.MULTILINE) and re.search(
            r"^1\. ", body, re.MULTILINE
        )
        assert "](https://contoh.id/" in body and " -- " in body
        assert body.count("\n\n") >= 5


def test_corpus_markdown_features(corpus: Path) -> None:
    bodies = [_parse(p)[1] for p in corpus.rglob("*.md")]
    assert any("\n## " in b for b in bodies) and not all("\n## " in b for b in bodies)
    assert all('"' in b for b in bodies) and any(
        re.search(r" '\w[^']*'", b) for b in bodies
    )


def test_run_command_measures_the_child(tmp_path: Path) -> None:
    grab = "x = bytearray(80 * 2**20); x[::4096] = b'1' * len(x[::4096])"
    run = bench.run_command([sys.executable, "-c", grab], tmp_path)
    assert run.seconds > 0 and run.peak_mib >= 80
    with pytest.raises(RuntimeError, match="exit 3"):
        bench.run_command([sys.executable, "-c", "import sys; sys.exit(3)"], tmp_path)


def test_stock_pelican_builds_corpus(tmp_path: Path) -> None:
    bench.write_corpus(tmp_path, 20)
    run = bench.run_stock_pelican(tmp_path / "content", tmp_path / "out")
    assert run.seconds > 0 and run.peak_mib > 10
    slugs = {p.stem for p in (tmp_path / "content").rglob("*.md")}
    pages = {p.stem for p in (tmp_path / "out").glob("*.html")}
    assert len(slugs) == 20 and slugs <= pages
    assert pages - slugs <= {"index", "archives", "authors", "categories", "tags"}
    assert list((tmp_path / "out" / "posts").glob("20??/index.html"))
    assert (tmp_path / "out" / "feeds" / "all.atom.xml").is_file()


def test_bench_smoke_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The whole bench at N = 20 with the real Kilas build and stock Pelican."""
    project = Path(__file__).resolve().parent.parent
    result = bench.bench(20, project, tmp_path / "work")
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    f = r"\d+\.\d\d"
    assert re.fullmatch(
        rf"bench articles=20 kilas_full_s={f} kilas_edit_s={f} kilas_add_s={f} "
        rf"kilas_retitle_s={f} kilas_delete_s={f} kilas_noop_s={f} kilas_live_s={f} "
        rf"pelican_full_s={f} full_ratio={f} edit_ratio={f} add_ratio={f} "
        rf"retitle_ratio={f} delete_ratio={f} noop_ratio={f} live_s={f} peak_mib={f}",
        last,
    ), last
    for name in ("full", "edit", "add", "retitle", "delete", "noop"):
        assert result[f"{name}_ratio"] == pytest.approx(
            result[f"kilas_{name}_s"] / result["pelican_full_s"]
        )
    assert result["live_s"] == result["kilas_live_s"] > 0
    assert "all processes together" in out
    # Every change went live: the new item has its page, the retitled one its
    # new headline, the deleted one no page, the livereload save its text.
    site = tmp_path / "work" / "kilas-out"
    items = tmp_path / "work" / "corpus" / "content" / "items"
    assert list(site.rglob("berita-terbaru-sore-ini/index.html"))
    pages = {p.parent.name: p for p in site.glob("20*/*/*/index.html")}
    assert len(pages) == len(list(items.rglob("*.md"))) == 20
    headlines = [html.parse(str(p)).xpath("string(//h1)") for p in pages.values()]
    assert sum(h.startswith("Diperbarui:") for h in headlines) == 1, headlines
    assert {p.stem for p in items.rglob("*.md")} == set(pages)
    live = [p for p in pages.values() if "Simpan langsung" in p.read_text("utf-8")]
    assert len(live) == 1
    # The edit went live: the edited item's page carries the added sentence.
    edited = [
        page
        for page in site.rglob("index.html")
        if "redaksi menambahkan satu kalimat" in page.read_text(encoding="utf-8")
    ]
    assert len(edited) == 1 and edited[0].parent.parent.parent.parent == site
    assert list((site / "pagefind").glob("*/pagefind-entry.json"))
