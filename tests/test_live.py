"""``invoke livereload`` keeps the site in memory: a save that changes only
bodies is rendered from memory, anything else builds the site again; either
way ``output/`` then equals a clean build of the same files. (Its speed is
measured by ``invoke bench``: ``live_s``; the bench's smoke test runs the
server itself, as a browser sees it.)"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import copy_project, snapshot
from test_incremental import _ordered

from kilas.bench import free_port, write_corpus
from kilas.build import BuildFailed, build
from kilas.live import LiveSite, watch

ITEMS = 40
PAGES = Path(__file__).resolve().parent.parent / "content" / "pages"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A project copy with a 40-item corpus, built once; each test starts
    from a copy of it."""
    root = tmp_path_factory.mktemp("live")
    project = copy_project(root / "site")
    shutil.rmtree(project / "content")
    write_corpus(project, ITEMS, items="items")
    shutil.copytree(PAGES, project / "content" / "pages")
    build(settings_file=project / "pelicanconf.py", output=project / "output")
    return project


@pytest.fixture
def live(pristine, tmp_path):
    project = tmp_path / "site"
    shutil.copytree(pristine, project, symlinks=True)
    site = LiveSite(project / "pelicanconf.py", output=project / "output")
    site.build()
    yield project, site
    site.close()


def _items(project: Path) -> list[Path]:
    return sorted((project / "content" / "items").rglob("*.md"))


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n{text}\n")


def _same_as_clean(project: Path) -> None:
    clean = project / "clean"
    build(settings_file=project / "pelicanconf.py", output=clean)
    built, made = _ordered(snapshot(project / "output")), _ordered(snapshot(clean))
    assert built == made, sorted(
        n for n in {*built, *made} if built.get(n) != made.get(n)
    )


def test_a_body_saved_is_rendered_from_memory(live):
    project, site = live
    item, page = _items(project)[5], project / "content" / "pages" / "tentang.md"
    assert page.is_file()
    _append(item, "Kalimat baru dari penyunting.")
    _append(page, "Paragraf baru di halaman tentang.")
    done = site.update([item, page])
    assert done["fast"], done
    rendered = done["rendered"]
    pages = [n for n in rendered if n.endswith(".html")]
    assert any(f"/{item.stem}/" in n for n in pages), rendered
    assert any("tentang" in n for n in pages), rendered
    assert len(pages) == 2, rendered  # the two pages; lists show no body
    assert all(n.endswith((".html", ".xml")) for n in rendered)
    site.index()
    _same_as_clean(project)
    # Saved again: the in-memory site still takes bodies.
    _append(item, "Dan satu kalimat lagi.")
    assert site.update([item])["fast"]
    site.index()
    _same_as_clean(project)


@pytest.mark.parametrize(
    "change",
    [
        "title",
        "summary",
        "tag_spelling",  # may rename the tag (the spelling most items use)
        "new_link",  # a body that links another file of the site
        "new_path",  # a link that is no web address: a whole build checks it
        "new_item",
        "deleted_item",
        "theme",
    ],
)
def test_anything_but_a_body_builds_the_site(live, change):
    project, site = live
    items = _items(project)
    item = items[9]
    text = item.read_text(encoding="utf-8")
    if change == "title":
        item.write_text(text.replace("Title: ", "Title: Diperbarui: ", 1), "utf-8")
        saved = [item]
    elif change == "summary":
        item.write_text(text.replace("Summary: ", "Summary: Baru. ", 1), "utf-8")
        saved = [item]
    elif change == "tag_spelling":
        spelt = re.sub(r"(?m)^Tags: (.*)$", lambda m: f"Tags: {m[1].upper()}", text)
        assert spelt != text
        item.write_text(spelt, "utf-8")
        saved = [item]
    elif change == "new_link":
        other = items[2].relative_to(project / "content").as_posix()
        _append(item, f"Lihat juga [butir lain]({{filename}}/{other}).")
        saved = [item]
    elif change == "new_path":
        _append(item, "Lihat [halaman tentang](/tentang/).")
        saved = [item]
    elif change == "new_item":
        new = item.with_name("butir-baru-sekali.md")
        new.write_text(text.replace("Title: ", "Title: Baru Sekali ", 1), "utf-8")
        saved = [new]
    elif change == "deleted_item":
        item.unlink()
        saved = [item]
    else:
        partial = project / "theme" / "templates" / "partials" / "period_nav.html"
        partial.write_text(
            partial.read_text("utf-8").replace(
                'class="period-nav"', 'class="period-nav" data-live="1"', 1
            ),
            "utf-8",
        )
        saved = [partial]
    done = site.update(saved)
    assert not done["fast"], done
    assert done["rendered"]
    _same_as_clean(project)
    # The whole build kept the new site: the next body save is quick again.
    other = items[13]
    _append(other, "Kalimat sesudah pembangunan penuh.")
    assert site.update([other])["fast"]
    site.index()
    _same_as_clean(project)


def test_a_draft_saved_again_is_rendered_from_memory(live):
    """Drafts are built as previews (KILAS_DRAFTS, the development
    settings): a new draft builds the site once, its text saves after that
    are taken in memory, as an editor writes it."""
    project, site = live
    source = _items(project)[10]
    draft = source.with_name("draf-baru.md")
    text = source.read_text("utf-8").replace(
        "Title: ", "Status: draft\nTitle: Draf ", 1
    )
    draft.write_text(text, "utf-8")
    first = site.update([draft])
    assert not first["fast"]
    _append(draft, "Paragraf kedua dari penyunting.")
    done = site.update([draft])
    assert done["fast"], done
    assert [n for n in done["rendered"] if n.endswith(".html")] == [
        n for n in first["rendered"] if "draf-baru" in n and n.endswith(".html")
    ]
    site.index()
    _same_as_clean(project)


def test_a_script_in_a_saved_body_is_removed_and_said(live, caplog):
    project, site = live
    item = _items(project)[8]
    _append(item, '<script>alert("x")</script>\n\nParagraf sesudah skrip.')
    caplog.set_level(25)
    done = site.update([item])
    assert done["fast"], done
    assert any(
        "<script> removed" in r.getMessage() and item.name in r.getMessage()
        for r in caplog.records
    ), [r.getMessage() for r in caplog.records]
    page = next((project / "output").rglob(f"{item.stem}/index.html"))
    html = page.read_text("utf-8")
    assert "Paragraf sesudah" in html  # (typogrify: "skrip" after &nbsp;)
    assert 'alert("x")' not in html
    site.index()
    _same_as_clean(project)


def test_a_file_made_and_removed_at_once_is_no_save(live):
    """Vim makes and removes a file named 4913 beside the file it saves."""
    project, site = live
    item = _items(project)[6]
    probe = item.parent / "4913"
    probe.write_text("", "utf-8")
    probe.unlink()
    assert site.update([probe]) is None
    _append(item, "Disimpan dengan Vim.")
    assert site.update([probe, item])["fast"]


def test_a_tools_scratch_file_is_not_named_as_saved(live):
    """`sed -i` writes the theme's template to sedXXXXXX and renames it over
    the template: the server said `base.html, sedd6mA8l: rebuilt`."""
    project, site = live
    template = project / "theme" / "templates" / "base.html"
    scratch = template.parent / "sedd6mA8l"
    scratch.write_text(template.read_text("utf-8") + "\n", "utf-8")
    scratch.replace(template)
    done = site.update([scratch, template])
    assert done["saved"] == [os.path.realpath(template)], done["saved"]


def test_whole_builds_in_one_process_keep_one_site(live):
    """Pelican memoizes each item's content for the process; a server that
    builds again must not keep every site it built."""
    import gc

    from pelican.contents import Article

    project, site = live
    items = _items(project)
    for number in range(3):
        text = items[number].read_text("utf-8")
        items[number].write_text(text.replace("Title: ", "Title: Ubah: ", 1), "utf-8")
        assert not site.update([items[number]])["fast"]
    gc.unfreeze()
    gc.collect()
    alive = [
        o
        for o in gc.get_objects()
        if isinstance(o, Article) and str(project) in (o.source_path or "")
    ]
    gc.freeze()
    assert len(alive) == ITEMS, len(alive)


def test_a_bad_save_fails_like_a_build_and_leaves_output(live, caplog):
    project, site = live
    item = _items(project)[4]
    before = snapshot(project / "output")
    text = item.read_text(encoding="utf-8")
    item.write_text(text.replace("Date: ", "Date: kemarin ", 1), "utf-8")
    caplog.set_level(25)
    with pytest.raises(BuildFailed):
        site.update([item])
    said = [r.getMessage() for r in caplog.records if item.name in r.getMessage()]
    assert len(said) == 1 and "Date:" in said[0], said  # said once, by the build
    assert snapshot(project / "output") == before
    item.write_text(text, "utf-8")
    done = site.update([item])  # fixed: a whole build (nothing is kept)
    assert not done["fast"]
    _same_as_clean(project)


def test_a_build_from_elsewhere_is_noticed(live):
    """Another build (``invoke build`` in a terminal) published meanwhile:
    the site in memory may be stale, so the save builds the site again."""
    project, site = live
    items = _items(project)
    items[1].write_text(
        items[1].read_text("utf-8").replace("Title: ", "Title: Lain: ", 1), "utf-8"
    )
    build(settings_file=project / "pelicanconf.py", output=project / "output")
    _append(items[2], "Kalimat sesudah pembangunan lain.")
    assert not site.update([items[2]])["fast"]
    _same_as_clean(project)


@contextlib.contextmanager
def _watching(project: Path):
    """``watch`` on ``project`` in a thread, once it watches: the sets of
    paths it reported, as it reports them."""
    seen: list[set[str]] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(project / "pelicanconf.py", None, seen.append, stop),
        daemon=True,
    )
    thread.start()
    try:
        time.sleep(1.0)  # watching
        yield seen
    finally:
        stop.set()
        thread.join(10)


def test_watch_reports_saves_and_ignores_scratch_files(pristine, tmp_path):
    project = tmp_path / "site"
    shutil.copytree(pristine, project, symlinks=True)
    with _watching(project) as seen:
        item = _items(project)[3]
        (item.parent / f".{item.name}.swp").write_text("scratch", "utf-8")
        (item.parent / f"{item.name}~").write_text("backup", "utf-8")
        (project / "output" / "index.html").write_text("not an input", "utf-8")
        _append(item, "Disimpan.")
        settings = project / "pelicanconf.py"
        _append(settings, "# disimpan")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and {
            str(item),
            str(settings),
        } - set().union(*seen):
            time.sleep(0.1)
    reported = set().union(*seen)
    assert str(item) in reported, seen
    assert str(project / "pelicanconf.py") in reported, seen
    assert reported <= {str(item), str(project / "pelicanconf.py")}, seen


def test_a_settings_save_that_moves_the_theme_moves_the_watch(pristine, tmp_path):
    """The folders watched were those of the settings when the server
    started: after `THEME = "tema"` was saved, a template saved in tema/
    was not seen (and saves in the old theme/ made builds for nothing)."""
    project = tmp_path / "site"
    shutil.copytree(pristine, project, symlinks=True)
    shutil.copytree(project / "theme", project / "tema")

    def reported(path: Path) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and str(path) not in set().union(*seen):
            time.sleep(0.1)
        return str(path) in set().union(*seen)

    with _watching(project) as seen:
        settings = project / "pelicanconf.py"
        _append(settings, 'THEME = "tema"')
        assert reported(settings), seen
        time.sleep(1.0)  # watching the new folders
        seen.clear()
        new = project / "tema" / "templates" / "base.html"
        old = project / "theme" / "templates" / "base.html"
        _append(old, "<!-- lama -->")
        _append(new, "<!-- baru -->")
        assert reported(new), seen
    assert str(old) not in set().union(*seen), seen


@contextlib.contextmanager
def _server(tmp_path: Path):
    """`python -m kilas.live` (what `invoke livereload` runs) on a copy of
    the project's site, once the site is in memory: (project, port, log)."""
    import subprocess
    import sys

    project = copy_project(tmp_path / "site")
    port = free_port()
    said = tmp_path / "live.log"
    log = said.open("w+", encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "kilas.live", "--port", str(port)],
        cwd=project,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 300
        ready = "the site is in memory; watching for saves"
        while ready not in said.read_text("utf-8"):
            assert server.poll() is None, said.read_text("utf-8")
            assert time.monotonic() < deadline
            time.sleep(0.2)
        # Said before Tornado listens: wait for the port too.
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=5),
            ):
                break
            assert server.poll() is None, said.read_text("utf-8")
            assert time.monotonic() < deadline
            time.sleep(0.2)
        yield project, port, said
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def _address(project: Path, item: Path) -> str:
    page = next((project / "output").rglob(f"{item.stem}/index.html"))
    return page.parent.relative_to(project / "output").as_posix()


def test_the_browser_reloads_with_the_saved_text(tmp_path):
    """An item open in Chromium: a save reloads the page, which then shows
    the new sentence."""
    from kilas.browser import chromium

    with _server(tmp_path) as (project, port, said), chromium() as browser:
        item = _items(project)[0]
        page = browser.new_page()
        page.goto(
            f"http://127.0.0.1:{port}/{_address(project, item)}/", wait_until="load"
        )
        page.wait_for_timeout(1000)  # livereload.js connects
        assert "Kalimat dari penyunting" not in page.content()
        with page.expect_navigation(timeout=30_000):
            _append(item, "Kalimat dari penyunting untuk peramban.")
        page.wait_for_load_state("load")
        assert "Kalimat dari penyunting" in page.content()
        assert f"{item.name}: in memory in" in said.read_text("utf-8")


def test_a_save_that_fails_says_why_in_the_browser(tmp_path):
    """A save the build refuses was said in the terminal only: the browser
    went on showing the last good page, and an editor looking at it took
    the change for published. The page now reloads with the problems at
    its top (file, line, field), until a save builds again."""
    from kilas.browser import chromium

    with _server(tmp_path) as (project, port, said), chromium() as browser:
        item = _items(project)[0]
        good = item.read_text(encoding="utf-8")
        page = browser.new_page()
        page.goto(
            f"http://127.0.0.1:{port}/{_address(project, item)}/", wait_until="load"
        )
        page.wait_for_timeout(1000)  # livereload.js connects
        assert page.locator("[role=alert]").count() == 0
        with page.expect_navigation(timeout=30_000):
            item.write_text(
                good.replace("Region:", "Region: Korea Utaraa;", 1), "utf-8"
            )
        page.wait_for_load_state("load")
        alert = page.locator("[role=alert]")
        assert alert.count() == 1
        shown = alert.inner_text()
        relative = item.relative_to(project).as_posix()
        assert re.search(rf"{re.escape(relative)}:\d+: Region: unknown region", shown)
        assert 'Did you mean "Korea Utara"?' in shown
        assert "build failed" in shown
        assert "Korea Utaraa" not in page.locator("main").inner_text()
        with page.expect_navigation(timeout=60_000):
            item.write_text(good, "utf-8")
        page.wait_for_load_state("load")
        assert page.locator("[role=alert]").count() == 0
        assert "build failed" in said.read_text("utf-8")


@pytest.mark.parametrize("task", ["livereload", "serve"])
def test_a_busy_port_is_said_at_once(project, task):
    import socket

    from conftest import run_invoke

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_invoke(project, task, "--port", str(port), timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert f"kilas: cannot serve on 127.0.0.1:{port} (Address already in use)" in said
    assert "--port N" in said
    assert "Traceback" not in said
    assert not (project / "output").exists()  # said before building


@pytest.mark.parametrize("task", ["livereload", "serve", "preview"])
@pytest.mark.parametrize("port", ["99999", "abc", "-1"])
def test_a_port_that_is_no_port_is_said_at_once(project, task, port):
    """`--port 99999` ended in a traceback (OverflowError from bind), and
    `--port abc` in one from invoke's parser."""
    from conftest import run_invoke

    args = [task, "--port", port] + (["--serve"] if task == "preview" else [])
    done = run_invoke(project, *args, timeout=60)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert (
        f'kilas: --port "{port}" is not a port: use a number from 1024 to 65535' in said
    )
    assert "Traceback" not in said
    assert not (project / "output").exists()  # said before building


def test_serve_without_a_built_site_says_so(project):
    """`invoke serve` before any build served an empty folder: every page
    a 404 with nothing said."""
    from conftest import run_invoke

    done = run_invoke(project, "serve", "--port", "0", timeout=60)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert (
        "kilas: output/ holds no built site (no index.html): run `invoke build`" in said
    )


def test_a_scheduled_item_appears_at_its_time(tmp_path):
    """The server builds again when the site changes by itself (an item
    scheduled for a few seconds later falls due), and reloads browsers."""
    import subprocess
    import sys
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from conftest import add_item

    project = copy_project(tmp_path / "site")
    # Whole seconds, as the Date line holds it: the item is due at that
    # second (a `when` with microseconds made the check below race).
    when = datetime.now(ZoneInfo("Asia/Jakarta")).replace(microsecond=0)
    when += timedelta(seconds=20)
    item = add_item(project, "terjadwal", "Butir Terjadwal", "published", "Isi.")
    text = item.read_text("utf-8").replace(
        "Date: 2024-08-05 11:00", f"Date: {when:%Y-%m-%d %H:%M:%S}"
    )
    item.write_text(text, "utf-8")
    log = (tmp_path / "live.log").open("w+", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "KILAS_NOW"}
    server = subprocess.Popen(
        [sys.executable, "-m", "kilas.live", "--port", str(free_port())],
        cwd=project,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 180
        said = ""
        while "the site changed with time" not in said:
            assert server.poll() is None, said
            assert time.monotonic() < deadline, said
            time.sleep(0.5)
            said = (tmp_path / "live.log").read_text("utf-8")
        assert "scheduled" in said, said  # the first build held it back
        assert datetime.now(ZoneInfo("Asia/Jakarta")) >= when
        assert list((project / "output").rglob("terjadwal/index.html"))
    finally:
        server.terminate()
        server.wait(30)
        log.close()


@pytest.mark.parametrize("how", ["moved_out", "deleted", "renamed"])
def test_a_folder_moved_away_at_once_is_a_save(live, tmp_path, how):
    """`mv content/items/2024/08 /tmp` (or a file manager's delete to the
    trash, a folder renamed) is one event, for the folder: it was taken for
    a scratch file made and removed at once, and output/ kept its items."""
    project, site = live
    folder = _items(project)[0].parent
    assert folder != project / "content" / "items"
    gone = [p for p in _items(project) if p.is_relative_to(folder)]
    assert gone
    if how == "moved_out":
        shutil.move(folder, tmp_path / "away")
        saved = [folder]
    elif how == "deleted":
        shutil.rmtree(folder)
        saved = [folder]
    else:
        renamed = folder.with_name(folder.name + "-lama")
        folder.rename(renamed)
        saved = [folder, renamed]
    done = site.update(saved)
    assert done is not None and not done["fast"], done
    for item in gone if how != "renamed" else []:
        assert not list((project / "output").rglob(f"{item.stem}/index.html"))
    _same_as_clean(project)


class _Loop:
    """The IOLoop a _Watcher tells browsers through: reloads counted."""

    def __init__(self) -> None:
        self.reloads = 0

    def add_callback(self, *_) -> None:
        self.reloads += 1


def _watcher(project: Path, site: LiveSite):
    from kilas.live import _Watcher

    said: list[str] = []
    watcher = _Watcher(site, project / "pelicanconf.py", None, said.append)
    watcher.loop = _Loop()
    return watcher, said


@pytest.mark.parametrize(
    "mistake",
    [
        "{{ nosuch.title }}",  # rendering: undefined
        "{{ 1|nofilter }}",  # a filter misspelt
        '{% include "nosuch.html" %}',  # a template not there
        "{% if %}",  # Jinja's syntax
    ],
)
def test_a_template_error_names_the_template_and_line(live, mistake):
    """A mistake in a theme template was said as `critical: 'nosuch' is
    undefined`, with no file: the page banner and the terminal now name
    the template and its line, as every other problem."""
    project, site = live
    partial = project / "theme" / "templates" / "partials" / "period_nav.html"
    good = partial.read_text("utf-8")
    lines = good.splitlines(keepends=True)
    lines.insert(1, mistake + "\n")
    partial.write_text("".join(lines), "utf-8")
    before = snapshot(project / "output")
    watcher, said = _watcher(project, site)
    watcher.take({str(partial)})
    shown = html.unescape(watcher.problems.banner().decode())
    assert re.search(
        rf"{re.escape(partial.relative_to(project).as_posix())}:2: template: ", shown
    ), shown
    assert watcher.loop.reloads == 1
    assert said and "build failed" in said[-1], said
    assert snapshot(project / "output") == before
    partial.write_text(good, "utf-8")
    watcher.take({str(partial)})
    assert watcher.problems.banner() == b"", watcher.problems.lines
    _same_as_clean(project)


def test_a_plugin_saved_is_used_by_the_next_build(tmp_path):
    """A save of a plugin's Python file was 'rebuilt' with the code the
    server imported when it started (Python keeps its modules): the change
    did nothing until the server was stopped and run again. The server now
    starts again by itself, and builds with the new code."""
    with _server(tmp_path) as (project, port, said):
        plugin = project / "plugins" / "kilas_contract" / "__init__.py"
        good = plugin.read_text("utf-8")
        plugin.write_text(good + '\nraise RuntimeError("plugin diubah")\n', "utf-8")
        deadline = time.monotonic() + 120
        while "plugin diubah" not in said.read_text("utf-8"):
            assert time.monotonic() < deadline, said.read_text("utf-8")
            time.sleep(0.5)
        time.sleep(3)  # idle: the build that failed is not tried again
        log = said.read_text("utf-8")
        assert "__init__.py: a plugin's code changed; starting the server" in log
        assert "__init__.py: rebuilt" not in log
        assert log.count("plugin diubah") == 1, log
        plugin.write_text(good, "utf-8")
        ready = "the site is in memory; watching for saves"
        while (
            log.count(ready) < 2
            or "starting the server" not in log.split("plugin diubah")[-1]
        ):
            assert time.monotonic() < deadline + 120, log
            time.sleep(0.5)
            log = said.read_text("utf-8")
        # Serving again, from the new process, on the same port.
        from urllib.request import urlopen

        with urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
            assert page.status == 200


def test_a_page_not_there_is_the_sites_404_page(tmp_path):
    """livereload answered a missing page with Tornado's bare "404: Not
    Found": not the site's 404 page, which GitHub Pages and `invoke serve`
    show. An editor opening a new item's address before it builds now sees
    the site's page, with the script that reloads it once the item is
    there."""
    from urllib.error import HTTPError
    from urllib.request import urlopen

    with _server(tmp_path) as (project, port, _said):
        own = (project / "output" / "404.html").read_text("utf-8")
        title = re.search(r"<title>(.*?)</title>", own, re.S)[1]
        with pytest.raises(HTTPError) as missing:
            urlopen(f"http://127.0.0.1:{port}/2024/08/belum-ada/", timeout=30)
        assert missing.value.code == 404
        shown = missing.value.read().decode("utf-8")
        assert f"<title>{title}</title>" in shown, shown[:500]
        assert '<script src="/livereload.js?port=' in shown
        assert "text/html" in missing.value.headers["Content-Type"]


def test_saves_made_while_the_server_starts_are_taken(live):
    """The server watches once its first build is done: an item saved, or
    deleted, while that build ran (seconds, or minutes for a big site) was
    never taken, and output/ kept the old text with nothing said. The
    first moment of watching takes them."""
    project, site = live
    items = _items(project)
    _append(items[3], "Kalimat disimpan saat server mulai.")
    items[7].unlink()
    watcher, said = _watcher(project, site)
    watcher.idle()
    assert len(said) == 1 and ": rebuilt in" in said[0], said  # a file deleted
    page = next((project / "output").rglob(f"{items[3].stem}/index.html"))
    assert "Kalimat disimpan saat server" in page.read_text("utf-8")
    assert not list((project / "output").rglob(f"{items[7].stem}/index.html"))
    site.index()
    _same_as_clean(project)
    said.clear()
    watcher.idle()  # once: the next moments are idle ones
    assert said == [], said


def test_a_broken_settings_file_as_the_first_save_is_shown(live):
    """The first save, before the server had looked for saves made while it
    started, was a settings file with a mistake: looking read the settings,
    failed, and the server stopped watching. It is now shown, as any save
    the build refuses, and the next save is taken."""
    project, site = live
    settings = project / "pelicanconf.py"
    good = settings.read_text("utf-8")
    settings.write_text(good + '\nX = "abc\n', "utf-8")
    watcher, said = _watcher(project, site)
    watcher.take({str(settings)})
    assert "pelicanconf.py:" in watcher.problems.banner().decode(), said
    settings.write_text(good, "utf-8")
    watcher.take({str(settings)})
    assert watcher.problems.banner() == b""
    assert ": rebuilt in" in said[-1], said
