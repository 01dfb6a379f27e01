"""Incremental builds: same bytes as a clean build, and only changed pages
are rendered again. Figures of speed come from `invoke bench`, not from here."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT, copy_project, run_build, snapshot
from pelican.plugins import signals

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
    Share cards (PNG) are compared byte for byte like every other file.
    """
    shared = {n: d for n, d in files.items() if not n.startswith("pagefind/")}
    for name, data in files.items():
        if name.startswith("pagefind/") and name.endswith("/pagefind-entry.json"):
            languages = json.loads(data)["languages"]
            shared[f"{name} pages"] = sum(v["page_count"] for v in languages.values())
    return shared


def test_a_retitle_renders_only_the_list_pages_that_show_the_item(corpus, tmp_path):
    """A region's pages each read the region (its name, its count) and show
    ten items: a retitled item rendered every page of each region it is in
    again, unchanged but its own (and the pages beside it, which link to
    it). The region's items are digested by their addresses unless a page
    reads them (the record of what it read says so)."""
    content, output = tmp_path / "content", tmp_path / "output"
    shutil.copytree(corpus, content)
    _stats(content, output)
    regions = output / "wilayah"
    busiest = max(
        (folder for folder in regions.iterdir() if folder.is_dir()),
        key=lambda folder: len(list(folder.rglob("index.html"))),
    )
    pages = sorted(busiest.rglob("index.html"))
    assert len(pages) >= 4, pages
    first = (busiest / "index.html").read_text(encoding="utf-8")
    link = re.search(r'class="digest-title"><a href="/(\d{4}/\d\d/([^/"]+)/)"', first)
    (item,) = content.rglob(f"{link[2]}.md")
    _edit(item, "Title: ", "Title: Diperbarui: ")
    stats = _stats(content, output)
    shown = {
        p.relative_to(output).as_posix()
        for p in pages
        if "Diperbarui" in p.read_text(encoding="utf-8")
    }
    beside = {f"wilayah/{busiest.name}/halaman/2/index.html"}
    rendered = {
        p for p in stats["rendered_pages"] if p.startswith(f"wilayah/{busiest.name}/")
    }
    assert shown and rendered <= shown | beside, sorted(rendered - shown)


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
        (cache_dir(output) / "pages.marshal").unlink()
    finally:
        item.write_text(good, encoding="utf-8")
    assert _stats(corpus, output)["rendered"] > ITEMS
    assert snapshot(output) == before


def test_a_failed_builds_new_folder_is_not_published_empty(corpus, tmp_path):
    """A build that failed while writing left a new page in the staging
    folder: the next build drops the file and its folder. Published empty,
    the folder made output/ differ from a clean build, and from the record,
    so that no later build took the no-change shortcut."""
    output = tmp_path / "output"
    _stats(corpus, output)
    stray = cache_dir(output) / "staging" / "2024" / "08" / "gagal" / "index.html"
    stray.parent.mkdir(parents=True)
    stray.write_text("<p>half-written</p>", encoding="utf-8")
    _stats(corpus, output)
    assert not (output / "2024" / "08" / "gagal").exists()
    assert not [p for p in output.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert _stats(corpus, output).get("unchanged") is True


def test_time_passing_renders_only_what_it_changes(corpus, tmp_path):
    """Two builds hours apart, with an item scheduled for later: a body
    edit renders its own pages only (the build's "now" once reached every
    page's key through the list of what is held back)."""
    content = tmp_path / "content"
    shutil.copytree(corpus, content)
    items = sorted(content.rglob("*.md"))
    later = items[0].read_text(encoding="utf-8")
    later = re.sub(r"(?m)^Date: .*$", "Date: 2100-01-01 10:00", later, count=1)
    (items[0].parent / "nanti.md").write_text(later, encoding="utf-8")
    output = tmp_path / "output"

    def stats(now: str) -> dict:
        settings = build(content=content, output=output, extra={"KILAS_NOW": now})
        return settings["KILAS_STATS"]

    stats("2099-01-01T10:00+07:00")
    assert stats("2099-01-01T13:30+07:00")["rendered"] == 0
    _edit(items[7], "\n\n", "\n\nKalimat baru di awal isi.\n\n")
    assert 0 < stats("2099-01-01T17:45+07:00")["rendered"] <= 10


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


def _heard_pages(corpus: Path, output: Path) -> tuple[dict, list]:
    """A build with a plugin listening to content_written: the build's stats
    and what it heard (path, output_file, page number, file there then)."""
    heard = []

    def written(path, context):
        page = context.get("articles_page")
        number = page.number if page is not None else None
        heard.append((path, context["output_file"], number, os.path.isfile(path)))

    signals.content_written.connect(written)
    try:
        stats = _stats(corpus, output)
    finally:
        signals.content_written.disconnect(written)
    return stats, heard


def test_content_written_fires_for_every_page(corpus, tmp_path):
    """Plugins that act on every page (sitemaps, minifiers) hear of every page
    a build makes, written by this process or a forked one, or kept from the
    last build: once each, once its file is on disk, with its own variables
    (``output_file``, its page of a paginated list)."""
    content = tmp_path / "content"
    shutil.copytree(corpus, content)
    output = tmp_path / "output"
    staging = cache_dir(output) / "staging"
    item = sorted(content.rglob("*.md"))[5]
    for change in ("clean", "body", "title"):
        if change == "body":
            _edit(item, "\n\n", "\n\nKalimat tambahan di awal isi.\n\n")
        elif change == "title":
            _edit(item, "Title: ", "Title: Diperbarui: ")
        stats, heard = _heard_pages(content, output)
        pages = {
            str(path.relative_to(staging))
            for path in staging.rglob("*.html")
            if path.relative_to(staging).parts[0] != "pagefind"
        }
        names = [name for _, name, _, _ in heard]
        assert sorted(names) == sorted(pages), change  # every page, each once
        assert all(path == str(staging / name) for path, name, _, _ in heard)
        assert all(there for *_, there in heard), change
        numbered = [(name, n) for _, name, n, _ in heard if n is not None]
        assert any(n > 1 for _, n in numbered)
        # The page of a list a page shows is the page written there.
        assert all(
            name.endswith(f"halaman/{n}/index.html")
            if n > 1
            else "halaman/" not in name
            for name, n in numbered
        ), numbered
        if change == "clean":  # every page rendered, by two processes
            assert stats["rendered"] == stats["pages"]
        else:  # most pages kept; the rest rendered by two processes
            assert 0 < stats["rendered"] < len(pages) // 10, stats["rendered"]


# -- every kind of change renders the pages that show it, and no others --------
KINDS_ITEMS = 40


def _items(project: Path) -> list[Path]:
    return sorted((project / "content" / "items").rglob("*.md"))


def _set_header(path: Path, field: str, value: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed = re.sub(rf"^{field}: .*$", f"{field}: {value}", text, count=1, flags=re.M)
    assert changed != text
    path.write_text(changed, encoding="utf-8")


def _body(project):
    _edit(_items(project)[3], "\n\n", "\n\nKalimat baru di awal isi.\n\n")


def _title(project):
    _edit(_items(project)[7], "Title: ", "Title: Diperbarui: ")


def _summary(project):
    _edit(_items(project)[11], "Summary: ", "Summary: Ringkasan yang diperbarui. ")


def _region(project):
    _set_header(_items(project)[15], "Region", "Jepang; Brasil")


def _date(project):
    # To another month (the URL follows the date): its month pages, lists
    # and neighbours change.
    item = _items(project)[19]
    when = re.search(r"^Date: (\d{4})-(\d{2})", item.read_text(), re.M)
    month = "03" if when.group(2) != "03" else "04"
    _set_header(item, "Date", f"{when.group(1)}-{month}-15 09:00")


def _oldest(project):
    # The site's oldest item a year earlier: feeds that do not list it read
    # the site's first day for their ids (a build without SITEURL).
    dated = [
        (re.search(r"^Date: (.*)$", path.read_text(), re.M).group(1), path)
        for path in _items(project)
    ]
    when, item = min(dated)
    _set_header(item, "Date", f"{int(when[:4]) - 1}{when[4:]}")


def _new(project):
    text = _items(project)[23].read_text(encoding="utf-8")
    folder = project / "content" / "items" / "2024" / "12"
    folder.mkdir(parents=True, exist_ok=True)
    item = folder / "butir-terbaru-hari-ini.md"
    item.write_text(text, encoding="utf-8")
    _set_header(item, "Title", "Butir Terbaru Hari Ini")
    _set_header(item, "Date", "2024-12-31 23:30")


def _delete(project):
    _items(project)[27].unlink()


def _rename(project):
    item = _items(project)[31]
    item.rename(item.with_name(f"nama-baru-{item.name}"))


def _template(project):
    # A partial only period pages use (previous and next period).
    _edit(
        project / "theme/templates/partials/period_nav.html",
        'class="period-nav"',
        'class="period-nav" data-kind="{{ period.kind }}"',
    )


def _settings(project):
    # A setting one page reads: the days listed on the home page.
    with (project / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write("\nTIMELINE_HOME_DAYS = 3\n")


def _page_url(project):
    # A URL pattern read while pages render (a page's URL, in every page's
    # menu) and then kept for the build: every page showing it changes.
    with (project / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write('\nPAGE_URL = "{slug}/index.html"\n')


def _entry_template(project):
    # The list entry, rendered once per item and shown by many pages.
    _edit(
        project / "theme/templates/partials/digest_item_body.html",
        "{#",
        '<span hidden data-entry="1"></span>{#',
    )


def _site_build(project: Path, output: Path) -> dict:
    return build(settings_file=project / "pelicanconf.py", output=output)["KILAS_STATS"]


def _pages(site: Path) -> dict[str, bytes]:
    """The files Pelican's writer makes (pages and feeds)."""
    return {
        name: data
        for name, data in snapshot(site).items()
        if name.endswith((".html", ".xml"))
        and not name.startswith("pagefind/")
        and name not in ("sitemap.xml", "news-sitemap.xml")
    }


@pytest.fixture(scope="module")
def kinds_site(tmp_path_factory):
    """A project copy with a 40-item corpus, built once and kept aside; each
    kind of change starts from it again, at the same paths."""
    root = tmp_path_factory.mktemp("kinds")
    project = copy_project(root / "site")
    shutil.rmtree(project / "content")
    write_corpus(project, KINDS_ITEMS, items="items")
    # The about page: in every page's menu (MENU_PAGES).
    shutil.copytree(PROJECT / "content" / "pages", project / "content" / "pages")
    first = _site_build(project, project / "output")
    assert first["rendered"] == first["pages"]
    assert first["unkeyable"] == []
    again = _site_build(project, project / "output")  # nothing changed
    assert again["rendered"] == 0, again["rendered_pages"][:20]
    pristine = root / "pristine"
    shutil.copytree(project, pristine, symlinks=True)
    return project, pristine


@pytest.mark.parametrize(
    "change",
    [
        _body,
        _title,
        _summary,
        _region,
        _date,
        _oldest,
        _new,
        _delete,
        _rename,
        _template,
        _settings,
        _page_url,
        _entry_template,
    ],
)
def test_each_kind_of_change_renders_the_pages_it_changes(kinds_site, change):
    """Rendered pages at most twice the pages whose bytes changed, plus 10;
    the result equals a clean build byte for byte."""
    project, pristine = kinds_site
    shutil.rmtree(project)
    shutil.copytree(pristine, project, symlinks=True)
    output = project / "output"
    before = _pages(output)
    change(project)
    stats = _site_build(project, output)
    after = _pages(output)
    changed = sorted(name for name in after if before.get(name) != after[name])
    print(
        f"{change.__name__.strip('_')}: {stats['rendered']} pages rendered,"
        f" {len(changed)} changed, of {stats['pages']}"
    )
    assert changed
    assert stats["rendered"] <= 2 * len(changed) + 10, sorted(
        set(stats["rendered_pages"]) - set(changed)
    )[:20]
    clean = project / "clean" / "output"
    _site_build(project, clean)
    built, made = _ordered(snapshot(output)), _ordered(snapshot(clean))
    assert built == made, sorted(
        n for n in {*built, *made} if built.get(n) != made.get(n)
    )
