"""Attachment names from strangers can never write outside the chosen folder or surprise Windows."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.mime.filenames import safe_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system.ini", "system.ini"),
        ("/absolute/path/report.pdf", "report.pdf"),
        ("C:\\Users\\x\\notes.txt", "notes.txt"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ("LPT9", "_LPT9"),
        ("console.txt", "console.txt"),
        ("bad\x00na\x1bme\x7f.txt", "badname.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override disguise removed
        ('what?<is>"this"|*.doc', "what__is__this___.doc"),
        ("trailing dots...", "trailing dots"),
        ("  spaced   out  .txt", "spaced out .txt"),
        ("résumé.pdf", "résumé.pdf"),
    ],
)
def test_known_dangerous_names(name: str, expected: str) -> None:
    assert safe_filename(name, "application/octet-stream") == expected


@pytest.mark.parametrize("name", [None, "", "   ", "..", ".", "/", "\\", "\x00\x01", "../.."])
def test_empty_or_path_only_names_fall_back_to_mime_type(name: str | None) -> None:
    assert safe_filename(name, "application/pdf", 4) == "attachment-4.pdf"
    assert safe_filename(name, "text/plain", 2) == "attachment-2.txt"
    assert safe_filename(name, "x-unknown/thing", 1) == "attachment-1.bin"


def test_long_names_are_capped_and_keep_their_extension() -> None:
    name = safe_filename("a" * 500 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name) <= 120
    wide = safe_filename("ü" * 500 + ".docx")
    assert wide.endswith(".docx")
    assert len(wide.encode("utf-8")) <= 200


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600), st.sampled_from(["image/png", "application/pdf", "text/plain"]))
def test_any_name_gives_a_plain_safe_stable_name(name: str, content_type: str) -> None:
    safe = safe_filename(name, content_type)
    assert safe and safe not in (".", "..")
    assert not any(ch in safe for ch in '/\\<>:"|?*')
    assert not any(ord(ch) < 32 for ch in safe)
    assert not safe.endswith((" ", ".")) and not safe.startswith((" ", "."))
    assert len(safe) <= 120 and len(safe.encode("utf-8")) <= 200
    assert safe_filename(safe, content_type) == safe
