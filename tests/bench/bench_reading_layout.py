"""How long the reading pane's HTML takes to lay out at its cost limit (a plain script).

For each hostile shape (nested tables, wide grids, long text, many paragraphs...) the largest
body whose estimated layout cost stays under ``LAYOUT_COST_LIMIT`` is built, sanitized, and laid
out offscreen in a QTextDocument the width of a reading pane; the figures show whether the
estimate keeps every shape within the budget, and what a large real-looking newsletter costs.

Run from the repository root:
    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_reading_layout.py [SHAPE...]
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication

from mailapp.core.html import sanitize_html
from mailapp.ui.reading.reading_pane import LAYOUT_COST_LIMIT

WIDTH = 760


def nest(opening: str, closing: str, depth: int, inside: str = "x") -> str:
    return opening * depth + inside + closing * depth


def tree(depth: int, children: int = 2) -> str:
    if depth == 0:
        return "x"
    cells = "".join(f"<td>{tree(depth - 1, children)}</td>" for _ in range(children))
    return f"<table><tr>{cells}</tr></table>"


TABLE = ("<table><tr><td>", "</td></tr></table>")
SHAPES: dict[str, Callable[[int], str]] = {
    "chain8": lambda n: nest(*TABLE, 8, "cell") * n,
    "chain6": lambda n: nest(*TABLE, 6, "cell") * n,
    "chain8-text": lambda n: nest(*TABLE, 8, "word " * n),
    "binary6": lambda n: tree(6) * n,
    "ternary4": lambda n: tree(4, 3) * n,
    "grid": lambda n: "<table>" + ("<tr>" + "<td>x</td>" * n + "</tr>") * n + "</table>",
    "colspans": lambda n: (
        "<table>" + ('<tr><td colspan="100">x</td>' * 3 + "</tr>") * n + "</table>"
    ),
    "text": lambda n: "<p>" + "word " * n + "</p>",
    "paragraphs": lambda n: "<p>x</p>" * n,
    "lists": lambda n: nest("<ul><li>", "</li></ul>", 8, "item") * n,
    "quotes": lambda n: nest("<blockquote>", "</blockquote>", 8, "q") * n,
    "divs": lambda n: nest("<div>", "</div>", 48, "d") * n,
    "nested-wide": lambda n: nest(*TABLE, 4, "<table><tr>" + "<td>x</td>" * n + "</tr></table>"),
}
NEWSLETTER = (
    '<table width="600">'
    + (
        "<tr><td><table><tr><td><table><tr>"
        + "<td><p>Some text here and there</p><a href='https://x.example'>link</a></td>" * 3
        + "</tr></table></td></tr></table></td></tr>"
    )
    * 200
    + "</table>"
)


def largest_under_limit(make: Callable[[int], str]) -> tuple[str, int]:
    def fits(n: int) -> bool:
        return sanitize_html(make(n)).layout_cost < LAYOUT_COST_LIMIT

    low, high = 1, 2
    while fits(high):
        low, high = high, high * 2
    while low < high - 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return make(low), low


def lay_out(html: str) -> tuple[int, float, float]:
    started = time.perf_counter()
    sanitized = sanitize_html(html)
    sanitizing = time.perf_counter() - started
    document = QTextDocument()
    started = time.perf_counter()
    document.setHtml(sanitized.html)
    document.setTextWidth(WIDTH)
    document.size()  # the whole layout
    return sanitized.layout_cost, sanitizing, time.perf_counter() - started


def main(argv: list[str]) -> int:
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert app is not None
    print(f"cost limit {LAYOUT_COST_LIMIT:,}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'shape':14} {'n':>7} {'bytes':>9} {'cost':>9} {'sanitize s':>10} {'layout s':>9}")
    for name in argv or list(SHAPES):
        html, n = largest_under_limit(SHAPES[name])
        cost, sanitizing, layout = lay_out(html)
        print(f"{name:14} {n:7} {len(html):9} {cost:9} {sanitizing:10.3f} {layout:9.3f}")
    cost, sanitizing, layout = lay_out(NEWSLETTER)
    print(f"{'newsletter':14} {'':7} {len(NEWSLETTER):9} {cost:9} {sanitizing:10.3f} {layout:9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
