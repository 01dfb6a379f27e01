"""`invoke gh-pages` publishes to a real (local, bare) Git remote: the branch gets
the site, `.nojekyll` and `CNAME`, history grows by one commit per publish, and a
broken build or a failed check is refused with the branch left as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import add_item, snapshot

BRANCH = "gh-pages"
DOMAIN = "kilas.example.org"
ITEM = "content/items/2024/08/banjir-hancurkan-4000-rumah.md"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Redaksi Kilas",
    "GIT_AUTHOR_EMAIL": "redaksi@example.org",
    "GIT_COMMITTER_NAME": "Redaksi Kilas",
    "GIT_COMMITTER_EMAIL": "redaksi@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,  # the machine's own Git settings stay out
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **GIT_ENV},
    )


def _git(cwd: Path, *args: str) -> str:
    result = _run(["git", *args], cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _gh_pages(project: Path, *args: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "invoke", "gh-pages", *args], project)


def _ref(repo: Path) -> str | None:
    result = _run(["git", "rev-parse", "--verify", "--quiet", BRANCH], repo)
    return result.stdout.strip() if result.returncode == 0 else None


def _set_setting(project: Path, old: str, new: str) -> None:
    conf = project / "publishconf.py"
    text = conf.read_text(encoding="utf-8")
    assert old in text
    conf.write_text(text.replace(old, new), encoding="utf-8")


def _edit_committed(repo: Path, text: str) -> None:
    """Add ``text`` to ITEM's body and commit it."""
    item = repo / ITEM
    item.write_text(item.read_text(encoding="utf-8") + text, encoding="utf-8")
    _git(repo, "commit", "--quiet", "-am", "Edit")


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    _git(tmp_path, "init", "--quiet", "--bare", str(bare))
    return bare


@pytest.fixture
def repo(project: Path, remote: Path) -> Path:
    """The project copy as a Git clone of the site with ``remote`` as origin."""
    _git(project, "init", "--quiet")
    _git(project, "add", "-A")
    _git(project, "commit", "--quiet", "-m", "The site")
    _git(project, "remote", "add", "origin", str(remote))
    return project


def test_publish_keeps_history_and_refuses_a_broken_site(repo, remote):
    _set_setting(
        repo,
        'SITEURL = "https://kilas.github.io"',
        f'SITEURL = "https://{DOMAIN}"',
    )
    _set_setting(repo, 'GITHUB_PAGES_CNAME = ""', f'GITHUB_PAGES_CNAME = "{DOMAIN}"')
    _git(repo, "commit", "--quiet", "-am", "Custom domain")

    first = _gh_pages(repo)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"published https://{DOMAIN}/ (pushed gh-pages to origin" in first.stdout
    files = _git(remote, "ls-tree", "-r", "--name-only", BRANCH).splitlines()
    for name in ("index.html", ".nojekyll", "CNAME", "tentang/index.html"):
        assert name in files
    assert _git(remote, "show", f"{BRANCH}:CNAME") == DOMAIN
    index = _git(remote, "show", f"{BRANCH}:index.html")
    assert f'href="https://{DOMAIN}/theme/css/' in index
    assert not (repo / "output").exists()  # the editor's output/ is not used
    first_commit = _ref(remote)
    assert _ref(repo) == first_commit

    # (A change: a publish of the same site makes no commit, tested below.)
    _edit_committed(repo, "\nTambahan.\n")
    second = _gh_pages(repo)
    assert second.returncode == 0, second.stdout + second.stderr
    second_commit = _ref(remote)
    assert second_commit != first_commit
    assert _git(remote, "rev-parse", f"{BRANCH}^") == first_commit  # on top
    assert _git(remote, "rev-list", "--count", BRANCH) == "2"
    message = _git(remote, "log", "-1", "--format=%s", BRANCH)
    assert (
        message
        == f"Publish https://{DOMAIN} from {_git(repo, 'rev-parse', 'HEAD')[:12]}"
    )

    # A broken item: the build fails, nothing is committed or pushed.
    item = repo / ITEM
    good = item.read_text(encoding="utf-8")
    item.write_text(good.replace("Region: ", "Region: Atlantis; ", 1), encoding="utf-8")
    broken = _gh_pages(repo)
    assert broken.returncode != 0
    assert "refusing to publish: the build failed" in broken.stderr
    assert 'unknown region "Atlantis"' in broken.stderr
    assert _ref(remote) == second_commit
    assert _ref(repo) == second_commit

    # A valid item with a dead link: the build names it (it was the check of
    # the built site, after the build, that refused it).
    item.write_text(
        good + "\nLihat juga [laporan lama](/2023/01/tidak-ada/).\n", encoding="utf-8"
    )
    dead_link = _gh_pages(repo)
    assert dead_link.returncode != 0
    assert "refusing to publish: the build failed" in dead_link.stderr
    assert "links to /2023/01/tidak-ada/, which is no page of the site" in (
        dead_link.stderr
    )
    assert _ref(remote) == second_commit
    assert _ref(repo) == second_commit

    # Forgetting the custom domain would drop CNAME from the branch: refused.
    item.write_text(good, encoding="utf-8")
    _set_setting(repo, f'GITHUB_PAGES_CNAME = "{DOMAIN}"', 'GITHUB_PAGES_CNAME = ""')
    no_cname = _gh_pages(repo)
    assert no_cname.returncode != 0
    assert f"has a CNAME file ({DOMAIN})" in no_cname.stderr
    assert _ref(remote) == second_commit


def test_project_site_without_push(repo, remote):
    siteurl = "https://redaksi.github.io/kilas"
    result = _gh_pages(repo, "--siteurl", siteurl, "--no-push")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"published {siteurl}/ (committed to the local branch" in result.stdout
    assert _ref(remote) is None  # nothing pushed
    files = _git(repo, "ls-tree", "-r", "--name-only", BRANCH).splitlines()
    assert "index.html" in files
    assert ".nojekyll" in files
    assert "CNAME" not in files
    index = _git(repo, "show", f"{BRANCH}:index.html")
    assert f'href="{siteurl}/theme/css/' in index
    # The source branch was not touched by the publish.
    assert _git(repo, "status", "--porcelain") == ""


def test_refusals_before_anything_is_committed(repo, remote):
    _git(repo, "remote", "remove", "origin")
    no_remote = _gh_pages(repo)
    assert no_remote.returncode != 0
    assert 'there is no Git remote named "origin"' in no_remote.stderr

    mismatch = _gh_pages(repo, "--no-push", "--cname", DOMAIN)
    assert mismatch.returncode != 0
    assert f"with the custom domain {DOMAIN}" in mismatch.stderr
    assert _ref(repo) is None


def test_check_site_task(site, tmp_path):
    good = _run(
        [sys.executable, "-m", "invoke", "check-site", "--output", str(site)],
        Path(__file__).resolve().parent.parent,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "site check: 0 problems" in good.stdout
    # The same checks see a prefix the site was not built for.
    prefixed = _run(
        [
            sys.executable,
            "-m",
            "invoke",
            "check-site",
            "--output",
            str(site),
            "--base-path",
            "/kilas/",
        ],
        Path(__file__).resolve().parent.parent,
    )
    assert prefixed.returncode == 1
    assert "link escapes the path prefix" in prefixed.stdout


def test_rejected_push_puts_the_local_branch_back(repo, remote):
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'gh-pages is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    rejected = _gh_pages(repo)
    assert rejected.returncode != 0
    assert "git could not publish to origin/gh-pages" in rejected.stderr
    assert "the local branch gh-pages was put back as it was" in rejected.stderr
    assert _ref(remote) is None
    assert _ref(repo) is None


def test_refuses_to_publish_onto_a_checked_out_branch(repo, remote, tmp_path):
    head = _git(repo, "rev-parse", "HEAD")
    current = _git(repo, "symbolic-ref", "--short", "HEAD")
    before = snapshot(repo / "content")
    result = _gh_pages(repo, "--branch", current, "--no-push")
    assert result.returncode != 0
    assert (
        f'refusing to publish: "{current}" is the branch checked out in this '
        "working tree" in result.stderr
    )
    assert _git(repo, "rev-parse", current) == head
    assert _git(repo, "status", "--porcelain") == ""
    assert snapshot(repo / "content") == before
    # A branch checked out in another working tree of the repository.
    other = tmp_path / "draft"
    _git(repo, "worktree", "add", "--quiet", "-b", "draft", str(other))
    result = _gh_pages(repo, "--branch", "draft", "--no-push")
    assert result.returncode != 0
    assert f'"draft" is the branch checked out in the working tree {other}' in (
        result.stderr
    )
    assert _git(repo, "rev-parse", "draft") == head
    assert _ref(remote) is None


def test_refuses_to_publish_onto_a_branch_of_sources(repo, remote):
    """From a feature branch, `--branch main` committed the built site on
    main (not checked out here): its next push would have replaced the
    sources on the remote with the built pages. Also when only the remote
    has the branch."""
    main = _git(repo, "symbolic-ref", "--short", "HEAD")
    head = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "--quiet", "-b", "pemilu-2024")
    result = _gh_pages(repo, "--branch", main, "--no-push")
    assert result.returncode != 0
    assert (
        f'refusing to publish: "{main}" holds a site\'s sources (pelicanconf.py,'
        in result.stderr
    )
    assert _git(repo, "rev-parse", main) == head
    _git(repo, "push", "--quiet", "origin", f"{main}:refs/heads/sumber")
    result = _gh_pages(repo, "--branch", "sumber")
    assert result.returncode != 0
    assert '"sumber" holds a site\'s sources' in result.stderr
    assert _git(remote, "rev-parse", "sumber") == head
    assert _ref(remote) is None
    # The site's own branch is still published to.
    assert _gh_pages(repo, "--no-push").returncode == 0


def test_uncommitted_content_is_named_and_refused(repo, remote):
    new = add_item(repo, "belum-dikomit", "Butir Belum Dikomit", "published", "Isi.")
    item = repo / ITEM
    item.write_text(item.read_text(encoding="utf-8") + "\nTambahan.\n", "utf-8")
    result = _gh_pages(repo, "--no-push")
    assert result.returncode != 0
    assert "2 content file(s) the site is built from are not committed" in (
        result.stderr
    )
    assert f"{new.relative_to(repo)} (untracked)" in result.stderr
    assert f"{ITEM} (not committed)" in result.stderr
    assert "--allow-uncommitted" in result.stderr
    assert _ref(repo) is None
    published = _gh_pages(repo, "--no-push", "--allow-uncommitted")
    assert published.returncode == 0, published.stdout + published.stderr
    assert "publishing content files that are not committed" in published.stderr
    assert f"{new.relative_to(repo)} (untracked)" in published.stderr
    files = _git(repo, "ls-tree", "-r", "--name-only", BRANCH).splitlines()
    assert "2024/08/belum-dikomit/index.html" in files


def _log(repo: Path, ref: str = BRANCH) -> list[str]:
    return _git(repo, "rev-list", ref).splitlines()


def test_the_same_site_again_makes_no_commit(repo, remote):
    first = _gh_pages(repo)
    assert first.returncode == 0, first.stdout + first.stderr
    published = _ref(remote)
    # Built again from the same files: Pagefind's bundle differs byte for
    # byte, the site does not; nothing is committed or pushed.
    again = _gh_pages(repo)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to publish: gh-pages already holds the site" in again.stdout
    assert published[:12] in again.stdout
    assert _ref(remote) == published
    assert _ref(repo) == published
    assert _log(remote) == [published]
    # Without a push too; a real change is committed on top.
    local = _gh_pages(repo, "--no-push")
    assert "no commit was made" in local.stdout
    assert _ref(repo) == published
    _edit_committed(repo, "\nTambahan.\n")
    changed = _gh_pages(repo)
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert _log(remote) == [_ref(repo), published]


def test_commits_not_yet_pushed_stay_in_the_history(repo, remote):
    first = _gh_pages(repo)
    assert first.returncode == 0, first.stdout + first.stderr
    # Two publishes with --no-push: the second goes on top of the first
    # (the remote's branch, older, does not replace it).
    _edit_committed(repo, "\nSatu.\n")
    assert _gh_pages(repo, "--no-push").returncode == 0
    one = _ref(repo)
    _edit_committed(repo, "\nDua.\n")
    assert _gh_pages(repo, "--no-push").returncode == 0
    two = _ref(repo)
    assert _log(repo)[:3] == [two, one, _ref(remote)]
    # Nothing changed since: the earlier commits are pushed, none is added.
    pushed = _gh_pages(repo)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "no commit was made; pushed gh-pages's earlier commits" in pushed.stdout
    assert _ref(remote) == two
    assert len(_log(remote)) == 3


def test_a_publish_from_elsewhere_is_built_on_never_replaced(repo, remote, tmp_path):
    # Another computer publishes after this clone's last fetch.
    assert _gh_pages(repo).returncode == 0
    other = tmp_path / "other"
    _git(tmp_path, "clone", "--quiet", str(repo), str(other))
    _git(other, "remote", "set-url", "origin", str(remote))
    _git(other, "fetch", "--quiet", "origin")
    _edit_committed(other, "\nDari komputer lain.\n")
    assert _gh_pages(other).returncode == 0
    theirs = _ref(remote)
    # Here, a change of its own: it goes on top of theirs.
    _edit_committed(repo, "\nDari sini.\n")
    ours = _gh_pages(repo)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert _git(remote, "rev-parse", f"{BRANCH}^") == theirs
    # A local commit (--no-push) while the remote moved again: each has
    # commits the other lacks; refused, nothing moves.
    _edit_committed(other, "\nLagi.\n")
    assert _gh_pages(other).returncode == 0
    _edit_committed(repo, "\nLokal.\n")
    assert _gh_pages(repo, "--no-push").returncode == 0
    local, remote_tip = _ref(repo), _ref(remote)
    diverged = _gh_pages(repo)
    assert diverged.returncode != 0
    assert "have each commits the other lacks" in diverged.stderr
    assert f"git branch -f {BRANCH} origin/{BRANCH}" in diverged.stderr
    assert (_ref(repo), _ref(remote)) == (local, remote_tip)


def test_settings_that_build_drafts_never_publish(repo, remote):
    draft = add_item(repo, "draf-uji", "Draf Uji", "draft", "Isi draf.")
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", "A draft")
    for args in (
        # The development settings (drafts as previews under draf/).
        ["--settings", "pelicanconf.py", "--siteurl", "https://kilas.github.io"],
        [],  # publishconf.py with the line copied from pelicanconf.py
    ):
        if not args:
            _set_setting(repo, "KILAS_DRAFTS = False", "KILAS_DRAFTS = True")
        result = _run([sys.executable, "-m", "kilas.publish", "--no-push", *args], repo)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "builds drafts as previews (KILAS_DRAFTS = True)" in result.stderr
        assert _ref(repo) is None
    assert draft.is_file()
