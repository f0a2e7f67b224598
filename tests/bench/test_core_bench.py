"""Core throughput figures.

Run: .venv/bin/python -m pytest -m bench tests/bench/test_core_bench.py -s
"""

import time

import pytest

from mailapp.core.demo import generate_demo
from mailapp.core.html import sanitize_html
from mailapp.mime.parse import parse_message
from mailapp.mime.text import html_to_text

pytestmark = pytest.mark.bench


def _timed(label: str, count: int, func: object) -> float:
    start = time.perf_counter()
    result = func()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"{label}: {count} in {elapsed:.2f} s ({count / elapsed:,.0f}/s)")
    return result  # type: ignore[no-any-return]


def test_demo_generation_and_snippets() -> None:
    messages = _timed("generate_demo(100_000)", 100_000, lambda: list(generate_demo(100_000)))
    _timed("snippet", len(messages), lambda: [m.message.snippet for m in messages])
    assert len(messages) == 100_000


def test_compose_parse_sanitize_throughput() -> None:
    items = _timed(
        "generate_demo(2_000, with_raw=True)",
        2_000,
        lambda: list(generate_demo(2_000, seed=5, with_raw=True)),
    )
    raws = [m.message.raw or b"" for m in items]
    parsed = _timed("parse_message", len(raws), lambda: [parse_message(r) for r in raws])
    html = [p.html_body for p in parsed if p.html_body]
    _timed("sanitize_html", len(html), lambda: [sanitize_html(h) for h in html])
    _timed("html_to_text", len(html), lambda: [html_to_text(h) for h in html])
    assert all(not p.notes for p in parsed)
