"""The preview of a message never exceeds the length asked for, ellipsis included (the server
stores it in a column of that size: PostgreSQL refuses a longer one)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mailapp.mime.parse import parse_message


def test_a_first_word_longer_than_the_preview_is_cut_within_it() -> None:
    parsed = parse_message(b"Subject: s\r\n\r\n" + b"y" * 5000 + b"\r\n")
    preview = parsed.summary(256)
    assert len(preview) == 256 and preview.endswith("…")


@given(st.text(alphabet="ab \n", max_size=400), st.integers(min_value=2, max_value=300))
def test_the_preview_is_never_longer_than_asked(body: str, length: int) -> None:
    parsed = parse_message(b"Subject: s\r\n\r\n" + body.encode())
    assert len(parsed.summary(length)) <= length
