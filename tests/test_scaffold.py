"""`invoke new` writes a draft whose prompts can never be published."""

from __future__ import annotations

from pathlib import Path

from conftest import run_invoke


def _new(project: Path, title: str, *extra: str) -> Path:
    result = run_invoke(
        project, "new", title, "--region", "KP", "--source", "KCNA",
        "--category", "Bencana", *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return project / result.stdout.strip()


def test_a_scaffold_is_a_draft_until_its_prompts_are_replaced(project: Path):
    path = _new(project, "Banjir Susulan", "--summary", "Banjir susulan melanda.")
    text = path.read_text(encoding="utf-8")
    assert "Status: draft\n" in text
    assert run_invoke(project, "check").returncode == 0

    # Publishing it as it is: the body prompt is named by file, line and field.
    path.write_text(text.replace("Status: draft\n", ""), encoding="utf-8")
    check = run_invoke(project, "check")
    assert check.returncode == 1
    relative = path.relative_to(project).as_posix()
    assert f"{relative}:8: Body: still holds the prompt" in check.stderr
    assert "Summary:" not in check.stderr

    body = text.split("\n\n", 1)[1]
    finished = text.replace("Status: draft\n", "").replace(body, "Isi butir.\n")
    path.write_text(finished, encoding="utf-8")
    assert run_invoke(project, "check").returncode == 0


def test_without_a_summary_both_prompts_are_named(project: Path):
    path = _new(project, "Banjir Kedua")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Status: draft\n", ""), encoding="utf-8")
    check = run_invoke(project, "check")
    assert check.returncode == 1
    relative = path.relative_to(project).as_posix()
    assert f"{relative}:6: Summary: still holds the prompt" in check.stderr
    assert f"{relative}:8: Body: still holds the prompt" in check.stderr
    assert "2 problem(s) in 1 file(s)" in check.stderr


def test_new_works_from_a_subfolder_and_writes_what_check_passes(project: Path):
    result = run_invoke(
        project, "new", '  Kim: "Kami Tak Butuh" Bantuan 5/8 — Évakuasi ',
        "--region", "KP", "--source", "KCNA", "--category", "bencana",
        "--story", "Banjir Korea Utara 2024",
        cwd=project / "content" / "items",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    path = project / result.stdout.strip()
    assert path.name == "kim-kami-tak-butuh-bantuan-58-evakuasi.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith('Title: Kim: "Kami Tak Butuh" Bantuan 5/8 — Évakuasi\n')
    assert run_invoke(project, "check").returncode == 0
    again = run_invoke(
        project, "new", 'Kim: "Kami Tak Butuh" Bantuan 5/8 — Évakuasi',
        "--region", "KP", "--source", "KCNA", "--category", "Bencana",
    )  # fmt: skip
    assert again.returncode == 1
    assert "already exists; choose another title" in again.stderr
    # Named as the new file is named: from the project, not from /.
    relative = path.relative_to(project).as_posix()
    assert f"kilas: {relative} already exists" in again.stderr, again.stderr
    assert path.read_text(encoding="utf-8") == text


def test_a_line_break_in_an_argument_is_refused_not_a_field(project: Path):
    """A title, summary or story is one header line: a line break in one
    would make the rest a field of its own (Status: published)."""
    before = sorted(project.rglob("*.md"))
    result = run_invoke(
        project, "new", "Judul\nStatus: published", "--region", "KP",
        "--source", "KCNA", "--category", "Bencana",
        "--summary", "Satu.\n\nDua.", "--story", "Banjir\tKorut",
    )  # fmt: skip
    assert result.returncode == 1
    for said in (
        "Title: 'Judul\\nStatus: published' holds the control character U+000A"
        " at column 6",
        "Summary: 'Satu.\\n\\nDua.' holds the control character U+000A",
        "Story: 'Banjir\\tKorut' holds the control character U+0009 at column 7",
    ):
        assert said in result.stderr, result.stderr
    symbols = run_invoke(
        project, "new", "Judul", "--region", "KP", "--source", "KCNA",
        "--category", "Bencana", "--story", "???",
    )  # fmt: skip
    assert symbols.returncode == 1
    assert 'Story: "???" gives the story no address' in symbols.stderr
    assert sorted(project.rglob("*.md")) == before


def test_a_long_headline_gives_a_file_name_cut_at_a_word(project: Path):
    """A headline of 300 characters made a file name the file system
    refuses (a traceback: "File name too long"). The name keeps the first
    words, at most 100 characters; the title is kept whole."""
    title = " ".join(["Pemerintah Provinsi Jawa Barat Umumkan Rencana Pembangunan"] * 5)
    path = _new(project, title)
    assert len(path.stem) <= 100, path.stem
    assert path.stem.startswith(
        "pemerintah-provinsi-jawa-barat-umumkan-rencana-pembangunan"
    )
    assert not path.stem.endswith("-")
    words = title.lower().split()
    assert path.stem.split("-") == words[: len(path.stem.split("-"))]
    assert f"Title: {title}\n" in path.read_text(encoding="utf-8")
    assert run_invoke(project, "check").returncode == 0


def test_an_empty_required_value_is_refused_before_a_file_is_written(project: Path):
    """`--region ""` wrote an item with an empty `Region:` line, which
    `invoke check` then refused: the scaffold is to pass the check."""
    before = sorted(project.rglob("*.md"))
    for field, args in (
        ("Region", ["Judul", "--region", " ; ", "--source", "KCNA"]),
        ("Source", ["Judul", "--region", "KP", "--source", " "]),
        ("Title", ["  ", "--region", "KP", "--source", "KCNA"]),
    ):
        result = run_invoke(project, "new", *args, "--category", "Bencana")
        assert result.returncode == 1, result.stdout
        assert f"{field}: is empty; it is required" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert sorted(project.rglob("*.md")) == before
