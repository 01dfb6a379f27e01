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
