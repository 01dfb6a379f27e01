"""kilas.pipeline (what the Pages workflow decides, and the replay of its
content-only path) and the incremental site check the content path runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT
from test_sitecheck import BAD_SITE, BASE, GOOD_SITE, SITE_URL, build, page

from kilas import pipeline, sitecheck

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Redaksi",
    "GIT_AUTHOR_EMAIL": "redaksi@example.org",
    "GIT_COMMITTER_NAME": "Redaksi",
    "GIT_COMMITTER_EMAIL": "redaksi@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


# --- route and decide ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "passed", "failed", "suite", "path"),
    [
        # A push: the content path only for code that passed the suite before.
        ("push", True, False, False, "content"),
        ("push", False, False, False, "code"),
        ("push", False, True, False, "code"),  # failed before: run it again, loudly
        # Pull requests always run the suite and never deploy.
        ("pull_request", True, False, False, "pr"),
        ("pull_request", False, False, False, "pr"),
        # The schedule never runs the suite again on code that failed it.
        ("schedule", True, False, False, "content"),
        ("schedule", False, False, False, "code"),  # record lost: run it
        ("schedule", False, True, False, "wait"),
        # By hand: the suite when asked for, or when the code is new.
        ("workflow_dispatch", True, False, True, "code"),
        ("workflow_dispatch", True, False, False, "content"),
        ("workflow_dispatch", False, False, False, "code"),
    ],
)
def test_route(event, passed, failed, suite, path):
    assert pipeline.route(event, passed, failed, suite) == path


def test_route_command_reads_the_workflows_strings(capsys):
    # cache-hit is "true", "false" or empty (a miss), inputs.suite "true"/"false"/"".
    for passed, expected in (("true", "content"), ("false", "code"), ("", "code")):
        argv = ["route", "--event", "push", "--passed", passed, "--failed", ""]
        assert pipeline.main(argv) == 0
        assert capsys.readouterr().out == f"path={expected}\n"


DIGEST = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("key", "digest"),
    [
        (f"kilas-deployed-16000000001-1-{DIGEST}", DIGEST),
        ("", None),  # no deployment recorded (or the record was evicted)
        ("kilas-deployed-none", None),
        (f"kilas-deployed-1-{DIGEST}", None),  # not the format written
        (f"kilas-deployed-1-1-{DIGEST}-x", None),
        (f"kilas-suite-passed-1-1-{DIGEST}", None),
    ],
)
def test_last_digest(key, digest):
    assert pipeline.last_digest(key) == digest


@pytest.mark.parametrize(
    ("event", "last", "expected"),
    [
        # A scheduled run with nothing due does nothing visible.
        ("schedule", DIGEST, {"changed": False, "check": False, "deploy": False}),
        ("schedule", "f" * 64, {"changed": True, "check": True, "deploy": True}),
        ("push", DIGEST, {"changed": False, "check": False, "deploy": False}),
        ("push", "f" * 64, {"changed": True, "check": True, "deploy": True}),
        # A lost record costs a deployment, never a skipped one.
        ("schedule", None, {"changed": True, "check": True, "deploy": True}),
        # Pull requests are checked, never deployed; by hand always deploys.
        ("pull_request", DIGEST, {"changed": False, "check": True, "deploy": False}),
        ("pull_request", None, {"changed": True, "check": True, "deploy": False}),
        (
            "workflow_dispatch",
            DIGEST,
            {"changed": False, "check": True, "deploy": True},
        ),
    ],
)
def test_decide(event, last, expected):
    key = f"kilas-deployed-7-1-{last}" if last else ""
    assert pipeline.decide(event, DIGEST, key) == expected


def test_decide_command(capsys):
    argv = ["decide", "--event", "schedule", "--digest", DIGEST]
    assert (
        pipeline.main([*argv, "--last-deployment", f"kilas-deployed-7-1-{DIGEST}"]) == 0
    )
    assert capsys.readouterr().out == "changed=false\ncheck=false\ndeploy=false\n"


# --- fingerprint and digest -------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    run = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=GIT_ENV,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def _commit(repo: Path, files: dict[str, str | None], message: str = "x") -> str:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    return pipeline.code_fingerprint(repo)


ORIGINAL = {
    "content/items/2024/08/a.md": "Title: A\n",
    "content/sources.yaml": "sources: []\n",
    "plugins/kilas_seo/kilas_seo.py": "X = 1\n",
    "theme/templates/base.html": "<html>\n",
    "requirements.txt": "pelican==4.12.0\n",
    "pelicanconf.py": "SITENAME = 'Kilas'\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "site"
    repo.mkdir()
    _git(repo, "init", "--quiet")
    _commit(repo, ORIGINAL)
    return repo


def test_content_changes_keep_the_code_fingerprint(repo):
    before = pipeline.code_fingerprint(repo)
    assert len(before) == 64
    # New, edited, removed items and registries, over several commits.
    assert _commit(repo, {"content/items/2024/08/b.md": "Title: B\n"}) == before
    assert _commit(repo, {"content/items/2024/08/a.md": "Title: A2\n"}) == before
    assert _commit(repo, {"content/sources.yaml": "sources: [x]\n"}) == before
    assert _commit(repo, {"content/items/2024/08/b.md": None}) == before
    # Files that are not committed do not count: output, caches, a venv.
    for name in ("output/index.html", ".kilas-cache/pages.json", "notes.txt"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x", encoding="utf-8")
    assert pipeline.code_fingerprint(repo) == before


@pytest.mark.parametrize(
    "name",
    [
        "plugins/kilas_seo/kilas_seo.py",
        "theme/templates/base.html",
        "requirements.txt",
        "pelicanconf.py",
        ".github/workflows/pages.yml",  # the workflow itself
        "plugins/content/reader.py",  # a folder named content, not the top one
        "content.py",  # a file beside content/
        "tests/test_x.py",
    ],
)
def test_any_other_change_changes_the_fingerprint(repo, name):
    before = pipeline.code_fingerprint(repo)
    # Even in a push that changes content too.
    changed = _commit(repo, {name: "changed = True\n", "content/items/c.md": "C\n"})
    assert changed != before
    # The same code again (a revert): the fingerprint that passed before.
    assert _commit(repo, {name: ORIGINAL.get(name)}) == before


def test_fingerprint_of_a_mode_change(repo):
    before = pipeline.code_fingerprint(repo)
    (repo / "pelicanconf.py").chmod(0o755)
    assert _commit(repo, {}) != before


def test_fingerprint_outside_a_repository(tmp_path):
    with pytest.raises(RuntimeError, match="git ls-tree"):
        pipeline.code_fingerprint(tmp_path)


def test_site_digest(tmp_path):
    site = build(tmp_path / "a", {"index.html": "<p>a", "feeds/x.xml": "<feed/>"})
    first = pipeline.site_digest(site)
    assert first == pipeline.site_digest(build(tmp_path / "b", {
        "feeds/x.xml": "<feed/>", "index.html": "<p>a",
    }))  # fmt: skip
    changes = [
        {"index.html": "<p>b"},  # one byte
        {"feeds/y.xml": "<feed/>"},  # a new file
        {"empty.txt": ""},  # even an empty one
    ]
    for number, change in enumerate(changes):
        other = build(
            tmp_path / f"c{number}", {"index.html": "<p>a", "feeds/x.xml": "<feed/>"}
        )
        assert pipeline.site_digest(build(other, change)) != first
    renamed = build(tmp_path / "d", {"index.html": "<p>a", "feeds/z.xml": "<feed/>"})
    assert pipeline.site_digest(renamed) != first
    with pytest.raises(FileNotFoundError, match="build the site first"):
        pipeline.site_digest(tmp_path / "missing")


# --- the incremental site check ---------------------------------------------------------


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return build(tmp_path / "site", GOOD_SITE)


def _check(site: Path, state: Path, checks=sitecheck.CHECKS) -> tuple[list, dict]:
    memory = sitecheck.CheckedState(state)
    problems = sitecheck.check_site(site, BASE, checks, SITE_URL, state=memory)
    return problems, memory.rechecked


def test_unchanged_pages_are_not_validated_again(good, tmp_path):
    state = tmp_path / "state.json"
    assert _check(good, state) == ([], {"html": 3, "feed": 3})
    assert _check(good, state) == ([], {"html": 0, "feed": 0})

    # An edit makes a page invalid: only it is validated, and the fault found.
    broken = page('<main id="intro"><p>Berita</span></main>')
    (good / "index.html").write_text(broken, encoding="utf-8")
    problems, rechecked = _check(good, state)
    assert rechecked == {"html": 1, "feed": 0}
    assert [(p.check, p.path) for p in problems if p.check == "html"] == [
        ("html", "index.html")
    ]
    # A page that failed is not remembered: unchanged, it still fails.
    problems_again, rechecked = _check(good, state)
    assert rechecked == {"html": 1, "feed": 0}
    assert problems_again == problems


def test_links_are_always_checked_in_full(good, tmp_path):
    state = tmp_path / "state.json"
    assert _check(good, state)[0] == []
    # No page changed, but a page they link to is gone.
    (good / "tentang.html").unlink()
    problems, rechecked = _check(good, state)
    assert rechecked == {"html": 0, "feed": 0}
    assert {p.check for p in problems} == {"link"}
    assert {p.path for p in problems} == {
        "index.html",
        "wilayah/korea-utara/index.html",
    }


def test_changed_feeds_and_pages_in_odd_folders(tmp_path):
    """Pages with spaces and accents in their path; a feed broken by an edit."""
    site = build(tmp_path / "site", GOOD_SITE)
    state = tmp_path / "state.json"
    assert _check(site, state)[0] == []
    build(site, {"arsip 2024/café.html": BAD_SITE["arsip 2024/café.html"]})
    build(site, {"feeds/all.atom.xml": BAD_SITE["feeds/rusak.atom.xml"]})
    problems, rechecked = _check(site, state)
    assert rechecked == {"html": 1, "feed": 1}
    found = {(p.check, p.path) for p in problems}
    assert ("html", "arsip 2024/café.html") in found
    assert ("feed", "feeds/all.atom.xml") in found


def test_the_state_is_trusted_only_for_the_same_bytes(good, tmp_path):
    """What is skipped is exactly what the state says passed: a state that
    claims an invalid page passed hides it (so the workflow keeps the state
    only in its own cache), and a full check finds it."""
    state = tmp_path / "state.json"
    _check(good, state)
    broken = page("<p>Berita</span>")
    (good / "tentang.html").write_text(broken, encoding="utf-8")
    saved = json.loads(state.read_text(encoding="utf-8"))
    saved["html"]["tentang.html"] = pipeline.hashlib.sha256(broken.encode()).hexdigest()
    state.write_text(json.dumps(saved), encoding="utf-8")
    problems, rechecked = _check(good, state)
    assert rechecked["html"] == 0
    assert not [p for p in problems if p.check == "html"]
    full = sitecheck.check_site(good, BASE, site_url=SITE_URL)
    assert [p.path for p in full if p.check == "html"] == ["tentang.html"]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda state: state.write_text("{not json", encoding="utf-8"),
        lambda state: state.write_text("[]", encoding="utf-8"),
        lambda state: state.write_text(
            json.dumps({**json.loads(state.read_text()), "identity": "older vnu"}),
            encoding="utf-8",
        ),
        lambda state: state.unlink(),
    ],
    ids=["unreadable", "not-a-state", "another-checker", "missing"],
)
def test_a_lost_state_costs_a_full_check(good, tmp_path, spoil):
    # The feed check alone (quicker): the state is the same for both.
    state, feeds = tmp_path / "state.json", ("feed",)
    _check(good, state, feeds)
    spoil(state)
    assert _check(good, state, feeds) == ([], {"feed": 3})
    assert _check(good, state, feeds) == ([], {"feed": 0})  # written again


def test_a_new_checker_is_a_new_identity(good, tmp_path, monkeypatch):
    state, feeds = tmp_path / "state.json", ("feed",)
    _check(good, state, feeds)
    assert _check(good, state, feeds)[1] == {"feed": 0}
    monkeypatch.setattr(sitecheck.feedparser, "__version__", "0.0-test")
    assert _check(good, state, feeds)[1] == {"feed": 3}
    monkeypatch.setattr(sitecheck, "_vnu_jar", lambda: Path(sitecheck.__file__))
    assert _check(good, state, feeds)[1] == {"feed": 3}


def test_main_with_a_state_says_what_was_checked_again(good, tmp_path, capsys):
    state = tmp_path / "nested" / "state.json"
    argv = [
        str(good),
        "--base-path",
        BASE,
        "--site-url",
        SITE_URL,
        "--state",
        str(state),
    ]
    assert sitecheck.main(argv) == 0
    assert capsys.readouterr().out == (
        "site check: 0 problems in 3 HTML files, 2 feeds; "
        "changed since they last passed: 3 HTML, 3 XML\n"
    )
    assert sitecheck.main(argv) == 0
    assert capsys.readouterr().out.endswith(
        "changed since they last passed: 0 HTML, 0 XML\n"
    )


# --- the replay ----------------------------------------------------------------------------


def test_replay_of_the_content_path(tmp_path):
    """A small replay: a clean clone of HEAD with 20 bench items, a cold build and
    full check, then one new item: the same code fingerprint, a clean clone with
    the cache restored, an incremental build and check, a changed site; then a
    scheduled run that finds nothing to deploy."""
    run = subprocess.run(
        [sys.executable, "-m", "kilas.pipeline", "replay", "--articles", "20",
         "--workdir", str(tmp_path)],
        cwd=PROJECT, capture_output=True, text=True, check=False, env=GIT_ENV,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "route: content (the code's fingerprint is unchanged)" in out
    assert "(27 items," in out  # the project's 7 and the corpus's 20
    assert "(28 items," in out  # and the new one
    assert "output changed: yes: deploy" in out
    assert "output changed: no: nothing to deploy" in out
    # The content path validated only what the new item changed.
    checks = [line for line in out.splitlines() if "site check:" in line]
    assert len(checks) == 2
    assert "0 problems" in checks[0]
    assert "0 problems" in checks[1]
    total = int(checks[0].split(" HTML files")[0].split()[-1])
    again = int(checks[1].split("last passed: ")[1].split(" HTML")[0])
    assert 0 < again < total / 2
    last = out.strip().splitlines()[-1].split()
    assert last[:3] == ["replay", "articles=20", "suite=0"]
    figures = dict(part.split("=") for part in last[1:])
    content, cold = float(figures["content_s"]), float(figures["cold_s"])
    assert content > 0
    # Times are printed to 0.01 s and the ratio to 0.001: the ratio of the
    # printed times may differ from the printed ratio by their rounding.
    slack = 0.005 * (1 + content / cold) / cold + 0.0005
    assert float(figures["ratio"]) == pytest.approx(content / cold, abs=slack)
