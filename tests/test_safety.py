"""No fault loses data or leaves a half-built site (the output side).

Every test builds the project's real content. A command never writes where
it must not (content, theme, plugins, ``.git``, the project itself);
``output/`` is at every moment the whole old site or the whole new one (a
fault injected at each step of its update, kills at random moments); an I/O
error ends the build in one line; two builds never write at once; the cache
is checked, not trusted; ``OUTPUT_RETENTION`` files survive every build.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from conftest import PROJECT, run_build, run_invoke, search_shards, snapshot

import kilas.output
from kilas.bench import write_corpus
from kilas.build import BuildFailed, build, cache_dir

ITEM = "content/items/2024/08/banjir-hancurkan-4000-rumah.md"
PAGE = "2024/08/banjir-hancurkan-4000-rumah/index.html"
IMAGE = "content/extra/favicon.svg"  # a static file, copied as it is
RETAINED = {
    "CNAME": b"kilas.example.org\n",
    ".nojekyll": b"",
    ".git/HEAD": b"ref: refs/heads/gh-pages\n",
}
GIT = ["git", "-c", "user.name=Redaksi", "-c", "user.email=redaksi@example.org"]
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


# --- helpers ------------------------------------------------------------------


def _no_search(project: Path) -> Path:
    """Pagefind's bundles differ from run to run: off where sites are
    compared byte for byte."""
    with (project / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write("\nSEARCH_INDEX = False\n")
    return project


def _build(project: Path, output: Path) -> dict:
    """One build of ``project`` into ``output`` in this process."""
    return build(settings_file=project / "pelicanconf.py", output=output)


def _site(files: dict[str, bytes]) -> dict[str, bytes]:
    """A snapshot without the retained files."""
    return {n: d for n, d in files.items() if n.split("/")[0] not in _TOP_RETAINED}


_TOP_RETAINED = {name.split("/")[0] for name in RETAINED}


def _retained(files: dict[str, bytes]) -> dict[str, bytes]:
    return {n: d for n, d in files.items() if n.split("/")[0] in _TOP_RETAINED}


def _place_retained(output: Path) -> None:
    for name, data in RETAINED.items():
        (output / name).parent.mkdir(parents=True, exist_ok=True)
        (output / name).write_bytes(data)


def _edit(project: Path, text: str) -> None:
    """The item's body ends with ``text`` (or nothing: ``text=""``)."""
    item = project / ITEM
    body = item.read_text(encoding="utf-8").split("\n\nKalimat uji:")[0]
    item.write_text(body + (f"\n\nKalimat uji: {text}\n" if text else ""), "utf-8")


def _one_line(result: subprocess.CompletedProcess) -> str:
    """The build's only line on stderr (no traceback, nothing else)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def _git_init(folder: Path) -> None:
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True, env=env)
    subprocess.run([*GIT, "commit", "-qm", "site"], cwd=folder, check=True, env=env)


def _files(folder: Path) -> set[tuple[int, int]]:
    return {
        (p.stat().st_dev, p.stat().st_ino)
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


@contextlib.contextmanager
def _mounted_tmpfs(folder: Path, size: str):
    """A small tmpfs at ``folder`` when this machine allows mounting (root);
    yields whether it is mounted."""
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    try:
        yield mount.returncode == 0
    finally:
        if mount.returncode == 0:
            subprocess.run(["umount", str(folder)], check=True)


@contextlib.contextmanager
def _unwritable(folder: Path):
    """``folder`` cannot be changed: chmod for a user; for root (whom chmod
    does not stop) the immutable attribute, or a read-only bind mount."""
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(mode)
        return
    if subprocess.run(["chattr", "+i", str(folder)], check=False).returncode == 0:
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        return
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


# --- guarded paths ------------------------------------------------------------

GUARDED = [
    ("content", "it is the content folder"),
    ("content/items", "it lies inside the content folder"),
    ("linked-content", "it is the content folder"),
    (".", "it is the project folder"),
    ("theme/..", "it is the project folder"),
    ("..", ", the project folder; choose a folder inside it"),
    ("theme", "it is the theme"),
    ("plugins/kilas_search", "it lies inside a plugin folder"),
    (".git", "it lies inside a Git folder"),
    (".git/objects", "it lies inside a Git folder"),
    (".kilas-cache/output/staging", "it is or lies inside a build cache"),
]


@pytest.mark.parametrize(("target", "reason"), GUARDED)
def test_a_build_refuses_a_folder_it_must_not_write(project, target, reason):
    _git_init(project)
    (project / "linked-content").symlink_to("content")
    kept = ("content", ".git", "theme", "plugins")
    before = {name: snapshot(project / name) for name in kept}
    around = sorted(os.listdir(project.parent))
    result = run_build("--output", target, cwd=project)
    assert result.returncode == 1
    line = _one_line(result)
    assert line.startswith("kilas: refusing to write to "), line
    assert reason in line
    for name in kept:
        assert snapshot(project / name) == before[name], name
    assert not (project / ".kilas-cache").exists()
    assert sorted(os.listdir(project.parent)) == around


def test_tasks_refuse_folders_they_must_not_touch(project):
    # output/ and .build/ (screenshots, Lighthouse) lead into content/.
    (project / "output").symlink_to("content")
    (project / ".build").symlink_to("content")
    before = snapshot(project / "content")
    for args in (
        ["build"],
        ["clean"],
        ["preview"],
        ["lighthouse"],
        ["screenshots", "--output", "content/images"],
    ):
        result = run_invoke(project, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        line = result.stderr.strip()
        assert "Traceback" not in result.stderr
        assert line.startswith("kilas: refusing to "), (args, line)
        assert "the content folder" in line, (args, line)
    assert snapshot(project / "content") == before
    assert not (project / ".kilas-cache").exists()


def test_a_folder_of_other_files_is_not_replaced(project, tmp_path):
    mine = tmp_path / "dokumen"
    mine.mkdir()
    (mine / "catatan.txt").write_text("jangan dihapus\n", encoding="utf-8")
    result = run_build("--output", str(mine), cwd=project)
    assert result.returncode == 1
    line = _one_line(result)
    assert "holds files that are not a site Kilas built (e.g. catatan.txt)" in line
    assert snapshot(mine) == {"catatan.txt": b"jangan dihapus\n"}


# --- output/ is the old site or the new one, at every step ----------------------


def _static(project: Path, state: str) -> None:
    """Two versions of the static files: the image's bytes, and a note
    that moves between folders (a file and a folder added and removed)."""
    extra = project / "content" / "extra"
    for folder in ("satu", "dua"):
        shutil.rmtree(extra / folder, ignore_errors=True)
    folder = extra / ("satu" if state == "A" else "dua")
    folder.mkdir()
    (folder / "catatan.txt").write_text(f"versi {state}\n", encoding="utf-8")
    image = project / IMAGE
    text = image.read_text(encoding="utf-8").split("<!-- versi")[0]
    image.write_text(f"{text}<!-- versi {state} -->\n", encoding="utf-8")


@pytest.fixture
def toggled(project, tmp_path):
    """The project with static files in two versions, and a clean build of
    each (what ``output/`` may hold)."""
    _no_search(project)
    refs = {}
    for state in "AB":
        _static(project, state)
        _build(project, tmp_path / f"ref-{state}")
        refs[state] = snapshot(tmp_path / f"ref-{state}")
    assert refs["A"] != refs["B"]
    output = tmp_path / "output"
    _build(project, output)  # version B
    _place_retained(output)
    return project, output, refs


def _state(files: dict[str, bytes], refs: dict) -> str:
    site = _site(files)
    assert site in refs.values(), "output/ is neither the old site nor the new"
    assert _retained(files) == RETAINED
    return "A" if site == refs["A"] else "B"


def _every_step(project: Path, output: Path, refs: dict, run, killed=False) -> int:
    """Switch versions with a fault at step 1, 2, ... until two builds in a
    row run past their last step; output/ is whole after each. ``run(n)``
    builds with the fault at step n and says whether the fault happened.

    Retained files are in output/ after every build. A build killed while
    it moved them across (``killed``) leaves them in the staging folder, and
    the next build puts them back.
    """
    step, quiet = 0, 0
    staging = cache_dir(output) / "staging"
    while quiet < 2:
        step += 1
        before = snapshot(output)
        assert _retained(before) == RETAINED, f"step {step}"
        target = "B" if _state(before, refs) == "A" else "A"
        _static(project, target)
        fired = run(step)
        after = snapshot(output)
        assert _site(after) in (_site(before), refs[target]), f"step {step}"
        if killed and fired and _retained(after) != RETAINED:
            moved = {**_retained(after), **_retained(snapshot(staging))}
            assert moved == RETAINED, f"step {step}"
            _build(project, output)  # puts them back (and finishes the job)
            after = snapshot(output)
        assert _retained(after) == RETAINED, f"step {step}"
        quiet = 0 if fired else quiet + 1
    # Whatever the faults left, the next builds finish the job.
    _build(project, output)
    files = snapshot(output)
    assert _site(files) == refs[target]
    assert _retained(files) == RETAINED
    assert _build(project, output)["KILAS_STATS"]["copied"] == 0
    staged = snapshot(cache_dir(output) / "staging")
    assert staged == refs[target]
    assert not (cache_dir(output) / "switch.json").exists()
    return step


def test_a_fault_at_any_step_of_the_update_leaves_a_whole_site(
    toggled, monkeypatch, capfd
):
    project, output, refs = toggled

    def run(step: int) -> bool:
        monkeypatch.setenv("KILAS_TEST_FAULT", str(step))
        with contextlib.suppress(BuildFailed):
            _build(project, output)
        monkeypatch.delenv("KILAS_TEST_FAULT")
        return "test fault at step" in capfd.readouterr().err

    assert _every_step(project, output, refs, run) > 10


def _in_child(target, fault: str = "") -> tuple[int, str]:
    """Run ``target()`` in a forked process (fault ``KILAS_TEST_FAULT``);
    return its wait status and what it wrote on stderr."""
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(reading)
            os.dup2(writing, 2)
            if fault:
                os.environ["KILAS_TEST_FAULT"] = fault
            target()
            code = 0
        except BaseException:  # noqa: BLE001  (the exit code says it)
            pass
        finally:
            os._exit(code)
    os.close(writing)
    with os.fdopen(reading, "rb") as stream:
        said = stream.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    return status, said


def test_a_kill_at_any_step_of_the_update_leaves_a_whole_site(toggled):
    project, output, refs = toggled

    def run(step: int) -> bool:
        status, said = _in_child(lambda: _build(project, output), f"{step}:kill")
        fired = "test fault at step" in said
        assert os.WIFSIGNALED(status) == fired, said
        return fired

    assert _every_step(project, output, refs, run, killed=True) > 10


def test_kills_at_random_moments_leave_a_whole_site(project, tmp_path):
    """A build killed (SIGKILL) at random moments, search index included:
    output/ is the old or the new site, and the next build recovers."""
    versions = {"A": "", "B": "sebuah kalimat tambahan."}
    refs = {}
    for state, text in versions.items():
        _edit(project, text)
        _build(project, tmp_path / f"ref-{state}")
        refs[state] = snapshot(tmp_path / f"ref-{state}")
    output = tmp_path / "output"
    _build(project, output)  # version B
    _place_retained(output)
    generator = random.Random(13)
    state = "B"

    def whole(files):
        """The site of a version, the search bundle by what it indexes."""
        site = {n: d for n, d in _site(files).items() if not n.startswith("pagefind")}
        for state, ref in refs.items():
            same = {n: d for n, d in ref.items() if not n.startswith("pagefind")}
            if site == same:
                return state
        raise AssertionError("output/ is neither the old site nor the new")

    for _ in range(12):
        state = "A" if state == "B" else "B"
        _edit(project, versions[state])
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
                _build(project, output)
                code = 0
            finally:
                os._exit(code)
        time.sleep(generator.uniform(0.0, 1.5))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        files = snapshot(output)
        assert whole(files) in refs
        assert _retained(files) == RETAINED
    # No Pagefind run of a killed build is left writing into the cache.
    time.sleep(0.2)
    staging = str(cache_dir(output))
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            assert staging.encode() not in cmdline.read_bytes(), cmdline
    _build(project, output)
    files = snapshot(output)
    assert whole(files) == state
    assert search_shards(output) == search_shards(tmp_path / f"ref-{state}")
    assert _retained(files) == RETAINED


# --- I/O errors -----------------------------------------------------------------


def test_a_full_disk_fails_in_one_line_and_leaves_output(project, tmp_path):
    _no_search(project)
    disk = tmp_path / "disk"
    disk.mkdir()
    with _mounted_tmpfs(disk, "8m") as mounted:
        output = disk / "output"
        assert run_build("--output", str(output), cwd=project).returncode == 0
        before = snapshot(output)
        _edit(project, "disk penuh.")
        filler = disk / "filler"
        if mounted:  # fill the disk to its last byte
            with contextlib.suppress(OSError), open(filler, "wb", 0) as handle:
                while True:
                    handle.write(b"\0" * 4096)
            env = {}
        else:  # no mounting here: the disk fills while output/ is updated
            env = {"KILAS_TEST_FAULT": "copy:ENOSPC"}
        result = run_build("--output", str(output), cwd=project, env=env)
        assert result.returncode == 1
        line = _one_line(result)
        assert "No space left on device" in line, line
        assert line.endswith("; output/ was left as it was"), line
        assert str(disk) in line or ".kilas-cache" in line, line
        assert snapshot(output) == before
        filler.unlink(missing_ok=True)
        again = run_build("--output", str(output), cwd=project)
        assert again.returncode == 0, again.stderr
        assert "penuh" in (output / PAGE).read_text("utf-8")


def test_a_folder_it_cannot_write_fails_in_one_line(project, tmp_path):
    _no_search(project)
    output = tmp_path / "output"
    assert run_build("--output", str(output), cwd=project).returncode == 0
    before = snapshot(output)
    _edit(project, "folder terkunci.")
    # The staged page's folder: Pelican cannot write the page.
    folder = cache_dir(output) / "staging" / Path(PAGE).parent
    with _unwritable(folder):
        result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 1
    line = _one_line(result)
    assert line.startswith("kilas: build failed: "), line
    assert "Permission denied" in line or "Operation not permitted" in line
    assert "banjir-hancurkan-4000-rumah" in line
    assert snapshot(output) == before
    # output/ itself: the new site cannot take its place.
    with _unwritable(output):
        result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 1
    line = _one_line(result)
    assert f"could not switch {output}/ to the new site: " in line, line
    assert "Permission denied" in line or "Operation not permitted" in line
    assert line.endswith("; output/ was left as it was")
    assert snapshot(output) == before
    result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 0, result.stderr
    assert "terkunci" in (output / PAGE).read_text("utf-8")


def test_an_io_error_in_a_writing_process_is_one_line(tmp_path):
    """Builds of many items write in forked processes: an I/O error there
    ends the build in one line too."""
    write_corpus(tmp_path, 160, items="items")
    content, output = tmp_path / "content", tmp_path / "output"
    assert run_build("--content", str(content), "--output", str(output)).returncode == 0
    before = snapshot(output)
    # A page that a forked process (not the first) writes.
    workers = min(os.cpu_count() or 1, 4)
    pages = sorted(
        str(p.relative_to(output)) for p in output.glob("20*/*/*/index.html")
    )
    page = next(p for p in pages if zlib.crc32(p.encode()) % workers)
    settings = PROJECT / "pelicanconf.py"
    changed = tmp_path / "lainconf.py"  # every page is rendered again
    changed.write_text(
        "from pelicanconf import *\n"
        f"THEME = {str(PROJECT / 'theme')!r}\n"
        f"PLUGIN_PATHS = [{str(PROJECT / 'plugins')!r}]\n"
        "SITESUBTITLE = 'Versi lain'\n",
        encoding="utf-8",
    )
    folder = cache_dir(output) / "staging" / Path(page).parent
    with _unwritable(folder):
        result = run_build(
            "--settings",
            str(changed),
            "--content",
            str(content),
            "--output",
            str(output),
            env={"PYTHONPATH": str(settings.parent)},
        )
    assert result.returncode == 1
    line = _one_line(result)
    assert line.startswith("kilas: build failed: "), line
    assert str(Path(page).parent) in line, line
    assert snapshot(output) == before


# --- one build at a time --------------------------------------------------------


def test_two_builds_at_once_take_turns(project, tmp_path):
    _no_search(project)
    output = tmp_path / "output"
    command = [sys.executable, "-m", "kilas.build", "--output", str(output)]
    builds = [
        subprocess.Popen(command, cwd=project, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    said = [process.communicate(timeout=300)[1] for process in builds]
    assert [process.returncode for process in builds] == [0, 0], said
    assert not any("Traceback" in text for text in said)
    waited = [text for text in said if "another build (pid" in text]
    assert len(waited) == 1, said
    pids = {f"pid {process.pid})" for process in builds}
    assert any(pid in waited[0] for pid in pids), waited
    _build(project, tmp_path / "clean")
    assert snapshot(output) == snapshot(tmp_path / "clean")


# --- the cache is checked, not trusted ------------------------------------------


def test_output_files_are_not_shared_and_damage_is_put_right(
    project, tmp_path, monkeypatch
):
    _no_search(project)
    output = tmp_path / "output"
    # A new site is copied by several processes (from 5000 files; here all).
    monkeypatch.setattr(kilas.output, "PARALLEL_COPY", 10)
    _build(project, output)
    site = snapshot(output)
    staging = cache_dir(output) / "staging"
    assert snapshot(staging) == site
    assert _files(output).isdisjoint(_files(cache_dir(output)))
    assert all(p.stat().st_nlink == 1 for p in output.rglob("*") if p.is_file())
    # Damage of every kind; none of it reaches the staged copy.
    (output / "index.html").write_bytes(b"<p>rusak</p>")  # in place
    assert (staging / "index.html").read_bytes() == site["index.html"]
    page = output / PAGE
    page.write_bytes(page.read_bytes()[:100])  # truncated
    (output / "tentang" / "index.html").unlink()  # deleted
    (output / "sitemap.xml").unlink()
    (output / "sitemap.xml").mkdir()  # a folder where a file was
    feed = output / "feeds" / "semua.atom.xml"
    stat = feed.stat()
    data = feed.read_bytes()
    feed.write_bytes(data.replace(b"Banjir", b"Bunjir", 1))  # same size and time
    os.utime(feed, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (output / "asing.html").write_text("asing", encoding="utf-8")  # foreign
    (output / "folder-asing" / "dalam").mkdir(parents=True)
    (output / "tautan").symlink_to("/")
    settings = _build(project, output)
    assert snapshot(output) == site
    assert not (output / "tautan").is_symlink()
    assert settings["KILAS_STATS"]["copied"] == 5
    assert _build(project, output)["KILAS_STATS"]["copied"] == 0


def _retype_records(cache: Path) -> None:
    """The page records with one name read that is not text."""
    path = cache / "pages.marshal"
    saved = marshal.loads(path.read_bytes())
    saved["reads"][0] = (("n", 1),)
    path.write_bytes(marshal.dumps(saved))


def test_a_damaged_cache_is_dropped_and_made_again(project, tmp_path):
    """Each kind of damage to the build cache, then a build: it succeeds
    with no warning, says what it dropped (an info line) and publishes the
    site a clean build makes."""
    output = tmp_path / "output"
    _build(project, tmp_path / "clean")
    clean = snapshot(tmp_path / "clean")
    cache = cache_dir(output)
    staging = cache / "staging"

    def replace_by_folder(path: Path) -> None:
        path.unlink()
        (path / "isi").mkdir(parents=True)

    damage = {
        "page records garbage": lambda: (cache / "pages.marshal").write_text("{[}"),
        "page records of the wrong shape": lambda: (
            cache / "pages.marshal"
        ).write_bytes(marshal.dumps({"signature": 1, "pages": []})),
        "page records of the wrong types": lambda: _retype_records(cache),
        "page records a folder": lambda: replace_by_folder(cache / "pages.marshal"),
        "trees.json garbage": lambda: (cache / "trees.json").write_bytes(b"\xff\0"),
        "search state a folder": lambda: replace_by_folder(
            cache / "search-shards.json"
        ),
        "staged page truncated": lambda: (staging / PAGE).write_text("<p"),
        "staged page a folder": lambda: replace_by_folder(staging / "index.html"),
        "staged search file damaged": lambda: (
            staging / "pagefind" / "2024" / "pagefind-entry.json"
        ).write_text("{}"),
        "staged search file removed": lambda: next(
            (staging / "pagefind" / "2024").glob("*.pf_meta")
        ).unlink(),
        "staged file added": lambda: (staging / "2024" / "asing.html").write_text("x"),
        "staging a file": lambda: (
            shutil.rmtree(staging),
            staging.write_text("x"),
        ),
    }
    assert run_build("--output", str(output), cwd=project).returncode == 0
    for name, harm in damage.items():
        harm()
        result = run_build("--output", str(output), "-v", cwd=project)
        assert result.returncode == 0, (name, result.stderr)
        assert "warning:" not in result.stderr, (name, result.stderr)
        notices = [
            line
            for line in result.stderr.splitlines()
            if line.startswith(("notice: kilas:", "info: kilas:"))
            and any(w in line for w in ("unreadable", "damaged", "not a", "changed or"))
        ]
        assert notices, (name, result.stderr)
        files = snapshot(output)
        same = {n: d for n, d in files.items() if not n.startswith("pagefind/")}
        assert same == {n: d for n, d in clean.items() if not n.startswith("pagefind/")}
        assert search_shards(output) == search_shards(tmp_path / "clean"), name
        entry = output / "pagefind" / "2024" / "pagefind-entry.json"
        assert b'"languages"' in entry.read_bytes(), name


def test_a_restored_cache_is_used_and_still_checked(project, tmp_path):
    """A CI runner restores .kilas-cache (new inodes, the same times) and has
    no output/: the build renders only what the cache lacks or got wrong."""
    _no_search(project)
    first = tmp_path / "runner-1" / "output"
    _build(project, first)
    restored = tmp_path / "runner-2"
    shutil.copytree(first.parent / ".kilas-cache", restored / ".kilas-cache")
    page = restored / ".kilas-cache" / "output" / "staging" / PAGE
    page.write_bytes(page.read_bytes()[:200])  # damaged on the way
    stats = _build(project, restored / "output")["KILAS_STATS"]
    assert stats["rendered_pages"] == [PAGE]
    assert snapshot(restored / "output") == snapshot(first)


def test_static_files_are_compared_by_content_not_time(project, tmp_path):
    _no_search(project)
    output = tmp_path / "output"
    _build(project, output)
    image = project / IMAGE
    published = output / image.name
    old = image.stat()
    # Replaced by a different image with an older time.
    new = image.read_bytes().replace(b"</svg>", b"<!-- baru --></svg>")
    image.write_bytes(new)
    os.utime(image, ns=(old.st_atime_ns - 10**15, old.st_mtime_ns - 10**15))
    assert _build(project, output)["KILAS_STATS"]["copied"] == 1
    assert published.read_bytes() == new
    # Replaced by another file of the same size and the same time.
    same_size = new.replace(b"baru", b"BARU")
    stat = image.stat()
    replacement = image.with_name("pengganti.tmp")
    replacement.write_bytes(same_size)
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    replacement.replace(image)
    assert _build(project, output)["KILAS_STATS"]["copied"] == 1
    assert published.read_bytes() == same_size


# --- OUTPUT_RETENTION and invoke clean --------------------------------------------


def test_retained_files_survive_builds_and_clean(project):
    output = project / "output"
    output.mkdir()
    (output / "CNAME").write_text("kilas.example.org\n", encoding="utf-8")
    (output / ".nojekyll").write_bytes(b"")
    (output / "index.html").write_text("<p>lama</p>", encoding="utf-8")
    _git_init(output)  # a clone of the published branch, say
    (output / "index.html").unlink()
    kept = {n: d for n, d in snapshot(output).items() if n != "index.html"}
    assert any(name.startswith(".git/objects/") for name in kept)
    for text in ("", "versi baru."):
        _edit(project, text)
        result = run_invoke(project, "build")
        assert result.returncode == 0, result.stderr
        files = snapshot(output)
        assert {n: d for n, d in files.items() if n in kept} == kept
        assert (output / PAGE).is_file()
    (output / "catatan-saya.txt").write_text("milik saya\n", encoding="utf-8")
    result = run_invoke(project, "clean")
    assert result.returncode == 0, result.stderr
    assert "catatan-saya.txt" in result.stdout  # kept, and said so
    assert snapshot(output) == {**kept, "catatan-saya.txt": b"milik saya\n"}
    assert not (project / ".kilas-cache" / "output").exists()
    # That note is not a site a build made: the next build refuses it.
    refused = run_invoke(project, "build")
    assert refused.returncode == 1
    assert "catatan-saya.txt" in refused.stderr
    (output / "catatan-saya.txt").unlink()
    assert run_invoke(project, "build").returncode == 0
    assert {n: d for n, d in snapshot(output).items() if n in kept} == kept


# --- where output/ cannot be switched in one step ---------------------------------


def test_an_output_on_its_own_file_system_is_updated_in_place(project, tmp_path):
    _no_search(project)
    output = tmp_path / "output"
    output.mkdir()
    _build(project, tmp_path / "clean")
    with _mounted_tmpfs(output, "16m") as mounted:
        env = {} if mounted else {"KILAS_TEST_FAULT": "exchange:EXDEV"}
        for text in ("", "di tempat."):
            _edit(project, text)
            _build(project, tmp_path / "clean")
            result = run_build("--output", str(output), cwd=project, env=env)
            assert result.returncode == 0, result.stderr
            line = result.stderr.strip()
            assert "cannot be switched in one step" in line, line
            assert snapshot(output) == snapshot(tmp_path / "clean")


def test_the_repository_keeps_git_cname_and_nojekyll():
    from kilas.build import load_settings

    settings = load_settings(PROJECT / "pelicanconf.py")
    assert set(settings["OUTPUT_RETENTION"]) == {".git", "CNAME", ".nojekyll"}


def test_a_cache_file_of_an_earlier_version_is_removed(project, tmp_path):
    """``pages.json`` (the page records before they were kept in marshal's
    format) is removed by the next build instead of lying there."""
    output = tmp_path / "output"
    _build(project, output)
    retired = cache_dir(output) / "pages.json"
    retired.write_text('{"pages": {}}', encoding="utf-8")
    _build(project, output)
    assert not retired.exists()
    assert (cache_dir(output) / "pages.marshal").is_file()


@pytest.mark.parametrize("slug", ["cari", "linimasa", "kategori"])
def test_a_page_at_a_sections_address_fails_naming_both(project, tmp_path, slug):
    """A page whose slug is a section's word (the search page, the timeline,
    the categories) would take that section's file: the build fails naming
    both, in a clean build and in one after a build that kept the section."""
    _no_search(project)
    output = tmp_path / "output"
    _build(project, output)
    before = snapshot(output)
    page = project / "content" / "pages" / f"{slug}.md"
    page.write_text(f"Title: Halaman {slug}\nSlug: {slug}\n\nIsi.\n", encoding="utf-8")
    for target in (output, tmp_path / "clean"):
        result = run_build(
            "--settings", str(project / "pelicanconf.py"), "--output", str(target)
        )
        assert result.returncode == 1, result.stdout
        said = result.stderr
        assert f"two pages would be written to {slug}/index.html" in said, said
        assert f"content/pages/{slug}.md" in said and "the page of the theme's" in said
    assert snapshot(output) == before
