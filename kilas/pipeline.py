"""The publishing pipeline's own steps (``.github/workflows/pages.yml``) and a
local replay of its content-only path.

    python -m kilas.pipeline fingerprint       # the code the suite must have passed
    python -m kilas.pipeline digest output     # what a deployment would publish
    python -m kilas.pipeline route --event push --passed true   # path=content
    python -m kilas.pipeline decide --event schedule --digest D --last-deployment KEY
    python -m kilas.pipeline replay --articles 10000

``fingerprint`` hashes the commit's tree without ``content/``: two commits with
the same fingerprint differ only in content, so a fingerprint that passed the
whole suite once needs no new run of it. ``digest`` hashes a built site (every
file's path and bytes): the workflow deploys a scheduled build only when its
digest differs from the last deployment's. ``route`` and ``decide`` are the
workflow's two decisions (which path a run takes; whether a built site is
checked and deployed), kept here so that they are tested.

``replay`` runs both paths on a clean clone of this repository (HEAD) with the
bench corpus (:mod:`kilas.bench`) added to its content, and prints their times:

* the cold path, what a push that changes code runs: a cold build with the
  publish settings and the full site check (with ``--suite``, before them,
  installing the requirements in a new virtual environment and the whole test
  suite, on the clone before the corpus is added);
* the content path, what a push that adds one item (``--change edit``: edits
  an item's text) runs: a new clone of that commit in the same folder (as a
  runner checks out into the same workspace), the build cache of the cold run
  restored into it (as actions/cache does), an incremental build and the
  incremental site check;
* a scheduled run with nothing due: the build again and the digest compared.

Its last line is machine-readable: ``replay articles=N cold_s=.. content_s=..
ratio=.. schedule_s=..`` (cold_s and content_s count the steps that run the
project's code: install, suite, build, site check; restoring the cache and
checking out are printed apart).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

PROJECT = Path(__file__).resolve().parent.parent
# The top-level folder of a commit that holds only content (pelicanconf.PATH).
CONTENT = "content"
# Where the workflow keeps the site check's memory (inside the cached folder).
CHECK_STATE = ".kilas-cache/sitecheck.json"
SITE_URL = "https://kilas.github.io/kilas"
GIT_IDENTITY = ("-c", "user.name=Kilas replay", "-c", "user.email=replay@kilas.invalid")


def _git(*args: str, cwd: Path) -> str:
    run = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {run.stderr.strip()}")
    return run.stdout


def code_fingerprint(repository: Path = PROJECT, commit: str = "HEAD") -> str:
    """SHA-256 of ``commit``'s tree without its top-level content folder.

    Taken from Git's objects, not from the files on disk: untracked files,
    build output and caches never change it; any committed change outside
    ``content/`` (code, theme, plugins, settings, requirements, tests, the
    workflow itself) always does.
    """
    listing = _git("ls-tree", "--full-tree", "-z", commit, cwd=repository)
    entries = [entry for entry in listing.split("\0") if entry]
    kept = [entry for entry in entries if entry.split("\t", 1)[1] != CONTENT]
    return hashlib.sha256("\0".join(kept).encode()).hexdigest()


def site_digest(folder: Path) -> str:
    """SHA-256 of a built site: every file's path, size and bytes, in order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: build the site first")
    digest = hashlib.sha256()
    files = sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
    )
    for name in files:
        with (folder / name).open("rb") as file:
            content = hashlib.file_digest(file, "sha256").hexdigest()
        digest.update(f"{name}\0{content}\n".encode())
    return digest.hexdigest()


# Cache keys the workflow looks up (actions/cache/restore with lookup-only).
DEPLOYED_PREFIX = "kilas-deployed-"
"""``kilas-deployed-<run id>-<attempt>-<site digest>``, saved after each deployment;
the newest one is the site that is live."""
PATHS = ("code", "content", "pr", "wait")


def route(event: str, passed: bool, failed: bool = False, suite: bool = False) -> str:
    """The path a run takes.

    ``passed``: this code fingerprint passed the whole suite in an earlier run;
    ``failed``: it failed it (looked up for scheduled runs only); ``suite``: a
    manual run asked for the suite. ``code`` runs the suite before building,
    ``content`` builds with the restored cache, ``pr`` runs the suite and builds
    without deploying, ``wait`` does nothing (a scheduled run on code that
    failed its suite: the push that brought it already failed visibly).
    """
    if event == "pull_request":
        return "pr"
    if suite and event == "workflow_dispatch":
        return "code"
    if passed:
        return "content"
    if event == "schedule" and failed:
        return "wait"
    return "code"


def last_digest(deployed_key: str) -> str | None:
    """The site digest in a deployment's cache key, or None (no deployment known)."""
    if not deployed_key.startswith(DEPLOYED_PREFIX):
        return None
    parts = deployed_key[len(DEPLOYED_PREFIX) :].split("-")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[2]


def decide(event: str, digest: str, deployed_key: str) -> dict[str, bool]:
    """Whether a built site is checked and deployed.

    ``changed``: its digest differs from the last deployment's (unknown counts
    as changed: a lost record costs a deployment, never a skipped one). Pull
    requests are checked and never deployed; a manual run always deploys; a
    push or a scheduled run deploys only a site that changed.
    """
    changed = last_digest(deployed_key) != digest
    if event == "pull_request":
        return {"changed": changed, "check": True, "deploy": False}
    if event == "workflow_dispatch":
        return {"changed": changed, "check": True, "deploy": True}
    return {"changed": changed, "check": changed, "deploy": changed}


# --- replay -------------------------------------------------------------------------


class _Clock:
    """Named steps, timed as whole processes, printed as they end."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    def run(self, name: str, command: Sequence[str], cwd: Path) -> float:
        started = time.perf_counter()
        run = subprocess.run(
            list(command), cwd=cwd, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - started
        if run.returncode != 0:
            output = (run.stdout + run.stderr).strip()[-3000:]
            raise RuntimeError(f"{name} failed (exit {run.returncode}):\n{output}")
        last = (run.stdout.strip() or run.stderr.strip()).splitlines()[-1:]
        self.steps[name] = seconds
        print(f"  {name}: {seconds:.1f} s{f'  ({last[0]})' if last else ''}")
        return seconds

    def time(self, name: str, action):
        """Run ``action()`` (in this process); return what it returns."""
        started = time.perf_counter()
        result = action()
        self.steps[name] = seconds = time.perf_counter() - started
        print(f"  {name}: {seconds:.1f} s")
        return result


def _load() -> str:
    """The machine's load (1, 5 and 15 minutes): timings are noisy under load."""
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _build(siteurl: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kilas.build",
        "--settings",
        "publishconf.py",
        "--output",
        "output",
        "--siteurl",
        siteurl,
    ]


def _check(siteurl: str) -> list[str]:
    """`invoke check-site`, as the workflow runs it."""
    base_path = urlsplit(siteurl).path.rstrip("/") + "/"
    return [
        sys.executable,
        "-m",
        "invoke",
        "check-site",
        "--output",
        "output",
        "--base-path",
        base_path,
        "--site-url",
        siteurl,
        "--state",
        CHECK_STATE,
    ]


def _add_corpus(clone: Path, articles: int, seed: int) -> None:
    """The bench corpus's items and sources added to the clone's content."""
    import yaml  # noqa: PLC0415

    from kilas.bench import ITEMS_DIR, write_corpus  # noqa: PLC0415

    corpus = clone.parent / "corpus"
    write_corpus(corpus, articles, seed, ITEMS_DIR)
    content = clone / CONTENT
    shutil.copytree(
        corpus / CONTENT / ITEMS_DIR, content / ITEMS_DIR, dirs_exist_ok=True
    )
    registry = content / "sources.yaml"
    sources = yaml.safe_load(registry.read_text(encoding="utf-8"))
    added = yaml.safe_load((corpus / CONTENT / "sources.yaml").read_text("utf-8"))
    sources["sources"] += added["sources"]
    registry.write_text(yaml.safe_dump(sources, allow_unicode=True), "utf-8")
    shutil.rmtree(corpus)


def _new_item(clone: Path) -> Path:
    """One breaking-news item, dated a few minutes ago (the newest of all)."""
    import yaml  # noqa: PLC0415

    registry = (clone / CONTENT / "sources.yaml").read_text(encoding="utf-8")
    source = yaml.safe_load(registry)["sources"][0]["name"]
    now = datetime.now(ZoneInfo("Asia/Jakarta")) - timedelta(minutes=5)
    item = clone / CONTENT / "items" / f"{now:%Y}" / f"{now:%m}" / "replay-kilat.md"
    item.parent.mkdir(parents=True, exist_ok=True)
    item.write_text(
        "Title: Banjir Bandang Terjang Pesisir Utara\n"
        f"Date: {now:%Y-%m-%d %H:%M}\n"
        "Category: Bencana\n"
        "Region: ID\n"
        f"Source: {source}\n"
        "Tags: banjir, warga\n"
        "Summary: Banjir bandang menerjang pesisir utara; ribuan warga mengungsi.\n"
        "\n"
        "Banjir bandang menerjang pesisir utara pada pagi ini. Petugas membuka\n"
        "posko pengungsian di balai desa.\n",
        encoding="utf-8",
    )
    return item


def _commit(clone: Path, message: str) -> str:
    _git("add", "--all", CONTENT, cwd=clone)
    _git(*GIT_IDENTITY, "commit", "--quiet", "-m", message, cwd=clone)
    return _git("rev-parse", "HEAD", cwd=clone).strip()


def _install_and_test(clone: Path, clock: _Clock) -> None:
    """What the code path runs before building: install, then the whole suite."""
    venv = clone / ".venv"
    python = venv / "bin" / "python"
    clock.run(
        "create a virtual environment", [sys.executable, "-m", "venv", str(venv)], clone
    )
    clock.run(
        "install requirements-dev.txt",
        [str(python), "-m", "pip", "install", "-q", "-r", "requirements-dev.txt"],
        clone,
    )
    clock.run("npm ci", ["npm", "ci", "--no-audit", "--no-fund"], clone)
    clock.run("whole suite (invoke test)", [str(python), "-m", "invoke", "test"], clone)


def _edit_item(clone: Path) -> Path:
    """A sentence added to the body of the item in the middle of the list."""
    items = sorted((clone / CONTENT / "items").rglob("*.md"))
    item = items[len(items) // 2]
    with item.open("a", encoding="utf-8") as file:
        file.write("\nPembaruan: redaksi menambahkan satu kalimat.\n")
    return item


CHANGES = {"new": _new_item, "edit": _edit_item}


def replay(
    articles: int,
    workdir: Path,
    siteurl: str = SITE_URL,
    suite: bool = False,
    seed: int = 1,
    project: Path = PROJECT,
    change: str = "new",
) -> dict[str, float]:
    """Replay the cold path and the content-only path; return the figures.

    ``origin`` stands for the repository on GitHub; each run checks it out
    afresh into ``workspace``, the same folder every time, as a runner does.
    """
    workdir = Path(workdir).resolve()
    for name in ("origin", "workspace", "cache", "corpus"):
        shutil.rmtree(workdir / name, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    origin, workspace = workdir / "origin", workdir / "workspace"
    head = _git("rev-parse", "HEAD", cwd=project).strip()
    _git("clone", "--quiet", "--no-hardlinks", str(project), str(origin), cwd=workdir)
    print(f"replay: a clean clone of {head[:12]} in {origin}")
    print(f"replay: {os.cpu_count()} cores, load average {_load()} at the start")

    def checkout() -> str:
        shutil.rmtree(workspace, ignore_errors=True)
        _git(
            "clone",
            "--quiet",
            "--no-hardlinks",
            str(origin),
            str(workspace),
            cwd=workdir,
        )
        return _git("rev-parse", "HEAD", cwd=workspace).strip()

    cold, content = _Clock(), _Clock()
    print("cold path (a push that changes code):")
    if suite:
        _install_and_test(origin, cold)
    if articles:
        _add_corpus(origin, articles, seed)
        _commit(origin, f"{articles} bench items")
    before = code_fingerprint(origin)
    print(f"  checkout: a clean clone of {checkout()[:12]}")
    cold.run("cold build", _build(siteurl), workspace)
    cold.run("full site check", _check(siteurl), workspace)
    deployed = cold.time("site digest", lambda: site_digest(workspace / "output"))
    # What actions/cache saves at the end of the run.
    shutil.copytree(workspace / ".kilas-cache", workdir / "cache", symlinks=True)

    what = "adds one item" if change == "new" else "edits an item's text"
    print(f"content path (a push that {what}):")
    CHANGES[change](origin)
    _commit(origin, f"Content push ({change})")
    route = "content" if code_fingerprint(origin) == before else "code"
    print(
        f"  route: {route} (the code's fingerprint is {'un' * (route == 'content')}changed)"
    )
    if route != "content":
        raise RuntimeError("a content push changed the code's fingerprint")
    print(f"  checkout: a clean clone of {checkout()[:12]}")
    content.time(
        RESTORE,
        lambda: shutil.copytree(
            workdir / "cache", workspace / ".kilas-cache", symlinks=True
        ),
    )
    content.run("incremental build", _build(siteurl), workspace)
    content.run("incremental site check", _check(siteurl), workspace)
    published = content.time("site digest", lambda: site_digest(workspace / "output"))
    changed = published != deployed
    print(f"  output changed: {'yes: deploy' if changed else 'no: nothing to deploy'}")
    if not changed:
        raise RuntimeError("the content push did not change the built site")

    print("scheduled run (nothing due):")
    schedule = _Clock()
    schedule.run("build", _build(siteurl), workspace)
    same = schedule.time("site digest", lambda: site_digest(workspace / "output"))
    same = same == published
    print(f"  output changed: {'no: nothing to deploy' if same else 'yes: deploy'}")

    return _report(articles, suite, cold, content, schedule, same)


RESTORE = "restore the build cache (not counted: actions/cache)"


def _report(
    articles: int,
    suite: bool,
    cold: _Clock,
    content: _Clock,
    schedule: _Clock,
    unchanged: bool,
) -> dict[str, float]:
    """Print the summary and the machine-readable last line."""
    counted = {k: v for k, v in content.steps.items() if k != RESTORE}
    figures = {
        "articles": articles,
        "cold_s": sum(cold.steps.values()),
        "content_s": sum(counted.values()),
        "schedule_s": sum(schedule.steps.values()),
        "restore_s": content.steps[RESTORE],
        "schedule_unchanged": float(unchanged),
    }
    figures["ratio"] = figures["content_s"] / figures["cold_s"]
    what = "cold build + full check + digest"
    what = f"install + suite + {what}" if suite else what
    print(
        f"cold path ({what}): {figures['cold_s']:.1f} s; content path (incremental "
        f"build + incremental check + digest): {figures['content_s']:.1f} s, "
        f"{figures['ratio']:.2f} of the cold path"
    )
    print(f"replay: load average {_load()} at the end")
    print(
        f"replay articles={articles} suite={int(suite)} cold_s={figures['cold_s']:.2f} "
        f"content_s={figures['content_s']:.2f} ratio={figures['ratio']:.3f} "
        f"restore_s={figures['restore_s']:.2f} schedule_s={figures['schedule_s']:.2f}"
    )
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kilas.pipeline", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fingerprint", help="hash of HEAD's tree without content/")
    digest = commands.add_parser("digest", help="hash of a built site")
    digest.add_argument("folder", type=Path)
    way = commands.add_parser("route", help="print path=code|content|pr|wait")
    way.add_argument("--event", required=True)
    way.add_argument("--passed", default="", help="'true': the code passed the suite")
    way.add_argument("--failed", default="", help="'true': the code failed it")
    way.add_argument("--suite", default="", help="'true': run the suite anyway")
    choice = commands.add_parser(
        "decide", help="print changed=, check= and deploy= for a built site"
    )
    choice.add_argument("--event", required=True)
    choice.add_argument("--digest", required=True)
    choice.add_argument(
        "--last-deployment", default="", help="the newest kilas-deployed-* cache key"
    )
    again = commands.add_parser("replay", help="replay the cold and content paths")
    again.add_argument("--articles", type=int, default=1000)
    again.add_argument("--seed", type=int, default=1)
    again.add_argument(
        "--change",
        choices=sorted(CHANGES),
        default="new",
        help="the content push: a new item (default) or an edited item's text",
    )
    again.add_argument("--siteurl", default=SITE_URL)
    again.add_argument(
        "--suite",
        action="store_true",
        help="the cold path also installs the requirements and runs the whole suite",
    )
    again.add_argument(
        "--workdir",
        type=Path,
        help="keep the clones here (default: a temporary folder)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "fingerprint":
            print(code_fingerprint(Path.cwd()))
        elif args.command == "digest":
            print(site_digest(args.folder))
        elif args.command == "route":
            flags = (args.passed, args.failed, args.suite)
            passed, failed, suite = (flag == "true" for flag in flags)
            print(f"path={route(args.event, passed, failed, suite)}")
        elif args.command == "decide":
            decision = decide(args.event, args.digest, args.last_deployment)
            for name, value in decision.items():
                print(f"{name}={str(value).lower()}")
        elif args.workdir:
            replay(
                args.articles,
                args.workdir,
                args.siteurl,
                args.suite,
                args.seed,
                change=args.change,
            )
        else:
            with tempfile.TemporaryDirectory(prefix="kilas-replay-") as folder:
                replay(
                    args.articles,
                    Path(folder),
                    args.siteurl,
                    args.suite,
                    args.seed,
                    change=args.change,
                )
    except (RuntimeError, FileNotFoundError) as error:
        print(f"kilas: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
