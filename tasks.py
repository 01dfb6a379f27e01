"""Kilas tasks: `invoke --list` shows them, `invoke --help TASK` explains one.

Thin wrappers over ``kilas/``. Invoke finds this file from any folder of the
project and puts the project root on the path; every path below is resolved
from the project root, never from the folder a task is run in.
"""

import errno
import subprocess
import sys
from pathlib import Path

from invoke import task

PROJECT = Path(__file__).resolve().parent

CONFIG = {
    "settings": PROJECT / "pelicanconf.py",
    "publish_settings": PROJECT / "publishconf.py",
    "output": PROJECT / "output",
    "host": "127.0.0.1",
    "port": 8000,
}


def _build_or_exit(**kwargs):
    from kilas.build import BuildFailed, build  # noqa: PLC0415

    try:
        return build(**kwargs)
    except BuildFailed as exc:
        sys.exit(f"kilas: {exc}")


def _init_logging(verbose=False):
    from kilas.build import init_logging  # noqa: PLC0415

    init_logging(verbose)


def _guard(folder, what="write to", deletes=True):
    """``folder`` resolved; exit when no task may write or delete there."""
    from kilas.build import BuildFailed, guard  # noqa: PLC0415

    try:
        return guard(CONFIG["settings"], PROJECT / folder, what, deletes)
    except BuildFailed as exc:
        sys.exit(f"kilas: {exc}")


@task(help={"verbose": "show Pelican's progress messages"})
def build(c, verbose=False):
    """Build the site into output/ (atomic: a failed build changes nothing)."""
    _init_logging(verbose)
    from kilas.build import describe  # noqa: PLC0415

    settings = _build_or_exit(settings_file=CONFIG["settings"], output=CONFIG["output"])
    print(f"kilas: built {CONFIG['output'].name}/ {describe(settings)}")


@task
def clean(c):
    """Remove what builds made: output/ (OUTPUT_RETENTION files stay) and its cache."""
    from kilas.build import BuildFailed  # noqa: PLC0415
    from kilas.build import clean as run_clean  # noqa: PLC0415

    _init_logging()
    try:
        kept = run_clean(CONFIG["settings"], CONFIG["output"])
    except BuildFailed as exc:
        sys.exit(f"kilas: {exc}")
    if kept:
        shown = ", ".join(kept[:5]) + (
            f" and {len(kept) - 5} more" if len(kept) > 5 else ""
        )
        print(f"kilas: kept in {CONFIG['output'].name}/ what no build wrote: {shown}")


@task(pre=[clean], post=[build])
def rebuild(c):
    """Clean, then build."""


@task
def check(c):
    """Validate every item and registry without writing output/."""
    _init_logging()
    _build_or_exit(settings_file=CONFIG["settings"], check_only=True)
    print("kilas: every item is valid; nothing was written")


def _port_problem(host, port, exc: OSError) -> str:
    return (
        f"kilas: cannot serve on {host}:{port} ({exc.strerror or exc}); stop"
        " what uses that port (another `invoke serve` or `livereload`?), or"
        " choose another one with --port N"
    )


def _port(value) -> int:
    """``--port`` as a number, or a clear exit."""
    try:
        port = int(str(value).strip())
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise SystemExit(
            f'kilas: --port "{value}" is not a port: use a number from 1024 to'
            " 65535 (0 picks a free one), e.g. --port 8000"
        )
    return port


def _serve(root, port, prefix="/"):
    from kilas.serve import make_server  # noqa: PLC0415

    problems = []
    if not (root / "index.html").is_file():
        problems.append(
            f"kilas: {root.name}/ holds no built site (no index.html): run"
            " `invoke build` first, or `invoke livereload` to build and serve"
        )
    try:
        server = make_server(root, port, prefix)
    except OSError as exc:
        problems.append(_port_problem(CONFIG["host"], port, exc))
    else:
        if problems:
            server.server_close()
    if problems:
        raise SystemExit("\n".join(problems))
    host, port = server.server_address[:2]
    prefix = f"/{prefix.strip('/')}/" if prefix.strip("/") else "/"
    print(f"kilas: serving {root.name}/ at http://{host}:{port}{prefix} (Ctrl+C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.shutdown()


@task(help={"port": "port on 127.0.0.1 (default 8000)"})
def serve(c, port=str(CONFIG["port"])):
    """Serve output/ at http://127.0.0.1:8000/."""
    _serve(CONFIG["output"], _port(port))


@task(help={"port": "port on 127.0.0.1 (default 8000)"})
def livereload(c, port=str(CONFIG["port"])):
    """Build, serve, and update the site and the browser on every save.

    Saves of content, theme, plugins or settings are watched; the site stays
    in memory between saves (see kilas/live.py)."""
    from kilas.build import BuildFailed  # noqa: PLC0415
    from kilas.live import serve  # noqa: PLC0415

    _init_logging()
    try:
        serve(CONFIG["settings"], None, CONFIG["output"], CONFIG["host"], _port(port))
    except BuildFailed as exc:  # the settings cannot be read
        sys.exit(f"kilas: {exc}")
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise SystemExit(_port_problem(CONFIG["host"], port, exc)) from None


@task(
    help={
        "siteurl": "SITEURL to build for (default: publishconf.py's; with "
        "--serve: http://127.0.0.1:PORT)",
        "serve": "also serve the build locally (Ctrl+C stops)",
        "port": "port on 127.0.0.1 for --serve (default 8000)",
    }
)
def preview(c, siteurl="", serve=False, port=str(CONFIG["port"])):
    """Build with the publish settings (publishconf.py) into output/.

    As Pelican's quickstart `preview` does; --serve also serves it."""
    from urllib.parse import urlparse  # noqa: PLC0415

    from kilas.build import describe  # noqa: PLC0415

    _init_logging()
    port = _port(port) if serve else port
    if serve and not siteurl:
        siteurl = f"http://{CONFIG['host']}:{port}"
    settings = _build_or_exit(
        settings_file=CONFIG["publish_settings"],
        output=CONFIG["output"],
        siteurl=siteurl.rstrip("/") or None,
    )
    print(f"kilas: built {CONFIG['output'].name}/ {describe(settings)}")
    if serve:
        _serve(CONFIG["output"], port, urlparse(siteurl).path or "/")


# -- Publishing -------------------------------------------------------------


@task(
    help={
        "output": "folder of the built site (default output/)",
        "base_path": "path the site is served under, e.g. /kilas/ (default /)",
        "site_url": "absolute links starting with it count as internal",
        "state": "JSON file of the pages and feeds that passed: validate only "
        "those changed since (links are always checked in full)",
    }
)
def check_site(c, output="output", base_path="/", site_url="", state=""):
    """Check a built site: valid HTML, internal links and anchors, feeds."""
    from kilas.sitecheck import main as run_checks  # noqa: PLC0415

    args = [str(PROJECT / output), "--base-path", base_path]
    if site_url:
        args += ["--site-url", site_url]
    if state:
        args += ["--state", str(PROJECT / state)]
    sys.exit(run_checks(args))


@task(
    help={
        "siteurl": "where the site is served (default SITEURL of publishconf.py)",
        "remote": "Git remote to push to (default origin)",
        "branch": "branch to commit the site to (default gh-pages)",
        "cname": "custom domain for CNAME (default GITHUB_PAGES_CNAME)",
        "push": "push after committing (--no-push commits locally only)",
        "allow_uncommitted": "publish content files that are not committed",
    }
)
def gh_pages(
    c,
    siteurl="",
    remote="origin",
    branch="gh-pages",
    cname="",
    push=True,
    allow_uncommitted=False,
):
    """Build, check and publish the site to GitHub Pages (refuses on any problem)."""
    from kilas.publish import PublishRefused, publish  # noqa: PLC0415

    _init_logging()
    try:
        published = publish(
            siteurl=siteurl or None,
            remote=remote,
            branch=branch,
            push=push,
            cname=cname or None,
            settings_file=CONFIG["publish_settings"],
            project=PROJECT,
            allow_uncommitted=allow_uncommitted,
        )
    except PublishRefused as exc:
        sys.exit(f"kilas: refusing to publish: {exc}")
    print(published)


@task(
    help={
        "title": "the headline",
        "region": "one or more regions: codes or names, separated by ';'",
        "source": "the outlet the item digests (see content/sources.yaml)",
        "category": "one category (see KILAS_CATEGORIES in pelicanconf.py)",
        "summary": "the one-paragraph summary (without it, a prompt to replace; the item "
        "is a draft either way)",
        "story": "a developing story the item belongs to",
    }
)
def new(c, title, region, source, category, summary="", story=""):
    """Scaffold a new item with every required field; never overwrites."""
    from kilas.build import BuildFailed  # noqa: PLC0415
    from kilas.scaffold import ScaffoldError, new_item  # noqa: PLC0415

    try:
        path = new_item(
            title, region, source, category, summary, story, CONFIG["settings"]
        )
    except (ScaffoldError, BuildFailed) as exc:
        sys.exit(f"kilas: {exc}")
    print(path.relative_to(PROJECT))


@task
def translations(c):
    """Extract the theme's interface strings and update the id/en catalogs."""
    from kilas import catalogs  # noqa: PLC0415

    pot = catalogs.update()
    print(f"kilas: wrote {pot.relative_to(PROJECT)}")
    for lang in catalogs.LANGUAGES:
        missing = catalogs.untranslated(lang)
        path = catalogs.po_path(lang).relative_to(PROJECT)
        note = f"{len(missing)} to translate" if missing else "complete"
        if lang == catalogs.SOURCE_LANG:
            note = "the msgids' own language"
        print(f"kilas: updated {path} ({note})")


SCREENSHOT_PAGES = {
    "home": "",
    "article": "2024/08/putin-tawarkan-bantuan-banjir-korea-utara/",
    "timeline": "linimasa/",
}
# A phone's first screen (375x667, light): what a reader sees before scrolling.
FIRST_SCREEN_PAGES = {
    "home": "",
    "story": "cerita/banjir-korea-utara-2024/",
    "search": "cari/?q=banjir",
}


@task(help={"output": "folder for the PNG files (default docs/screenshots)"})
def screenshots(c, output="docs/screenshots"):
    """Build, then screenshot pages at 375/1280 px, light/dark, and first screens."""
    from kilas import browser  # noqa: PLC0415

    _init_logging()
    folder = _guard(output, "write screenshots to", deletes=False)
    site = PROJECT / ".build" / "screenshots"
    _build_or_exit(settings_file=CONFIG["settings"], output=str(site))
    with browser.served(site) as base, browser.chromium() as chromium:
        page = chromium.new_page()
        for name, path in SCREENSHOT_PAGES.items():
            for width in browser.WIDTHS:
                for scheme in browser.SCHEMES:
                    target = folder / f"{name}-{width}-{scheme}.png"
                    browser.screenshot(page, base + path, target, width, scheme)
                    print(target.relative_to(PROJECT))
        for name, path in FIRST_SCREEN_PAGES.items():
            target = folder / f"{name}-375x667.png"
            browser.first_screen(page, base + path, target)
            print(target.relative_to(PROJECT))


LIGHTHOUSE_PAGES = {"home": "", "article": SCREENSHOT_PAGES["article"]}


@task
def lighthouse(c):
    """Build, then print Lighthouse's four scores for home and article (mobile)."""
    from kilas import browser  # noqa: PLC0415
    from kilas.lighthouse import LighthouseError, binary, scores  # noqa: PLC0415

    _init_logging()
    site = _guard(".build/lighthouse")
    failed = False
    try:
        program = binary(PROJECT)
        site.mkdir(parents=True, exist_ok=True)
        with browser.served(site) as base:
            # Absolute links, as published (hreflang links must be absolute).
            _build_or_exit(
                settings_file=CONFIG["publish_settings"],
                output=str(site),
                siteurl=base.rstrip("/"),
            )
            for name, path in LIGHTHOUSE_PAGES.items():
                found, audits = scores(program, base + path, name)
                failed |= any(score < 100 for score in found.values())
                print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in found.items()))
                for line in audits:
                    print(f"  {line}")
    except LighthouseError as exc:
        sys.exit(f"kilas: {exc}")
    if failed:
        sys.exit(1)


@task(help={"articles": "number of synthetic items (default 1000)"})
def bench(c, articles=1000):
    """Measure Kilas (clean build, edits, no change, a livereload save) against Pelican."""
    from kilas.bench import main as run_bench  # noqa: PLC0415

    sys.exit(run_bench(["--articles", str(articles), "--project-root", str(PROJECT)]))


# The suite's sites take about 0.5 GB at a time under the temporary folder
# (a passing test's folder goes when it ends, a passing run's when it ends);
# a full disk shows as hundreds of errors, so a low one is said first.
SUITE_DISK_GB = 2


def _enough_disk():
    import os  # noqa: PLC0415
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    folder = tempfile.gettempdir()
    need = float(os.environ.get("KILAS_TEST_DISK_GB", SUITE_DISK_GB))
    free = shutil.disk_usage(folder).free / 2**30
    if free < need:
        sys.exit(
            f"kilas: only {free:.1f} GB free in {folder}; the test suite needs "
            f"about {need:.1f} GB there: free some space (old pytest-of-* folders "
            "in it can go), or set TMPDIR to a folder on a larger disk"
        )


@task(
    help={
        "setup": "first install what the tests need: Debian packages (chromium, "
        "Java) and the pinned npm packages (axe-core, Lighthouse: npm ci)",
        "k": "only tests matching this pytest expression",
    }
)
def test(c, setup=False, k=""):
    """Run the whole test suite (ruff, builds, validator, links, feeds, browser)."""
    _enough_disk()
    if setup:
        from kilas.system import install_system_packages  # noqa: PLC0415

        install_system_packages()
        with c.cd(str(PROJECT)):
            c.run("npm ci --no-audit --no-fund", echo=True)
    args = [sys.executable, "-m", "pytest", "-q", "-ra"]
    if k:
        args += ["-k", k]
    sys.exit(subprocess.run(args, cwd=PROJECT, check=False).returncode)
