"""What a reader sees on a phone and hears from a screen reader when content
is extreme: a wide table and a long code line in an item's text, summaries
that hold links, a dozen items from one outlet each linking its report, and
the keyboard going through every link of a page."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import lxml.html
import pytest
from conftest import copy_project

from kilas import browser
from kilas.build import build

AXE = Path(__file__).resolve().parent.parent / "node_modules/axe-core/axe.min.js"
ITEM = "2024/10/tabel-lebar/"
CATEGORY = "kategori/bencana/"
LIST_ITEMS = 12
SOURCE_LINE = "Source: Koran Pagi\nSource_URL: https://example.com/laporan/{n}\n"
BODY = """\
Paragraf pembuka.

| Kolom satu | Kolom dua | Kolom tiga | Kolom empat | Kolom lima | Kolom enam | Kolom tujuh | Kolom delapan |
|---|---|---|---|---|---|---|---|
| nilai panjang sekali | nilai panjang sekali | nilai panjang sekali | nilai panjang sekali | nilai panjang sekali | nilai panjang sekali | nilai panjang sekali | nilai panjang sekali |

    kode_yang_sangat_panjang = fungsi(argumen_pertama, argumen_kedua, argumen_ketiga, argumen_keempat)

Paragraf penutup.
"""
# A summary longer than the lines a phone shows of a lead, with a link last.
SUMMARY = (
    "Hujan deras selama beberapa hari memicu banjir besar yang merendam "
    "puluhan desa, memutus jalan, dan memaksa ribuan warga mengungsi ke "
    "balai desa dan sekolah, menurut laporan pemerintah daerah setempat "
    "yang dikutip [laporan lengkap](https://example.com/laporan/lengkap)."
)


def _item(folder: Path, name: str, title: str, day: int, extra: str, body: str):
    (folder / f"{name}.md").write_text(
        f"Title: {title}\nDate: 2024-10-{day:02d} 09:00\nCategory: Bencana\n"
        f"Region: Korea Utara\n{extra}Summary: {SUMMARY}\n\n{body}\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def extreme(tmp_path_factory) -> Path:
    """The repository's content with an item whose text holds a wide table
    and a long code line, and a dozen items of one developing story from one
    outlet, each with its report's address and a summary ending in a link."""
    project = copy_project(tmp_path_factory.mktemp("extreme") / "project")
    content = project / "content"
    with (content / "sources.yaml").open("a", encoding="utf-8") as sources:
        sources.write(
            "  - name: Koran Pagi\n    homepage: https://example.com/\n"
            "    kind: outlet\n"
        )
    items = content / "items" / "2024" / "10"
    items.mkdir(parents=True)
    _item(
        items,
        "tabel-lebar",
        "Tabel Korban Banjir per Desa",
        2,
        SOURCE_LINE.format(n="tabel"),
        BODY,
    )
    for n in range(LIST_ITEMS):
        _item(
            items,
            f"banjir-{n:02d}",
            f"Banjir Hari ke-{n + 1} di Desa Pesisir",
            1 + n % 3,
            SOURCE_LINE.format(n=n) + "Story: Banjir Pesisir 2024\n",
            "Isi singkat.",
        )
    output = project / "output"
    build(
        settings_file=project / "pelicanconf.py",
        output=output,
        extra={"SEARCH_INDEX": False},
    )
    return output


@pytest.fixture(scope="module")
def chromium():
    with browser.chromium() as instance:
        yield instance


# The focused element's ring (outline) against each box around it that cuts
# off what overflows it: on each side the ring lies inside the box, unless
# the element itself reaches past that side (a link of a sideways row the
# browser scrolled only partly into view: it shows the rest of its ring).
RING_CUT = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const name = e.tagName + ' "' + e.textContent.trim().slice(0, 40) + '"';
  if (s.outlineStyle === 'none') return name + ': no focus ring';
  const grow = parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset);
  const r = e.getBoundingClientRect();
  const own = [r.left, r.top, -r.right, -r.bottom];
  const ring = [r.left - grow, r.top - grow, -r.right - grow, -r.bottom - grow];
  for (let box = e.parentElement; box && box !== document.body; box = box.parentElement) {
    const b = getComputedStyle(box);
    if (b.overflowX === 'visible' && b.overflowY === 'visible') continue;
    const c = box.getBoundingClientRect();
    const left = c.left + box.clientLeft, top = c.top + box.clientTop;
    const clip = [left, top, -(left + box.clientWidth), -(top + box.clientHeight)];
    const cut = [0, 1, 2, 3].filter((side) =>
      ring[side] < clip[side] - 0.5 && own[side] >= clip[side] - 0.5);
    const hidden = own[0] >= -clip[2] || own[1] >= -clip[3]
      || -own[2] <= clip[0] || -own[3] <= clip[1];
    if (cut.length || hidden)
      return name + (hidden ? ': hidden' : ': ring cut off') + ' by '
        + box.tagName + '.' + box.className;
  }
  return null;
}"""


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_the_focus_ring_is_never_cut_off(extreme: Path, chromium, width: int):
    """Going through a page with the Tab key, the ring around each link is
    seen whole: not cut off by the navigation or the row of developing
    stories (boxes that scroll sideways), nor hidden in the lines of a lead
    summary a phone does not show."""
    problems = []
    with browser.served(extreme) as base:
        page = chromium.new_page(viewport={"width": width, "height": 700})
        for path in ("", ITEM, CATEGORY):
            page.goto(base + path, wait_until="load")
            for _ in range(120):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement === document.body"):
                    break
                problem = page.evaluate(RING_CUT)
                if problem:
                    problems.append(f"/{path} {width}px: {problem}")
            else:
                pytest.fail(f"/{path}: more than 120 stops for the Tab key")
        page.close()
    assert problems == [], "\n".join(problems)


# Words of table cells that the browser broke over two lines.
BROKEN_WORDS = """() => [...document.querySelectorAll('.article-body :is(th, td)')]
  .flatMap((cell) => {
    const text = cell.firstChild;
    const broken = [];
    for (const match of text.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(text, match.index);
      range.setEnd(text, match.index + match[0].length);
      if (new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1)
        broken.push(match[0]);
    }
    return broken;
  })"""

# What of the item's text reaches past its column (under the facts beside
# it on a wide screen, past the screen's edge on a phone), but what a box
# that scrolls by itself holds.
PAST_THE_COLUMN = """() => {
  const text = document.querySelector('.article-body');
  const column = document.querySelector('.article-text').getBoundingClientRect();
  const scrolled = (e) => {
    for (let box = e.parentElement; box !== text; box = box.parentElement)
      if (getComputedStyle(box).overflowX !== 'visible') return true;
    return false;
  };
  return [...text.querySelectorAll('*')]
    .filter((e) => e.getBoundingClientRect().right > column.right + 0.5 && !scrolled(e))
    .map((e) => e.tagName);
}"""


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_wide_tables_and_code_stay_in_the_text_column(
    extreme: Path, chromium, width: int
):
    """A table wider than the screen scrolls sideways by itself, its words
    whole, and can be scrolled with the keyboard; a long line of code
    wraps. Nothing reaches past the text's column: the page never scrolls
    sideways on a phone, and no text runs under the facts on a wide screen."""
    with browser.served(extreme) as base:
        # axe is injected as an inline script, which the pages' CSP forbids.
        context = chromium.new_context(
            bypass_csp=True, viewport={"width": width, "height": 800}
        )
        page = context.new_page()
        page.goto(base + ITEM, wait_until="load")
        assert page.evaluate(PAST_THE_COLUMN) == []
        assert page.evaluate("document.documentElement.scrollWidth") == width
        assert page.evaluate(BROKEN_WORDS) == []
        table = page.locator(".article-body table")
        if table.evaluate("t => t.scrollWidth > t.clientWidth"):
            table.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(  # the browser scrolls smoothly
                "() => document.querySelector('.article-body table').scrollLeft > 0",
                timeout=3000,
            )
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "() => axe.run('.article-body', {runOnly: {type: 'tag',"
            " values: ['wcag2a', 'wcag2aa', 'wcag22aa', 'best-practice']}})"
        )
        context.close()
    assert [v["id"] for v in result["violations"]] == []


def _link_names(site: Path, path: str) -> dict[str, set[str]]:
    """The addresses each link text of the page's main part leads to (the
    text a screen reader's list of links reads, hidden words included)."""
    root = lxml.html.fromstring((site / path / "index.html").read_bytes())
    names = defaultdict(set)
    for link in root.xpath("//main//a[@href]"):
        name = link.get("aria-label") or " ".join(link.text_content().split())
        names[name].add(link.get("href"))
    return names


@pytest.mark.parametrize("path", ["", ITEM, CATEGORY, "cerita/banjir-pesisir-2024/"])
def test_each_link_text_names_one_place(extreme: Path, path: str):
    """Read from a screen reader's list of links, a dozen "Koran Pagi" links
    to a dozen reports say nothing: links that lead to different places are
    told apart by their words (the report's link names its item)."""
    names = _link_names(extreme, path)
    assert sum(len(hrefs) for hrefs in names.values()) >= 5, names
    same = {name: sorted(hrefs) for name, hrefs in names.items() if len(hrefs) > 1}
    assert same == {}, json.dumps(same, indent=1, ensure_ascii=False)
