"""A Python-Markdown extension: a list may follow a line of text.

Python-Markdown starts a list only after a blank line, so

    Poin pentingnya:
    - harga beras naik
    - stok aman

was one paragraph ("Poin pentingnya: - harga beras naik - stok aman").
CommonMark, GitHub and chat apps start the list there; so does this
extension, with CommonMark's rule: a bullet (``-``, ``*``, ``+``) or ``1.``
followed by a space interrupts a paragraph (``2024. ...`` in running text
does not). Listed in ``MARKDOWN`` (``pelicanconf.py``) as
``kilas_render.lists``.
"""

from __future__ import annotations

import re

from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension

# A line (not the block's first) that starts a list inside a paragraph
# (CommonMark).
_ITEM = re.compile(r"\n {0,3}(?:[-*+]|1\.)[ \t]+\S")


class _ListAfterText(BlockProcessor):
    """Splits a paragraph's block where a list starts; the list is then
    parsed as a block of its own. Runs after every other block processor
    but the paragraph's (fenced and HTML blocks are stashed by then)."""

    def test(self, parent, block: str) -> bool:
        return _ITEM.search(block) is not None

    def run(self, parent, blocks: list[str]) -> None:
        block = blocks.pop(0)
        at = _ITEM.search(block).start()
        self.parser.parseBlocks(parent, [block[:at]])
        blocks.insert(0, block[at + 1 :])


class ListsAfterText(Extension):
    def extendMarkdown(self, md) -> None:
        # Just above the paragraph's processor (10), below all others.
        md.parser.blockprocessors.register(
            _ListAfterText(md.parser), "list_after_text", 11
        )


def makeExtension(**kwargs) -> ListsAfterText:
    return ListsAfterText(**kwargs)
