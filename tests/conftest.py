"""Shared fixtures: the repository's site built once per session, and a way
to copy the project so a test may break or add content without touching it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import html

PROJECT = Path(__file__).resolve().parent.parent
PROJECT_PARTS = (
    "content",
    "theme",
    "plugins",
    "kilas",
    "pelicanconf.py",
    "publishconf.py",
    "tasks.py",
)


def run_build(
    *args: str, cwd: Path = PROJECT, env: dict | None = None
) -> subprocess.CompletedProcess:
    """`python -m kilas.build ARGS` as a whole process, output captured
    (``env``: variables added to the environment)."""
    return subprocess.run(
        [sys.executable, "-m", "kilas.build", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def run_invoke(
    project: Path, *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`invoke ARGS` as a whole process in ``cwd`` (default: ``project``),
    output captured."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=cwd or project,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def copy_project(dest: Path) -> Path:
    """A copy of the project's site parts (not .venv, not output/)."""
    for part in PROJECT_PARTS:
        source = PROJECT / part
        if source.is_dir():
            shutil.copytree(
                source, dest / part, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(source, dest / part)
    return dest


def add_item(project: Path, name: str, title: str, status: str, text: str) -> Path:
    """A valid item of 5 August 2024 on North Korea in a project copy."""
    item = project / "content" / "items" / "2024" / "08" / f"{name}.md"
    item.write_text(
        f"Title: {title}\nDate: 2024-08-05 11:00\nCategory: Bencana\n"
        f"Region: Korea Utara\nSource: SinarHarapan.id\nStatus: {status}\n"
        f"Summary: {title}.\n\n{text}\n",
        encoding="utf-8",
    )
    return item


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes, to compare whole trees."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def site_files(site: Path) -> dict[str, bytes]:
    """``snapshot`` of a built site but Pagefind's bundle (its files are named
    by hashes each run makes: not byte-stable)."""
    return {k: v for k, v in snapshot(site).items() if not k.startswith("pagefind/")}


def build_published(project: Path, output: Path, site_url: str, **extra) -> dict:
    """The project's publish settings for ``site_url``, built in this process
    (without the search index, which other tests cover)."""
    from kilas.build import build

    return build(
        settings_file=project / "publishconf.py",
        output=output,
        siteurl=site_url,
        extra={"SEARCH_INDEX": False, **extra},
    )


def search_shards(site: Path) -> dict[str, int]:
    """Pages indexed by each search shard (``pagefind/<shard>/``) of a site."""
    shards = {}
    for entry in sorted((site / "pagefind").glob("*/pagefind-entry.json")):
        languages = json.loads(entry.read_text(encoding="utf-8"))["languages"]
        shards[entry.parent.name] = sum(v["page_count"] for v in languages.values())
    return shards


def page(site: Path, path: str):
    """The parsed ``index.html`` of ``path`` in a built site."""
    file = site / path / "index.html"
    assert file.is_file(), f"{path} was not written"
    return html.fromstring(file.read_bytes())


def listed(tree, where: str = "//main") -> list[str]:
    """Item links in the digest list (headline links), in page order."""
    return tree.xpath(f"{where}//*[contains(@class, 'digest-title')]/a/@href")


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The repository's content built once with the development settings."""
    output = tmp_path_factory.mktemp("site") / "output"
    result = run_build("--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    return output


@pytest.fixture(scope="session")
def taxonomy_site(tmp_path_factory) -> Path:
    """tests/fixtures/taxonomy (items with known counts and gaps), built once."""
    output = tmp_path_factory.mktemp("taxonomy") / "output"
    content = PROJECT / "tests" / "fixtures" / "taxonomy"
    result = run_build("--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    return output


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")
