"""The address value shared by parsing and composing, and the rule that keeps header text safe.

Header text (display names, addresses, subjects) must never carry a line break or another control
character: written into a header, a CR/LF starts a new header line. The stdlib decodes RFC 2047
encoded words (``=?utf-8?q?Bob=0D=0A...?=``) while it builds a header, after any check on the raw
text, and on some interpreter patch levels it then writes the decoded CR/LF as is (CPython
CVE-2024-6923). So every check here looks at the text as it is written AND as the stdlib would
decode it, whatever the interpreter's patch level.

Only the stdlib is imported: ``mailapp.wire`` validates the same fields with this module.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import unicodedata
from dataclasses import dataclass
from email.utils import quote

# Display names need quoting when they contain RFC 5322 "specials".
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')
# An RFC 2047 encoded word, found as leniently as the stdlib's parser finds them (anywhere in the
# text, also inside quoted strings), with an optional RFC 2231 language ("utf-8*en").
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?\s]*)\?=")
_MAX_DECODE_ROUNDS = 4
# Unicode line and paragraph separators: str.splitlines() (which the stdlib's header folding
# uses) breaks lines at them, like at CR and LF.
_LINE_BREAKING = frozenset("\x1c\x1d\x1e\x85\u2028\u2029")
# Unicode's Cc is exactly U+0000-001F and U+007F-009F; Zl is U+2028, Zp U+2029.
_CC_ZL_ZP = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Address:
    name: str | None
    email: str

    def __str__(self) -> str:
        if not self.name:
            return self.email
        name = f'"{quote(self.name)}"' if _SPECIALS.search(self.name) else self.name
        return f"{name} <{self.email}>"


def _decode_word(charset: str, encoding: str, text: str) -> str | None:
    charset = charset.split("*", 1)[0]
    try:
        if encoding.lower() == "q":
            data = quopri.decodestring(text.replace("_", " ").encode("ascii", "replace"),
                                       header=False)
        else:
            padded = text + "=" * (-len(text) % 4)
            data = base64.b64decode(padded.encode("ascii", "replace"))
    except (binascii.Error, ValueError):
        return None
    try:
        return data.decode(charset, errors="replace")
    except LookupError:  # the stdlib falls back to ASCII with replacement; the bytes still count
        return data.decode("latin-1")


def decode_encoded_words(text: str) -> str:
    """``text`` with every RFC 2047 encoded word decoded, as the stdlib would read it."""
    for _ in range(_MAX_DECODE_ROUNDS):
        decoded = _ENCODED_WORD.sub(
            lambda m: _decode_word(m[1], m[2], m[3]) or m[0], text
        )
        if decoded == text:
            break
        text = decoded  # a decoded word can itself spell an encoded word: decode that too
    return text


def _unsafe_character(text: str) -> str | None:
    for ch in text:
        if ch in _LINE_BREAKING or unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            return ch
    return None


def _describe(ch: str) -> str:
    if ch in "\r\n\x85\u2028\u2029":
        return "a line break"
    return f"a control character (U+{ord(ch):04X})"


def header_text_problem(text: str) -> str | None:
    """Why ``text`` must not go into a mail header, or None when it is safe.

    Safe means: no control character and no line break, neither as written nor once RFC 2047
    encoded words are decoded.
    """
    ch = _unsafe_character(text)
    if ch is not None:
        return f"it contains {_describe(ch)}"
    if "=?" in text:
        ch = _unsafe_character(decode_encoded_words(text))
        if ch is not None:
            return f"it contains {_describe(ch)} hidden in an encoded word (=?…?=)"
    return None


def clean_header_text(text: str) -> str:
    """Received header text made safe to show and to reuse: encoded words that hide control
    characters are decoded, and control characters and line breaks become spaces."""
    if "=?" in text and header_text_problem(text) is not None:
        text = decode_encoded_words(text)
    # The characters of categories Cc, Zl and Zp (_LINE_BREAKING is among them), at once.
    cleaned = _CC_ZL_ZP.sub(" ", text)
    return " ".join(cleaned.split()) if cleaned != text else text


def address_problem(address: Address) -> str | None:
    """Why ``address`` must not be written into a header, or None when it may."""
    if address.name and (problem := header_text_problem(address.name)):
        return f"the name of {address.email!r} cannot be used: {problem}"
    if problem := header_text_problem(address.email):
        return f"the address {address.email!r} cannot be used: {problem}"
    if any(ch.isspace() for ch in address.email):
        return f"the address {address.email!r} cannot be used: it contains a space"
    return None


def split_address_items(text: str) -> list[str]:
    """Split at commas, semicolons and line breaks that are outside quotes, <> and comments."""
    items: list[str] = []
    current: list[str] = []
    in_quote = False
    depth_angle = depth_paren = 0
    escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
            continue
        if ch == "\\" and in_quote:
            escaped = True
        elif ch == '"':
            in_quote = not in_quote
        elif not in_quote:
            if ch == "<":
                depth_angle += 1
            elif ch == ">":
                depth_angle = max(0, depth_angle - 1)
            elif ch == "(":
                depth_paren += 1
            elif ch == ")":
                depth_paren = max(0, depth_paren - 1)
            elif ch in ",;\r\n" and not depth_angle and not depth_paren:
                items.append("".join(current))
                current = []
                continue
        current.append(ch)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]
