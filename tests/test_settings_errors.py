"""A mistake in a settings file (``pelicanconf.py``, ``publishconf.py``) is
said as ``file:line: message`` by every task, with status 1 and no
traceback, and ``invoke livereload`` says it and recovers on the next good
save."""

from __future__ import annotations

import logging
import re
import subprocess
import sys

import pytest
from conftest import copy_project, run_invoke, snapshot
from test_live import _same_as_clean

from kilas.build import BuildFailed
from kilas.live import LiveSite

# Line 1 of each mistake goes at the end of the file: its line is the
# file's last.
MISTAKES = {
    "SyntaxError": ('SITENAME = "Kilas\n', "unterminated string literal"),
    "NameError": ("SITENAME = KILAS_NAMA\n", "name 'KILAS_NAMA' is not defined"),
}


def _spoil(settings, mistake: str) -> tuple[str, str]:
    line, message = MISTAKES[mistake]
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text + line, encoding="utf-8")
    number = text.count("\n") + 1
    # A syntax error is said with the code; any other error with its name.
    named = "" if mistake == "SyntaxError" else f"{mistake}: "
    return text, f"{settings.name}:{number}: {named}{message}"


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_every_task_names_the_settings_line(tmp_path, mistake):
    project = copy_project(tmp_path / "site")
    subprocess.run(["git", "init", "--quiet"], cwd=project, check=True)  # gh-pages
    good, said = _spoil(project / "pelicanconf.py", mistake)
    runs = {
        "build": ["build"],
        "check": ["check"],
        "preview": ["preview"],  # publishconf.py reads pelicanconf.py
        "clean": ["clean"],
        "new": [
            "new",
            "Judul",
            "--region",
            "KP",
            "--source",
            "KCNA",
            "--category",
            "Internasional",
        ],
        "livereload": ["livereload", "--port", "0"],
        "gh-pages": ["gh-pages", "--no-push"],
    }
    for name, args in runs.items():
        result = run_invoke(project, *args, timeout=120)
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert said in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr, (name, result.stderr)
    assert not (project / "output").exists()
    assert not (project / "content" / "items" / "judul.md").exists()
    # The publish settings' own line.
    (project / "pelicanconf.py").write_text(good, encoding="utf-8")
    _, said = _spoil(project / "publishconf.py", mistake)
    result = run_invoke(project, "preview")
    assert result.returncode == 1
    assert said in result.stderr and "Traceback" not in result.stderr


def test_livereload_says_a_settings_mistake_and_recovers(tmp_path):
    project = copy_project(tmp_path / "site")
    settings = project / "pelicanconf.py"
    site = LiveSite(settings, output=project / "output")
    try:
        site.build()
        before = snapshot(project / "output")
        good, said = _spoil(settings, "SyntaxError")
        with pytest.raises(BuildFailed, match=re.escape(said)):
            site.update([settings])
        assert snapshot(project / "output") == before
        settings.write_text(
            good.replace('SITENAME = "Kilas"', 'SITENAME = "Kilas Pagi"'), "utf-8"
        )
        assert 'SITENAME = "Kilas Pagi"' in settings.read_text(encoding="utf-8")
        done = site.update([settings])
        assert not done["fast"]
        assert "Kilas Pagi" in (project / "output" / "index.html").read_text("utf-8")
        _same_as_clean(project)
    finally:
        site.close()


@pytest.mark.parametrize(
    "command", [["kilas.build"], ["kilas.live", "--port", "0"]], ids=str
)
def test_python_m_says_it_too(tmp_path, command):
    project = copy_project(tmp_path / "site")
    _, said = _spoil(project / "pelicanconf.py", "NameError")
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr


def test_a_fault_while_taking_a_save_is_shown_with_its_traceback(
    tmp_path, monkeypatch, caplog
):
    """The log prints messages only (kilas.build's formatter drops
    exc_info): the traceback the README asks editors to report must be in
    the message itself."""
    from kilas.live import _Watcher

    caplog.set_level(logging.INFO)  # put back after the test (take sets it)
    site = LiveSite(tmp_path / "pelicanconf.py")

    def broken(paths):
        raise KeyError("kilas-uji")

    monkeypatch.setattr(site, "update", broken)
    _Watcher(site, tmp_path / "pelicanconf.py", None, print).take({"x.md"})
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1
    assert said[0].startswith("kilas: the save could not be taken")
    assert "Traceback" in said[0] and "KeyError: 'kilas-uji'" in said[0]
