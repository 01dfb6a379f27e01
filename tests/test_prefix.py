"""The published site works where GitHub Pages serves it: at the root for a user
site, under ``/<repo>/`` for a project site. The site is built with the publish
settings, served over HTTP under that path, and crawled from the home page (and
from the 404 page, which GitHub Pages serves at any depth)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.etree
import lxml.html
import pytest
from conftest import run_build

from kilas.serve import make_server

# What a reader's browser fetches or follows.
HTML_REFERENCES = "//a/@href | //link/@href | //script/@src | //img/@src"
FEED_REFERENCES = "//*[local-name()='link']/@href"


def _references(url: str, body: bytes, content_type: str) -> Iterator[str]:
    if "html" in content_type:
        root = lxml.html.document_fromstring(body)
        found = root.xpath(HTML_REFERENCES)
    elif "xml" in content_type:
        root = lxml.etree.fromstring(body, lxml.etree.XMLParser(no_network=True))
        found = root.xpath(FEED_REFERENCES)
        found += [link.text for link in root.iter("link") if link.text]  # RSS
    else:
        return
    for reference in found:
        yield urldefrag(urljoin(url, reference.strip())).url


def _fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"] or ""


def _crawl(starts: list[str], origin: str, prefix: str) -> dict[str, list]:
    """Fetch every internal URL reachable from ``starts``; sort what went wrong."""
    seen, queue = set(starts), deque(starts)
    report: dict[str, list] = {"fetched": [], "broken": [], "escaping": []}
    while queue:
        url = queue.popleft()
        status, body, content_type = _fetch(url)
        report["fetched"].append(url)
        if status != 200 and url not in starts[1:]:  # the rest are 404 pages on purpose
            report["broken"].append((url, status))
            continue
        for target in _references(url, body, content_type):
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or target.find(origin) != 0:
                continue  # another site, mailto:…
            if not parts.path.startswith(prefix):
                report["escaping"].append((url, target))
            elif target not in seen:
                seen.add(target)
                queue.append(target)
    return report


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple]:
    """(origin, prefix, output): the site built for and served at origin+prefix."""
    prefix = request.param
    output = tmp_path / "output"
    output.mkdir()
    server = make_server(output, 0, prefix)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    result = run_build(
        "--settings",
        "publishconf.py",
        "--output",
        str(output),
        "--siteurl",
        origin + prefix.rstrip("/"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield origin, prefix, output
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    "served", ["/kilas/", "/"], ids=["project-site", "user-site"], indirect=True
)
def test_every_internal_link_resolves_under_the_prefix(served):
    origin, prefix, output = served
    home = origin + prefix
    missing = [home + "tidak-ada/", home + "2024/08/tidak-ada/sama-sekali/"]
    report = _crawl([home, *missing], origin, prefix)

    assert report["broken"] == []
    assert report["escaping"] == []
    fetched = {urlsplit(url).path for url in report["fetched"]}
    items = [p.relative_to(output).as_posix() for p in output.glob("*/*/*/index.html")]
    assert len(items) >= 7
    for item in items:  # every item is reachable from the home page
        assert prefix + item.removesuffix("index.html") in fetched
    assert prefix + "theme/css/kilas.css" in fetched  # the stylesheet
    assert prefix + "feeds/semua.atom.xml" in fetched  # the feed…
    assert prefix + "2024/08/banjir-hancurkan-4000-rumah/" in fetched  # …its entries
    assert prefix + "favicon.svg" in fetched


@pytest.mark.parametrize("served", ["/kilas/"], ids=["project-site"], indirect=True)
def test_feed_links_are_absolute_under_the_prefix(served):
    origin, prefix, output = served
    feed = lxml.etree.parse(str(output / "feeds/semua.atom.xml"))
    links = feed.xpath("//*[local-name()='link']/@href")
    assert links
    for link in links:
        assert link.startswith(origin + prefix), link
