"""A record's address shows exactly what clean_header_text makes of the stored text, whether or not
the fast path (text that is printable and holds no encoded word) skips the character walk."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.mime.addresses import clean_header_text
from mailapp.wire import RecordAddress

SAMPLES = [
    "Alice Example",
    "alice@example.org",
    "Zoë Ünïcödé",
    "tab\there",
    "line\r\nbreak",
    "nel\x85sep\u2028para\u2029",
    "nbsp\xa0and  double  space",
    "=?utf-8?q?Bob=0D=0ABcc:_x@y?=",
    "=?utf-8?q?plain?=",
    "ctrl\x1cchar",
    "",
]


def _shown(text: str) -> tuple[str | None, str]:
    address = RecordAddress.model_validate({"name": text, "email": text})
    return address.name, address.email


def test_known_samples_match_clean_header_text() -> None:
    for text in SAMPLES:
        assert _shown(text) == (clean_header_text(text), clean_header_text(text)), text


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("aZ =?@.\t\r\n\x00\x1c\x1f\x7f\x85\xa0\u2028\u2029\u200bqQéü")
        ),
        max_size=24,
    )
)
def test_any_text_matches_clean_header_text(text: str) -> None:
    assert _shown(text) == (clean_header_text(text), clean_header_text(text))
