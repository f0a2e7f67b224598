"""Reading header fields of received mail: text, addresses, message ids and dates.

Every reader is forgiving: a malformed header is read as well as possible and explained in
``notes``, never raised. Text that comes out is one line without control characters, so it is
safe to show, to store (PostgreSQL refuses NUL) and to reuse in a reply.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from email import _encoded_words, policy  # _encoded_words: the stdlib's own RFC 2047 decoder
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.policy import EmailPolicy
from email.utils import parsedate_to_datetime
from typing import Any

from mailapp.mime.addresses import Address, clean_header_text, split_address_items
from mailapp.mime.text import CONTROL, decode_best

MAX_REFERENCES = 20
MSG_ID = re.compile(r"<([^<>\s]+)>")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Whitespace between two encoded words is no text (RFC 2047 section 6.2), but the stdlib keeps
# it inside display names: a long name folded by the stdlib itself read back with a stray space.
_BETWEEN_ENCODED_WORDS = re.compile(r"(\?=)\s+(?==\?)")


class _ClassCachingRegistry(HeaderRegistry):
    """The stdlib's header registry, except that the class made for each header name is made
    once: the stdlib builds a new class with type() on every header it parses, about a third
    of the cost of parsing a short header."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(key)
        return made


# policy.default with the registry above: the same header objects, made faster.
_FACTORY_POLICY = policy.default.clone(header_factory=_ClassCachingRegistry())


@functools.lru_cache(maxsize=4096)
def _parsed_header(name: str, value: str) -> Any:
    return _FACTORY_POLICY.header_fetch_parse(name, value)


class CachingPolicy(EmailPolicy):
    """policy.default, except that parsed header objects (immutable) are cached.

    The stdlib re-parses a header on every access, and structure queries such as
    get_content_type() run many times per message: caching makes parsing about twice as fast.
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):
            return value
        return _parsed_header(name, value)


PARSE_POLICY = CachingPolicy()


def clean_text(value: str, name: str, notes: list[str]) -> str:
    """One line of readable text from a header value, with a note if garbage had to go."""
    if _SURROGATE.search(value):
        # The parser keeps raw 8-bit header bytes as surrogates; most are UTF-8 (RFC 6532).
        value, guessed = decode_best(value.encode("utf-8", "surrogateescape"))
        if guessed:
            notes.append(f"The {name} header is not valid UTF-8; some characters may be wrong.")
    if CONTROL.search(value):
        notes.append(f"The {name} header contained control characters, which were removed.")
        value = CONTROL.sub("", value)
    # Encoded words can hide line breaks from the stdlib's decoding; never keep them.
    return " ".join(clean_header_text(value).split())


class HeaderIndex:
    """A message's header fields by name, each read as ``msg[name]`` and ``raw_header`` read
    it (the first field of that name), without a scan of every field per look-up: reading
    one message's fields looks up twelve names, several of them twice."""

    def __init__(self, msg: Message) -> None:
        self.policy = msg.policy
        self._first: dict[str, tuple[str, Any]] = {}
        for key, value in msg.raw_items():
            self._first.setdefault(key.lower(), (key, value))

    def __getitem__(self, name: str) -> Any:
        found = self._first.get(name.lower())
        return None if found is None else self.policy.header_fetch_parse(*found)

    def raw(self, name: str) -> str | None:
        found = self._first.get(name.lower())
        return None if found is None else str(found[1])


Fields = Message | HeaderIndex


def raw_header(msg: Fields, name: str) -> str | None:
    if isinstance(msg, HeaderIndex):
        return msg.raw(name)
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


# Headers whose value the parse policy can only give back unchanged when it is plain: parsing
# them is most of the cost of reading a message's header fields (tests/mime/test_parse_once.py
# checks the shortcut against the stdlib's parse).
_UNSTRUCTURED = frozenset({"subject", "in-reply-to", "references", "content-id"})
_PLAIN = re.compile(r"[\x20-\x7e\t]*")  # printable ASCII, no encoded words (checked apart)
_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_SIMPLE_MSG_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>")


# A whole whitespace-separated token that the stdlib reads as one encoded word and nothing
# else: no "?" inside the text, and a text starting with "=" goes on with two hex digits (the
# stdlib's tokenizer treats "?=" followed by hex specially).
_SIMPLE_EW = re.compile(
    r"=\?[A-Za-z0-9!#$%&'*+^_`{|}~.-]+\?[QqBb]\?(?:=[0-9A-Fa-f]{2}[^?\s]*|[^?=\s][^?\s]*)?\?="
)
_SPACES = re.compile(r"([ \t]+)")
# How the parse policy unfolds a value: only CR and LF go (str.splitlines() knows more).
_LINE_BREAKS = re.compile(r"[\r\n]")


def _decoded_words(text: str) -> str | None:
    """The stdlib's reading of an unstructured value made of plain words and whole encoded
    words: each word decoded, the space between two encoded words dropped (RFC 2047 6.2)."""
    pieces = _SPACES.split(text)
    out: list[str] = []
    previous_ew = False
    for index in range(0, len(pieces), 2):
        word = pieces[index]
        if not word:
            if index > 0:
                out.append(pieces[index - 1])
            continue
        is_ew = word.startswith("=?")
        if is_ew:
            if not _SIMPLE_EW.fullmatch(word):
                return None
            try:
                word, _charset, _lang, _defects = _encoded_words.decode(word)
            except (ValueError, KeyError):
                return None  # the stdlib keeps it as text: let it decide
        elif "=?" in word:
            return None
        if index > 0 and not (is_ew and previous_ew):
            out.append(pieces[index - 1])
        out.append(word)
        previous_ew = is_ew
    joined = "".join(out)
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes: replaced, as the stdlib's header does
        joined = joined.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return joined


def _as_sent(name: str, value: str) -> str | None:
    """The text the parse policy gives for a plain value of these headers, without parsing it;
    None when the value needs the parser (8-bit, odd encoded words, comments, odd ids)."""
    text = _LINE_BREAKS.sub("", value)
    if not _PLAIN.fullmatch(text):
        return None
    if "=?" in text:
        return _decoded_words(text) if name in _UNSTRUCTURED else None
    if name in _UNSTRUCTURED:
        return text
    if name == "message-id":
        return text if _SIMPLE_MSG_ID.fullmatch(text) else None
    return None


def header(msg: Fields, name: str, notes: list[str]) -> str | None:
    key = name.lower()
    if key in _UNSTRUCTURED or key == "message-id":
        value = raw_header(msg, name)
        if value is None:
            return None
        text = _as_sent(key, value) if isinstance(value, str) else None
        if text is not None:
            return clean_text(text, name, notes)
    try:
        value = msg[name]
    except Exception:  # the header parser can fail on malformed values; show them as sent
        value = raw_header(msg, name)
        if value is not None:
            notes.append(f"The {name} header is malformed and is shown as sent.")
    if value is None:
        return None
    return clean_text(str(value), name, notes)


# Plain address lists, read without the parse policy's address grammar (about 200 us a
# mailbox, most of the cost of reading a message's header fields): items separated by commas,
# each a bare dot-atom addr-spec, or one with angle brackets after an optional phrase of atoms
# or one quoted string (no escapes). No comments, groups, encoded words, domain literals or
# obsolete syntax: those go to the parser (tests/mime/test_parse_once.py compares the two).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR_SPEC = rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"


def _address_item(named: bool) -> str:
    def group(name: str) -> str:
        return f"(?P<{name}>" if named else "(?:"

    return (
        rf"[ \t]*(?:{group('bare')}{_ADDR_SPEC})|(?:{group('phrase')}{_ATEXT}(?:[ \t]+{_ATEXT})*)"
        rf'|"{group("quoted")}[ !#-\[\]-~]*)")?[ \t]*<{group("angle")}{_ADDR_SPEC})>)[ \t]*'
    )


_ADDRESS_LIST = re.compile(rf"{_address_item(False)}(?:,{_address_item(False)})*")
_ADDRESS_ONE = re.compile(rf"{_address_item(True)}(?:,|$)")


def _plain_addresses(raw: str) -> list[tuple[str, str]] | None:
    """(display name, addr-spec) of each address in a plain address list, or None."""
    text = _LINE_BREAKS.sub("", raw)  # as the parse policy unfolds it
    if "=?" in text or not _ADDRESS_LIST.fullmatch(text):
        return None
    found = []
    at = 0
    for item in _ADDRESS_ONE.finditer(text):
        if item.start() != at:
            return None  # not read item after item as validated: left to the parser
        at = item.end()
        if item["bare"] is not None:
            found.append(("", item["bare"]))
        else:
            found.append((item["phrase"] or item["quoted"] or "", item["angle"]))
    return found if at == len(text) else None


def addresses(msg: Fields, name: str, notes: list[str]) -> list[Address]:
    first = raw_header(msg, name)
    if first is None:
        return []  # no such field (most messages have no Cc, Bcc, Reply-To or Sender)
    plain = _plain_addresses(first)
    if plain is not None:
        result = []
        for display, addr_spec in plain:
            email = clean_text(addr_spec, name, notes)
            shown = clean_text(display, name, notes)
            result.append(Address(shown or None, email))
        return result
    try:
        value: Any = msg[name]  # an AddressHeader under the parse policy
        raw = raw_header(msg, name) if value is not None else None
        if raw is not None and _BETWEEN_ENCODED_WORDS.search(raw):
            value = PARSE_POLICY.header_fetch_parse(name, _BETWEEN_ENCODED_WORDS.sub(r"\1", raw))
        parsed = [] if value is None else list(value.addresses)
    except Exception:
        parsed = None
    result: list[Address] = []
    if parsed is not None:
        for item in parsed:
            email = clean_text(item.addr_spec, name, notes)
            if not email or email == "<>":
                continue
            display = clean_text(item.display_name or "", name, notes)
            result.append(Address(display or None, email))
        return result
    # Last resort for headers the stdlib cannot parse: split by hand and keep anything with "@".
    raw = clean_text(raw_header(msg, name) or "", name, notes)
    notes.append(f"The {name} header is malformed; addresses were recovered as well as possible.")
    for item in split_address_items(raw):
        match = re.search(r"<([^<>]*)>", item)
        email = (match[1] if match else item).strip()
        if "@" in email:
            display = item[: match.start()].strip(' "') if match else ""
            result.append(Address(display or None, email))
    return result


def message_ids(value: str | None) -> list[str]:
    """Message ids without angle brackets, at most MAX_REFERENCES of them."""
    if not value:
        return []
    ids = MSG_ID.findall(value)
    if ids:
        return ids
    return [token for token in value.split() if "@" in token][:MAX_REFERENCES]


def date(msg: Fields, notes: list[str]) -> datetime | None:
    # What the parse policy's DateHeader does, without building one (it parses the date, then
    # formats it and parses that text again): parsedate_to_datetime of the unfolded value.
    raw = raw_header(msg, "date")
    if raw is None:
        return None
    text = _LINE_BREAKS.sub("", raw)
    value: datetime | None = None
    try:  # a value with 8-bit bytes is read again with them replaced, as the stdlib does
        retry = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeError:
        retry = raw
    if text:
        try:
            value = parsedate_to_datetime(text)
        except ValueError:
            pass
        except Exception:
            retry = raw  # the stdlib's header failed: the value as stored is read again
    if value is None:
        try:
            value = parsedate_to_datetime(retry)
        except Exception:
            notes.append("The Date header could not be read, so the date is unknown.")
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # "-0000" means no zone information: treat as UTC
    try:
        value.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 minus an offset falls outside datetime's range
        notes.append("The Date header is out of range, so the date is unknown.")
        return None
    return value


# A header field's name: printable ASCII except the colon (RFC 5322 section 3.6.8).
_FIELD = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")
_IDENTIFYING = (b"from", b"date", b"subject", b"message-id", b"to")


def not_a_message(raw: bytes) -> str | None:
    """Why ``raw`` is no email message (a sentence for the user), or None when it is one.

    What an imported file must be before it is filed anywhere: a header block of well-formed
    fields that names at least one of From, Date, Subject, Message-ID or To. The parser itself
    accepts anything (a text file becomes a message without headers), so this is the check
    that keeps a dropped photo or note from becoming an empty message.
    """
    if not raw.strip():
        return "the file is empty"
    end = re.search(rb"\r?\n\r?\n", raw)
    block = raw if end is None else raw[: end.start()]
    names: set[bytes] = set()
    for line in block.splitlines():
        if line[:1] in (b" ", b"\t"):
            if not names:
                return "it does not start with a header field"
            continue  # a folded continuation of the field above
        if line.startswith(b"From "):
            continue  # an mbox separator line, which some programs save with the message
        match = _FIELD.match(line)
        if match is None:
            return "it is not an email message (its header is malformed)"
        names.add(line.split(b":", 1)[0].strip().lower())
    if not names.intersection(_IDENTIFYING):
        return "it is not an email message (it has no From, Date, Subject or Message-ID)"
    return None
