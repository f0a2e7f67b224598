"""Bounding how deeply HTML mail nests, so that parsing and laying it out stay cheap.

Two costs grow faster than the size of a message:
- Layout. An engine lays out a nested table by measuring its content more than once (minimum and
  maximum widths, then the final pass), so each level multiplies the work: in Qt's QTextDocument
  every level doubles it, and 20 nested tables in a 677-byte mail took 10.7 s to show.
- Parsing. The HTML5 tree builder looks through the stack of open elements for each block start
  tag, so 30,000 nested ``<ul><li>`` (240 KB) took nh3 8.8 s.

Real mail nests layout tables 3 to 6 deep. ``limit_raw_depth`` runs before the sanitizer and drops
start tags that would open more than ``RAW_DEPTH`` elements (a cheap, approximate guard for the
parser). ``bound_structure`` runs on the sanitizer's well-formed output and flattens what lies past
the limits below: the tags go, the text stays (flattened table rows and list items become line
breaks). It also estimates what the result costs to lay out, so a viewer can refuse to try.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TABLE_DEPTH = 8
MAX_LIST_DEPTH = 8
MAX_QUOTE_DEPTH = 8
MAX_ELEMENT_DEPTH = 48
RAW_DEPTH = 128
# colspan and rowspan make a table's grid; Qt allocates every cell of it (65,000 columns in 50
# rows, a 1.7 KB mail, took 4 s). Mail layouts never need more.
MAX_SPAN = 100

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr", "param", "keygen"}  # fmt: skip
_TABLE_PARTS = {"tbody", "thead", "tfoot", "tr", "td", "th", "caption", "colgroup", "col"}
_LISTS = {"ul", "ol", "dl", "menu", "dir"}
_LIST_ITEMS = {"li", "dd", "dt"}
_BLOCKS = {"p", "div", "li", "dd", "dt", "blockquote", "td", "th", "tr", "table", "pre", "h1",
           "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "center", "section",
           "article"}  # fmt: skip
# What a start tag implicitly closes, as the HTML5 tree builder does: the open elements it closes,
# the elements it may reach past to find one, and how far back it looks (this tracking is
# approximate and never needs to look far).
_INLINE = {"a", "b", "big", "code", "em", "font", "i", "s", "small", "span", "strike", "strong",
           "sub", "sup", "tt", "u"}  # fmt: skip
_ANY_BUT_TABLE = frozenset({"*"})
_CLOSES: dict[str, tuple[frozenset[str], frozenset[str], int]] = {
    "p": (frozenset({"p"}), frozenset(_INLINE), 3),
    "li": (frozenset({"li"}), frozenset(_INLINE | {"p"}), 3),
    "dt": (frozenset({"dt", "dd"}), frozenset(_INLINE | {"p"}), 3),
    "dd": (frozenset({"dt", "dd"}), frozenset(_INLINE | {"p"}), 3),
    "option": (frozenset({"option"}), frozenset(_INLINE), 2),
    "td": (frozenset({"td", "th"}), _ANY_BUT_TABLE, 8),
    "th": (frozenset({"td", "th"}), _ANY_BUT_TABLE, 8),
    "tr": (frozenset({"tr"}), _ANY_BUT_TABLE, 8),
    "thead": (frozenset({"thead", "tbody", "tfoot"}), _ANY_BUT_TABLE, 8),
    "tbody": (frozenset({"thead", "tbody", "tfoot"}), _ANY_BUT_TABLE, 8),
    "tfoot": (frozenset({"thead", "tbody", "tfoot"}), _ANY_BUT_TABLE, 8),
}
_RAW_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?:\s[^>]*)?/?>")
# How far back an end tag may look for its element; a stray end tag beyond it is ignored.
_END_TAG_REACH = 64


def limit_raw_depth(html: str) -> str:
    """Drops start tags that would nest past ``RAW_DEPTH``; linear, tolerant of broken markup.

    The nesting tracked here is approximate (no tree building), which is enough: it only bounds
    what the real parser later sees, and dropping a tag from untrusted input is always safe
    because everything still goes through the sanitizer.
    """
    if html.count("<") <= RAW_DEPTH:
        return html  # too few tags to nest that deep
    stack: list[str] = []
    dropped = False

    def visit(match: re.Match[str]) -> str:
        nonlocal dropped
        closing, name = match[1], match[2].lower()
        if name in _VOID:
            return match[0]
        if closing:
            for back in range(1, min(len(stack), _END_TAG_REACH) + 1):
                if stack[-back] == name:
                    del stack[-back:]
                    break
            return match[0]
        closes = _CLOSES.get(name)
        if closes is not None:
            targets, passable, reach = closes
            for back in range(1, min(len(stack), reach) + 1):
                open_tag = stack[-back]
                if open_tag in targets:
                    del stack[-back:]
                    break
                if open_tag == "table" or (
                    passable is not _ANY_BUT_TABLE and open_tag not in passable
                ):
                    break
        if len(stack) >= RAW_DEPTH:
            dropped = True
            return ""
        stack.append(name)
        return match[0]

    result = _RAW_TAG.sub(visit, html)
    return result if dropped else html


@dataclass(frozen=True)
class Structure:
    html: str
    # An estimate of the work to lay the HTML out: each inline tag and each 12 characters of text
    # count one, each block five, doubled for each table they are in, plus six for each slot
    # of a table's grid (rows times columns). Calibrated against Qt's QTextDocument.
    layout_cost: int


# The sanitizer's output is well-formed: every "<" in text is escaped, every attribute value is
# double-quoted with its quotes escaped, and <style> is the only raw-text element that remains.
_CLEAN_TOKEN = re.compile(
    r"<style\b[^>]*>.*?</style>"
    r'|<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"\'>/=]+(?:\s*=\s*"[^"]*")?)*)\s*/?>',
    re.DOTALL | re.IGNORECASE,
)
_COLSPAN = re.compile(r'\scolspan="([0-9]{1,6})"', re.IGNORECASE)


class _Flattener:
    """Copies well-formed HTML (the sanitizer's output) token by token, leaving out the tags of
    elements past the depth limits. Kept tags are copied verbatim, so nothing is re-escaped."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # open elements: (tag, kept)
        self.kept_depth = 0
        self.tables: list[bool] = []  # per open table: kept?
        self.kept_tables = 0
        self.lists: list[bool] = []
        self.kept_lists = 0
        self.quotes = 0
        self.cost = 0
        self.grids: list[list[int]] = []  # per open table: [rows, widest row, columns in row]

    def feed(self, html: str) -> None:
        position = 0
        for token in _CLEAN_TOKEN.finditer(html):
            self.text(html[position : token.start()])
            position = token.end()
            if token[2] is None:  # a whole <style> block: raw text, kept as it is
                self.out.append(token[0])
            elif token[1]:
                self.end(token[2].lower())
            else:
                self.start(token[2].lower(), token[0])
        self.text(html[position:])
        while self.stack:  # unclosed at the end: close what was opened, in order
            self.close(*self.stack.pop())

    def text(self, data: str) -> None:
        if data:
            # Content inside nested tables is laid out once more for each enclosing table.
            self.cost += (1 + len(data) // 12) << self.kept_tables
            self.out.append(data)

    def start(self, tag: str, source: str) -> None:
        # A block (paragraph, cell, item...) costs Qt a frame or a layout of its own.
        self.cost += (5 if tag in _BLOCKS else 1) << self.kept_tables
        if tag in _VOID:
            if not (tag == "col" and self.tables and not self.tables[-1]):
                self.out.append(source)
            return
        room = MAX_ELEMENT_DEPTH - self.kept_depth
        if tag == "table":
            keep = self.kept_tables < MAX_TABLE_DEPTH and room > 4
            self.tables.append(keep)
            self.kept_tables += keep
            self.grids.append([0, 0, 0])
        elif tag in _TABLE_PARTS:
            keep = bool(self.tables) and self.tables[-1]
            self.count_cell(tag, source)
        elif tag in _LISTS:
            keep = self.kept_lists < MAX_LIST_DEPTH and room > 1
            self.lists.append(keep)
            self.kept_lists += keep
        elif tag in _LIST_ITEMS and self.lists:
            keep = self.lists[-1]
        elif tag == "blockquote":
            keep = self.quotes < MAX_QUOTE_DEPTH and room > 0
            self.quotes += keep
        else:
            keep = room > 0
        self.stack.append((tag, keep))
        if keep:
            self.kept_depth += 1
            self.out.append(source)
        elif tag in _LIST_ITEMS:
            self.out.append("<br>")

    def count_cell(self, tag: str, source: str) -> None:
        if not self.grids:
            return
        grid = self.grids[-1]
        if tag == "tr":
            grid[0] += 1
            grid[2] = 0
        elif tag in ("td", "th"):
            span = _COLSPAN.search(source)
            grid[2] += int(span[1]) if span else 1
            grid[1] = max(grid[1], grid[2])

    def end(self, tag: str) -> None:
        if tag in _VOID:
            return
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                while len(self.stack) > index:
                    self.close(*self.stack.pop())
                return
        # A stray end tag: the sanitizer's output has none, and it is never copied.

    def close(self, tag: str, kept: bool) -> None:
        if kept:
            self.kept_depth -= 1
            self.out.append(f"</{tag}>")
        elif tag == "tr":
            self.out.append("<br>")
        elif tag in ("td", "th"):
            self.out.append(" ")
        if tag == "table" and self.tables:
            self.kept_tables -= self.tables.pop()
            rows, widest, _ = self.grids.pop()
            self.cost += 6 * rows * widest  # Qt allocates and sizes every slot of the grid
        elif tag in _LISTS and self.lists:
            self.kept_lists -= self.lists.pop()
        elif tag == "blockquote" and kept:
            self.quotes -= 1


def bound_structure(html: str) -> Structure:
    """Flattens well-formed HTML past the depth limits and estimates its layout cost."""
    flattener = _Flattener()
    flattener.feed(html)
    return Structure("".join(flattener.out), flattener.cost)
