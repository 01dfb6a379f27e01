"""The allow-list every item body and summary passes before it reaches a page
or a feed: nh3 (the Rust ``ammonia`` sanitiser), with the policy below.

Markdown lets an editor write raw HTML; pasted embeds bring ``<script>``,
``<iframe>``, ``on*=`` handlers and ``javascript:`` links with them. What the
policy does not allow is removed, the build goes on, and the file and line of
each removal are reported (``Removal``). What Markdown, its ``extra``
extensions and typogrify write (tables, footnotes, abbreviations, definition
lists, ``<span class="caps">``) is all allowed: such a body comes out as it
went in. The policy is part of the render cache's key.
"""

from __future__ import annotations

import json
import re
from html import escape as html_escape
from html.parser import HTMLParser
from importlib.metadata import version
from typing import NamedTuple

import nh3

# Elements kept (their content is kept when the element is not).
TAGS = frozenset(
    {
        "a", "abbr", "article", "aside", "b", "bdi", "bdo", "blockquote", "br",
        "caption", "cite", "code", "col", "colgroup", "data", "dd", "del",
        "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
        "i", "img", "ins", "kbd", "li", "mark", "nav", "ol", "p", "pre", "q",
        "rp", "rt", "ruby", "s", "samp", "section", "small", "span", "strong",
        "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "time", "tr", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
# Elements removed with everything inside them.
CLEAN_CONTENT_TAGS = frozenset(
    {
        "script", "style", "template", "iframe", "frame", "frameset", "object",
        "embed", "applet", "noscript", "noembed", "noframes", "svg", "math",
        "textarea", "select", "title", "xmp", "plaintext",
    }
)  # fmt: skip
# Attributes kept, per element ("*": on every element). No style attribute:
# the pages' Content-Security-Policy allows no inline style either.
ATTRIBUTES = {
    "*": frozenset({"class", "id", "title", "lang", "dir"}),
    "a": frozenset({"href", "hreflang", "rel"}),
    "img": frozenset({"src", "alt", "width", "height", "loading", "decoding"}),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "del": frozenset({"cite", "datetime"}),
    "ins": frozenset({"cite", "datetime"}),
    "time": frozenset({"datetime"}),
    "data": frozenset({"value"}),
    "ol": frozenset({"start", "reversed", "type"}),
    "li": frozenset({"value"}),
    "td": frozenset({"colspan", "rowspan", "headers"}),
    "th": frozenset({"colspan", "rowspan", "headers", "scope", "abbr"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "details": frozenset({"open"}),
}
# Addresses in href, src and cite: these schemes, or relative (no scheme).
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})

# Python-Markdown aligns table cells with a style attribute; a class does
# the same under the CSP (theme/static/css/kilas.css, "Item bodies").
_CELL_ALIGN = re.compile(r'<(th|td) style="text-align: (left|right|center);">')
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# What a browser drops from a URL before reading its scheme.
_URL_NOISE = re.compile(r"[\t\n\r]|^[\x00-\x20]+")


class Removal(NamedTuple):
    """Something the policy removed: ``what`` (``<script>``, ``onerror=`` on
    ``<img>``, ``javascript: address``) and a piece of source to find it by."""

    what: str
    needle: str


def policy() -> str:
    """The policy and nh3's version, as a stable string (a cache key part)."""
    return json.dumps(
        {
            "tags": sorted(TAGS),
            "clean": sorted(CLEAN_CONTENT_TAGS),
            "attributes": {k: sorted(v) for k, v in ATTRIBUTES.items()},
            "schemes": sorted(URL_SCHEMES),
            "nh3": version("nh3"),
        },
        sort_keys=True,
    )


def align_cells(html: str) -> str:
    return _CELL_ALIGN.sub(r'<\1 class="align-\2">', html)


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


# How a removal of an address nh3 cannot read ends (``Removal.what``).
NO_ADDRESS = "which is no address"


def dropped(value: str) -> bool:
    """Whether ``sanitise`` drops the address ``value`` although its scheme
    is allowed: nh3 drops one it cannot parse (``https://[::1/``, a port
    above 65535), and the link is gone from the page."""
    if url_scheme(value) not in URL_SCHEMES:
        return False
    kept = nh3.clean(
        f'<a href="{html_escape(value)}">',
        tags={"a"},
        attributes={"a": {"href"}},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
    )
    return "href=" not in kept


def url_scheme(value: str) -> str | None:
    """The scheme a browser reads in ``value`` (lower case), None if relative."""
    match = _SCHEME.match(_URL_NOISE.sub("", value))
    return match[1].lower() if match else None


class _Finder(HTMLParser):
    """Lists what ``sanitise`` removes, for the editor (nh3 does the removing)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.removed: list[Removal] = []
        # Inside an element removed with its content: (its name, depth).
        self.dropping: tuple[str, int] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if self.dropping:
            name, depth = self.dropping
            self.dropping = (name, depth + (tag == name))
            return
        if tag in CLEAN_CONTENT_TAGS:
            self.dropping = (tag, 1)
        if tag not in TAGS:
            self.removed.append(Removal(f"<{tag}>", f"<{tag}"))
            return
        allowed = ATTRIBUTES["*"] | ATTRIBUTES.get(tag, frozenset())
        for name, value in attrs:
            if name not in allowed:
                self.removed.append(Removal(f"{name}= on <{tag}>", name))
            elif name in _URL_ATTRIBUTES and value:
                scheme = url_scheme(value)
                if scheme and scheme not in URL_SCHEMES:
                    self.removed.append(
                        Removal(f"{scheme}: address in {name}= of <{tag}>", value)
                    )
                elif dropped(value):
                    what = f'{name}="{value}" of <{tag}>, {NO_ADDRESS}'
                    self.removed.append(Removal(what, value))

    def handle_startendtag(self, tag: str, attrs) -> None:
        if not self.dropping:
            self.handle_starttag(tag, attrs)
            if self.dropping == (tag, 1):
                self.dropping = None

    def handle_endtag(self, tag: str) -> None:
        if self.dropping and self.dropping[0] == tag:
            depth = self.dropping[1] - 1
            self.dropping = (tag, depth) if depth else None


def removals(html: str) -> list[Removal]:
    """What ``sanitise(html)`` takes out, in document order (comments aside)."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return finder.removed


_LINK_ATTRIBUTES = frozenset(
    {"href", "src", "srcset", "action", "formaction", "cite", "poster", "data",
     "background", "xlink:href", "ping"}
)  # fmt: skip
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^<>\s]*)>")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        for name, value in attrs:
            if name in _LINK_ATTRIBUTES and value:
                parts = value.split(",") if name == "srcset" else [value]
                self.targets += [part.split()[0] for part in parts if part.split()]


def link_targets(text: str, html: str) -> list[str]:
    """Every address an editor wrote in ``text`` as a Markdown link or image,
    an autolink or raw HTML; ``html`` is ``text`` through Markdown with raw
    HTML kept."""
    finder = _Links()
    finder.feed(html)
    finder.close()
    return list(dict.fromkeys(_AUTOLINK.findall(text) + finder.targets))
