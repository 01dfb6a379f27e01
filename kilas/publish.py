"""Publish the site to a Git branch for GitHub Pages, only when it passed its checks.

The site is built with the publish settings into a temporary staging folder (the
editor's ``output/`` is never touched), checked with :mod:`kilas.sitecheck` (HTML
validity, internal links and anchors under the site's path prefix, feeds), and only
then committed on top of the branch, with ``.nojekyll`` and, when configured,
``CNAME``. History is only ever added to: the commit's parent is the newer of
the local branch and the remote's (one holds the other, or the publish is
refused), and the push is never forced. A site that is the one the branch
already holds (Pagefind's bundle compared by what it indexes: its files differ
from run to run) is not committed again. Any failure before the commit
refuses: nothing is committed, the branch is left as it was, and the reasons are
printed. It refuses a branch that is checked out (here or in another working
tree: the built site would replace the source files), and content files the
site is built from that are not committed (untracked, changed or ignored by
Git), unless told to publish them anyway.

Usage: ``python -m kilas.publish [--siteurl URL] [--remote origin]
[--branch gh-pages] [--cname HOST] [--no-push] [--allow-uncommitted]
[--settings publishconf.py]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from kilas.build import PROJECT, BuildFailed, build, init_logging, load_settings
from kilas.sitecheck import check_site

logger = logging.getLogger(__name__)

# Problems listed in a refusal before "and N more".
SHOWN_PROBLEMS = 30


class PublishRefused(Exception):
    """Nothing was published and the branch was left as it was; the message says why."""


@dataclass(frozen=True)
class Published:
    """What a successful publish did."""

    url: str
    remote: str
    branch: str
    commit: str
    pushed: bool
    cname: str
    changed: bool = True  # False: the branch already held this site

    def __str__(self) -> str:
        where = (
            f"pushed {self.branch} to {self.remote}"
            if self.pushed
            else f"committed to the local branch {self.branch} only; "
            f"`git push {self.remote} {self.branch}` publishes it"
        )
        home = self.url.rstrip("/") + "/"
        if not self.changed:
            pushed = (
                f"; pushed {self.branch}'s earlier commits to {self.remote}"
                if self.pushed
                else ""
            )
            return (
                f"kilas: nothing to publish: {self.branch} already holds the site "
                f"built for {home} (commit {self.commit[:12]}); no commit was "
                f"made{pushed}"
            )
        return f"kilas: published {home} ({where}, commit {self.commit[:12]})"


# --- git ----------------------------------------------------------------------------


def _git(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, check=False, **kwargs
    )


def _rev(ref: str) -> str | None:
    """The commit ``ref`` names, or None when it does not exist."""
    result = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return result.stdout.strip() if result.returncode == 0 else None


def _check_repository(remote: str, push: bool) -> bool:
    """Refuse early when git cannot publish; return whether ``remote`` exists."""
    if _git("rev-parse", "--git-dir").returncode != 0:
        raise PublishRefused(
            "this folder is not a Git repository: publish from a clone of the site"
        )
    has_remote = _git("remote", "get-url", remote).returncode == 0
    if push and not has_remote:
        raise PublishRefused(
            f'there is no Git remote named "{remote}": add it with '
            f"`git remote add {remote} URL`, choose another with --remote, "
            "or commit locally only with --no-push"
        )
    return has_remote


def _check_branch(branch: str) -> None:
    """Refuse a branch checked out in this or another working tree: the
    commit would replace the source files there with the built site."""
    checked_out: dict[str, str] = {}
    where = ""
    for line in _git("worktree", "list", "--porcelain").stdout.splitlines():
        if line.startswith("worktree "):
            where = line.removeprefix("worktree ")
        elif line.startswith("branch refs/heads/"):
            checked_out[line.removeprefix("branch refs/heads/")] = where
    head = _git("symbolic-ref", "--quiet", "--short", "HEAD")
    here = _git("rev-parse", "--show-toplevel").stdout.strip()
    if head.returncode == 0:
        checked_out.setdefault(head.stdout.strip(), here)
    name = branch.removeprefix("refs/heads/")
    if name in checked_out:
        tree = checked_out[name]
        tree = "this working tree" if tree == here else f"the working tree {tree}"
        raise PublishRefused(
            f'"{name}" is the branch checked out in {tree}: committing the site '
            "to it would replace your source files with the built pages; publish "
            "to a branch of its own (the default is gh-pages)"
        )


# Files of a Kilas project's sources that no built site holds.
_SOURCE_MARKERS = ("pelicanconf.py", "publishconf.py", "tasks.py")


def _check_not_sources(branch: str, parent: str | None) -> None:
    """Refuse a branch that holds the sources of a site (``main`` while
    another branch is checked out): the site committed on it would replace
    them, and a push would publish that over the sources on the remote."""
    if parent is None:
        return
    listed = _git("ls-tree", "--name-only", parent).stdout.splitlines()
    found = [name for name in _SOURCE_MARKERS if name in listed]
    if found:
        raise PublishRefused(
            f'"{branch}" holds a site\'s sources ({", ".join(found)}), not a built '
            "site: committing the site on it would replace them with the built "
            "pages; publish to a branch of its own (the default is gh-pages)"
        )


def _uncommitted(settings: dict) -> list[str]:
    """Content files the site was built from that Git does not have as they
    are: ``path (untracked)``, ``path (changed)``, ``path (ignored by Git)``."""
    content = Path(settings["PATH"]).resolve()
    read = {os.path.abspath(path) for path in settings["KILAS_STATS"]["sources"]}
    for key in ("KILAS_SOURCES_FILE", "KILAS_REGIONS_FILE"):
        if settings.get(key):
            read.add(str(content / settings[key]))
    top = _git("rev-parse", "--show-toplevel")
    status = _git(
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--ignored=matching",
        "--",
        str(content),
    )
    if top.returncode != 0 or status.returncode != 0:
        return []
    root = Path(top.stdout.strip())
    states = {"??": "untracked", "!!": "ignored by Git"}
    found = []
    entries = iter(status.stdout.split("\0"))
    for entry in entries:
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":
            next(entries, None)  # the path it was renamed or copied from
        if os.path.abspath(root / path) in read and "D" not in code:
            state = states.get(code, "not committed")
            found.append(f"{os.path.relpath(root / path)} ({state})")
    return sorted(found)


def _fetch(remote: str, branch: str) -> None:
    """Bring the remote branch up to date, so the new commit goes on top of it."""
    if _git("ls-remote", "--exit-code", "--heads", remote, branch).returncode == 2:
        return  # the first publish: the branch does not exist there yet
    result = _git(
        "fetch",
        "--quiet",
        remote,
        f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}",
    )
    if result.returncode != 0:
        raise PublishRefused(
            f"could not fetch {branch} from {remote}: {result.stderr.strip()}"
        )


def _source_description() -> str:
    head = _rev("HEAD")
    if head is None:
        return "a working tree without commits"
    dirty = _git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return head[:12] + (" with uncommitted changes" if dirty else "")


def _branch_cname(parent: str | None) -> str:
    if parent is None:
        return ""
    result = _git("show", f"{parent}:CNAME")
    return result.stdout.strip() if result.returncode == 0 else ""


def _restore(branch: str, previous: str | None) -> None:
    if previous is None:
        _git("update-ref", "-d", f"refs/heads/{branch}")
    else:
        _git("update-ref", f"refs/heads/{branch}", previous)


def _contains(newer: str, older: str) -> bool:
    return _git("merge-base", "--is-ancestor", older, newer).returncode == 0


def _parent(branch: str, remote: str, has_remote: bool) -> str | None:
    """The commit the site goes on top of: the newer of the local branch and
    the remote's (a publish from elsewhere, or commits made with --no-push
    and not pushed yet); never one that would drop the other's commits."""
    local = _rev(f"refs/heads/{branch}")
    tracked = _rev(f"refs/remotes/{remote}/{branch}") if has_remote else None
    if local is None or tracked is None or local == tracked:
        return tracked or local
    if _contains(tracked, local):
        return tracked
    if _contains(local, tracked):
        return local
    raise PublishRefused(
        f"the local branch {branch} ({local[:12]}) and {remote}/{branch} "
        f"({tracked[:12]}) have each commits the other lacks: publishing on "
        "either would drop the other's history. Keep the remote's with "
        f"`git branch -f {branch} {remote}/{branch}` (the local commits were "
        f"never pushed), or merge them, then publish again"
    )


def _tree(site: Path) -> str:
    """Write ``site``'s files into the repository, bytes as they are (no
    filters, ignore rules or line-end changes); return the tree's id."""
    files = sorted(p for p in site.rglob("*") if p.is_file())
    names = [p.relative_to(site).as_posix() for p in files]
    if any("\n" in name or "\r" in name for name in names):
        bad = next(n for n in names if "\n" in n or "\r" in n)
        raise PublishRefused(
            f"the site has a file whose name holds a line break: {bad!r}"
        )
    hashed = _git(
        "hash-object", "-w", "--no-filters", "--stdin-paths",
        input="".join(f"{p}\n" for p in files),
    )  # fmt: skip
    if hashed.returncode != 0:
        raise PublishRefused(f"git could not store the site: {hashed.stderr.strip()}")
    blobs = hashed.stdout.split()
    entries = "".join(
        f"{'100755' if os.access(p, os.X_OK) else '100644'} {blob}\t{name}\0"
        for p, name, blob in zip(files, names, blobs, strict=True)
    )
    with tempfile.TemporaryDirectory(prefix="kilas-index-") as folder:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(folder) / "index")}
        listed = _git(
            "update-index", "--add", "-z", "--index-info", input=entries, env=env
        )
        tree = _git("write-tree", env=env)
    if listed.returncode != 0 or tree.returncode != 0:
        raise PublishRefused(
            f"git could not store the site: {(listed.stderr or tree.stderr).strip()}"
        )
    return tree.stdout.strip()


# Pagefind's bundle differs between two runs on the same pages (hashed file
# names, order): it is the same when it indexes as many pages with the same
# Pagefind version, and every page it was made from is the same.
SEARCH_ENTRY = "pagefind-entry.json"


def _search_entry(tree: str, path: str) -> tuple | None:
    shown = _git("show", f"{tree}:{path}")
    if shown.returncode != 0:
        return None
    try:
        entry = json.loads(shown.stdout)
        languages = entry["languages"]
        counts = sorted((k, v["page_count"]) for k, v in languages.items())
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return entry.get("version"), counts


def _same_site(old: str, new: str, bundle: str) -> bool:
    """Whether the trees ``old`` and ``new`` are the same site (``bundle``:
    the search bundle's folder, compared by what it indexes)."""
    changed = _git("diff-tree", "-r", "-z", "--name-only", "--no-renames", old, new)
    if changed.returncode != 0:
        return False
    names = [n for n in changed.stdout.split("\0") if n]
    prefix = bundle.strip("/") + "/" if bundle.strip("/") else None
    for name in names:
        if prefix is None or not name.startswith(prefix):
            return False
        if name.endswith("/" + SEARCH_ENTRY) and (
            _search_entry(old, name) != _search_entry(new, name)
            or _search_entry(new, name) is None
        ):
            return False
    return True


# --- checks -------------------------------------------------------------------------


def _site_url(settings: dict) -> str:
    url = settings.get("SITEURL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PublishRefused(
            f'SITEURL "{url}" is not a web address: set it in publishconf.py or pass '
            "--siteurl https://<user>.github.io/<repo>"
        )
    return url


def _check_cname(cname: str, url: str, branch_cname: str, branch: str) -> None:
    if not cname:
        if branch_cname:
            raise PublishRefused(
                f"{branch} has a CNAME file ({branch_cname}) but no CNAME is "
                "configured: publishing would drop the custom domain. Set "
                f'GITHUB_PAGES_CNAME = "{branch_cname}" in publishconf.py (or pass '
                f"--cname {branch_cname}); to drop the domain on purpose, remove it "
                "in the repository's Settings → Pages first"
            )
        return
    if "/" in cname or ":" in cname or not cname.strip():
        raise PublishRefused(
            f'CNAME "{cname}" is not a host name: write only the domain, '
            "e.g. berita.example.org"
        )
    host = urlsplit(url).hostname or ""
    if host != cname.lower() or urlsplit(url).path.strip("/"):
        raise PublishRefused(
            f"with the custom domain {cname} the site is served at https://{cname}/, "
            f"but SITEURL is {url}: set SITEURL (or --siteurl) to https://{cname}"
        )


def _problem_list(problems: list) -> str:
    lines = [f"  {p}" for p in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"  … and {len(problems) - SHOWN_PROBLEMS} more")
    return "\n".join(lines)


def _stage(settings_file: str, siteurl: str | None, staging: Path) -> dict:
    """Build into ``staging`` and run every site check; refuse on any problem."""
    try:
        drafts = load_settings(settings_file, None, staging, siteurl).get(
            "KILAS_DRAFTS"
        )
    except BuildFailed as exc:  # the settings cannot be read
        raise PublishRefused(str(exc)) from exc
    if drafts:
        raise PublishRefused(
            f"{Path(settings_file).name} builds drafts as previews "
            "(KILAS_DRAFTS = True), and a published site never holds a draft: "
            "publish with publishconf.py, or set KILAS_DRAFTS = False in it"
        )
    try:
        settings = build(settings_file=settings_file, output=staging, siteurl=siteurl)
    except BuildFailed as exc:
        reason = str(exc).split(";")[0]
        raise PublishRefused(
            f"the {reason}: the problems are printed above; fix them "
            "(`invoke build` shows them too)"
        ) from exc
    url = _site_url(settings)
    base_path = urlsplit(url).path or "/"
    try:
        problems = check_site(staging, base_path=base_path, site_url=url)
    except RuntimeError as exc:
        raise PublishRefused(f"the site checks could not run: {exc}") from exc
    if problems:
        raise PublishRefused(
            f"the site checks found {len(problems)} "
            f"problem{'' if len(problems) == 1 else 's'} in the site built for "
            f"{url}:\n{_problem_list(problems)}"
        )
    return settings


# --- publish ------------------------------------------------------------------------


def publish(
    siteurl: str | None = None,
    remote: str = "origin",
    branch: str = "gh-pages",
    push: bool = True,
    cname: str | None = None,
    settings_file: str = "publishconf.py",
    project: str | Path = PROJECT,
    allow_uncommitted: bool = False,
) -> Published:
    """Build, check and commit the site to ``branch`` (then push it to ``remote``).

    Raise PublishRefused, with nothing committed and the branch as it was, when git
    cannot publish, the branch is checked out, the build fails, a check finds a
    problem, content files are not committed (unless ``allow_uncommitted``) or
    the push fails.
    """
    with contextlib.chdir(Path(project).resolve()):
        has_remote = _check_repository(remote, push)
        _check_branch(branch)
        if has_remote and push:
            _fetch(remote, branch)
        previous = _rev(f"refs/heads/{branch}")
        parent = _parent(branch, remote, has_remote)
        _check_not_sources(branch, parent)
        with tempfile.TemporaryDirectory(prefix="kilas-publish-") as folder:
            staging = Path(folder) / "site"
            settings = _stage(settings_file, siteurl, staging)
            url = _site_url(settings)
            uncommitted = _uncommitted(settings)
            if uncommitted and not allow_uncommitted:
                raise PublishRefused(
                    f"{len(uncommitted)} content file(s) the site is built from "
                    f"are not committed:\n{_problem_list(uncommitted)}\ncommit "
                    "them first (git add, git commit), or pass --allow-uncommitted "
                    "to publish them anyway"
                )
            if uncommitted:
                logger.warning(
                    "kilas: publishing content files that are not committed:\n%s",
                    _problem_list(uncommitted),
                )
            if cname is None:
                cname = settings.get("GITHUB_PAGES_CNAME", "")
            cname = cname.strip()
            _check_cname(cname, url, _branch_cname(parent), branch)
            (staging / ".nojekyll").write_bytes(b"")
            if cname:
                (staging / "CNAME").write_text(cname, encoding="utf-8")
            tree = _tree(staging)
        bundle = settings.get("SEARCH_BUNDLE_DIR", "")
        if parent is not None and _same_site(f"{parent}^{{tree}}", tree, bundle):
            commit, changed = parent, False
        else:
            message = f"Publish {url} from {_source_description()}"
            made = _git("commit-tree", tree, *(("-p", parent) if parent else ()),
                        "-m", message)  # fmt: skip
            commit, changed = made.stdout.strip(), True
            if made.returncode != 0 or not commit:
                raise PublishRefused(
                    f"git did not commit to {branch} ({made.stderr.strip()}): check "
                    "`git config user.name` and `git config user.email`"
                )
        if commit != previous:
            # Only from the value read at the start: a branch moved meanwhile
            # (another publish) is never overwritten.
            moved = _git("update-ref", f"refs/heads/{branch}", commit, previous or "")
            if moved.returncode != 0:
                raise PublishRefused(
                    f"git could not move {branch} to the new commit "
                    f"({moved.stderr.strip()}); it was left as it was"
                )
        tip = _rev(f"refs/remotes/{remote}/{branch}") if has_remote else None
        pushed = push and commit != tip
        if pushed:
            sent = _git(
                "push", "--quiet", remote, f"refs/heads/{branch}:refs/heads/{branch}"
            )
            if sent.returncode != 0:
                _restore(branch, previous)
                raise PublishRefused(
                    f"git could not publish to {remote}/{branch} "
                    f"({sent.stderr.strip()}); the local branch {branch} was put "
                    "back as it was"
                )
    return Published(url, remote, branch, commit, pushed, cname, changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kilas.publish",
        description="Build, check and publish the site to a GitHub Pages branch.",
    )
    parser.add_argument(
        "--siteurl", help="where the site is served (default: SITEURL of the settings)"
    )
    parser.add_argument("--remote", default="origin", help="Git remote to push to")
    parser.add_argument("--branch", default="gh-pages", help="branch to commit to")
    parser.add_argument(
        "--cname", help="custom domain for a CNAME file (default: GITHUB_PAGES_CNAME)"
    )
    parser.add_argument(
        "--no-push", dest="push", action="store_false", help="commit locally only"
    )
    parser.add_argument(
        "--allow-uncommitted",
        action="store_true",
        help="publish content files that are not committed (listed)",
    )
    parser.add_argument("--settings", default="publishconf.py")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    init_logging(args.verbose)
    try:
        published = publish(
            args.siteurl,
            args.remote,
            args.branch,
            args.push,
            args.cname,
            args.settings,
            Path.cwd(),
            args.allow_uncommitted,
        )
    except PublishRefused as exc:
        print(f"kilas: refusing to publish: {exc}", file=sys.stderr)
        return 1
    print(published)
    return 0


if __name__ == "__main__":
    sys.exit(main())
