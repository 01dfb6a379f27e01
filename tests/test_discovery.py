"""Which files under content/ make the site (plugins/kilas_contract/discovery.py):
editor files ignored, misplaced or misnamed Markdown and links out of the
content folder refused by name, any case of extension read, and `invoke
check` agreeing with the build on every file."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import run_build, snapshot

ITEM = """Title: {title}
Date: 2024-08-05 10:00
Category: Bencana
Region: Korea Utara
Source: SinarHarapan.id
Summary: Ringkasan {title}.

Isi {title}.
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _problems(stderr: str, content: str = "content/") -> list[str]:
    return sorted(line for line in stderr.splitlines() if line.startswith(content))


def test_editor_files_are_ignored_and_never_published(project: Path):
    items = project / "content" / "items" / "2024" / "08"
    # An Emacs lock is a dangling symbolic link: it crashed the build.
    os.symlink("root@host.12345:1722800000", items / ".#banjir-hancurkan-4000-rumah.md")
    for name in (
        "#banjir-hancurkan-4000-rumah.md#",
        "banjir-hancurkan-4000-rumah.md~",
        ".banjir-hancurkan-4000-rumah.md.swp",
        "~$banjir.md",
        "banjir.md.bak",
        "._banjir.md",
    ):
        _write(items / name, ITEM.format(title=f"Salinan {name}"))
    images = project / "content" / "images"
    _write(images / ".rahasia.txt", "kata sandi")
    _write(images / ".DS_Store", "x")
    _write(project / "content" / "extra" / ".htaccess", "Deny from all")
    (images / ".tersembunyi").mkdir()
    _write(images / ".tersembunyi" / "foto.svg", "<svg/>")

    check = run_build("--check", cwd=project)
    assert check.returncode == 0, check.stderr
    result = run_build("--output", "output", cwd=project)
    assert result.returncode == 0, result.stderr
    names = {Path(name).name for name in snapshot(project / "output")}
    for hidden in (".rahasia.txt", ".DS_Store", ".htaccess", "foto.svg"):
        assert hidden not in names
    assert not any("Salinan" in text.decode() for text in _texts(project / "output"))
    assert "favicon.svg" in names  # the static files themselves are published


def _texts(site: Path):
    return [
        p.read_bytes() for p in site.rglob("*") if p.is_file() and p.suffix == ".html"
    ]


def test_misplaced_misnamed_and_linked_files_are_named(project: Path, tmp_path: Path):
    content = project / "content"
    outside = _write(tmp_path / "di-luar" / "rahasia.md", ITEM.format(title="Rahasia"))
    secret = _write(tmp_path / "di-luar" / "kunci.svg", "<svg/>")
    _write(content / "2024" / "salah-tempat.md", ITEM.format(title="Salah Tempat"))
    _write(content / "lepas.md", ITEM.format(title="Lepas"))
    _write(content / "images" / "catatan.md", "Catatan")
    _write(content / "items" / "..md", ITEM.format(title="Titik"))
    _write(content / "items" / ".draf.md", ITEM.format(title="Tersembunyi"))
    _write(content / "items" / "dari-notepad.md.txt", ITEM.format(title="Notepad"))
    os.symlink(outside, content / "items" / "tautan-keluar.md")
    os.symlink(secret, content / "images" / "kunci.svg")
    os.symlink(content / "items" / "hilang.md.asli", content / "items" / "hilang.md")
    os.symlink(tmp_path / "di-luar", content / "images" / "folder-luar")

    expected = [
        "content/2024/salah-tempat.md: a Markdown file outside content/items/ and"
        " content/pages/ is not read; move it to content/items/ (an item) or"
        " content/pages/ (a page)",
        "content/images/catatan.md: a Markdown file outside content/items/ and",
        f"content/images/folder-luar: is a symbolic link to {tmp_path / 'di-luar'},"
        " outside the content folder",
        f"content/images/kunci.svg: is a symbolic link to {secret}, outside the"
        " content folder; links are followed only inside it: copy the file in"
        " instead",
        "content/items/..md: a Markdown file with a hidden name (starting with '.')"
        " is not read",
        "content/items/.draf.md: a Markdown file with a hidden name (starting with"
        " '.') is not read; rename it, e.g. to draf.md",
        "content/items/dari-notepad.md.txt: is not read: items and pages are"
        ' Markdown files ending in ".md"; rename it to dari-notepad.md',
        f"content/items/hilang.md: is a symbolic link to {content}/items/"
        "hilang.md.asli, which does not exist",
        f"content/items/tautan-keluar.md: is a symbolic link to {outside}, outside"
        " the content folder",
        "content/lepas.md: a Markdown file outside content/items/ and",
    ]
    output = project / "output"
    output.mkdir()
    (output / "lama.html").write_text("situs lama", encoding="utf-8")
    results = [
        run_build("--check", cwd=project),
        run_build("--output", "output", cwd=project),
    ]
    problems = []
    for result in results:
        assert result.returncode == 1
        found = _problems(result.stderr)
        assert len(found) == len(expected), found
        for line, start in zip(found, expected, strict=True):
            assert line.startswith(start), (line, start)
        problems.append(found)
    # `invoke check` and the build agree on every file.
    assert problems[0] == problems[1]
    assert snapshot(output) == {"lama.html": b"situs lama"}


def test_markdown_extensions_in_any_case_are_read(project: Path):
    items = project / "content" / "items" / "2024" / "08"
    names = {
        "huruf-besar.MD": "Huruf Besar",
        "campuran.Md": "Campuran",
        "panjang.markdown": "Panjang",
        "panjang-besar.MARKDOWN": "Panjang Besar",
    }
    for name, title in names.items():
        _write(items / name, ITEM.format(title=title))
    # A link inside the content folder is followed.
    os.symlink("huruf-besar.MD", items / "tautan-dalam.md")
    _write(project / "content" / "images" / "salinan.txt", "teks")
    os.symlink("salinan.txt", project / "content" / "images" / "tautan.txt")

    check = run_build("--check", cwd=project)
    assert check.returncode == 0, check.stderr
    result = run_build("--output", "output", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "9 items" not in result.stdout  # 7 + 5
    assert "12 items" in result.stdout, result.stdout
    for slug in ("huruf-besar", "campuran", "panjang", "panjang-besar", "tautan-dalam"):
        assert (project / "output" / "2024" / "08" / slug / "index.html").is_file()
    assert (project / "output" / "images" / "tautan.txt").read_text() == "teks"


def test_linked_hidden_or_outside_files_are_refused(project: Path):
    _write(project / "content" / "images" / ".rahasia.txt", "kata sandi")
    _write(
        project / "content" / "items" / "tautan.md",
        ITEM.format(title="Tautan")
        + "\n[a]({static}/images/.rahasia.txt) [b]({static}../../pelicanconf.py)\n",
    )
    result = run_build("--output", "output", cwd=project)
    assert result.returncode == 1
    problems = sorted(
        line for line in result.stderr.splitlines() if "an item links" in line
    )
    assert problems == [
        "content/images/.rahasia.txt: an item links to this file, which is a hidden"
        " or editor file: it is never published; link a file under the static"
        " folders instead",
        "pelicanconf.py: an item links to this file, which lies outside the content"
        " folder: it is never published; link a file under the static folders"
        " instead",
    ]
    assert not (project / "output").exists()
