"""The stdlib parser's message tree, built without it for plain well-formed messages.

The stdlib's feed parser reads a message a line at a time through a stack of generators,
compiles a regular expression for every multipart boundary and, under the parse policy,
builds a full header object (a grammar parse) for every MIME header it looks at: about two
thirds of the cost of reading a message. Most mail is plainly structured, so for it
``message_tree`` builds the very tree the feed parser would (the same header lists, the same
payload strings, the same parts in the same order) by searching for the boundary lines, and its
messages answer MIME header questions (type, parameters, disposition, transfer encoding) from
the header text when that text is plain (``LightPolicy``), which is what the stdlib's header
objects answer too. Anything else — a defect the parser would note, a ``message/*`` part, a
digest, a stray CR, a header block that does not end in a blank line, a boundary repeated —
returns None and the caller uses the stdlib parser, so nothing is read differently
(tests/mime/test_tree.py compares both on generated and real messages).

Left out of the tree because nothing here reads them: ``preamble`` and ``epilogue`` stay None.
"""

from __future__ import annotations

import functools
import re
from email.message import (  # type: ignore[attr-defined]
    EmailMessage,
    _parseparam,
    _splitparam,
)
from email.utils import decode_params
from typing import Any

from mailapp.mime.headers import CachingPolicy

# The parser's own patterns (email.feedparser): what starts a header line.
_HEADER_LINE = re.compile(r"[\041-\071\073-\176]*:|[\t ]")
_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_ATTRIBUTE = r"[A-Za-z0-9!#$%&'+.^_`|~-]+"  # no "*": RFC 2231 parameters go to the parser
_QUOTED = r'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'  # no backslash, no quote inside
_PARAMS = rf"(?:[ \t]*;[ \t]*{_ATTRIBUTE}=(?:{_ATTRIBUTE}|{_QUOTED}))*[ \t]*;?[ \t]*"
# Plain values of the MIME headers: ASCII tokens and quoted strings, no comments, no encoded
# words (checked apart), no RFC 2231 parameters. For these the stdlib's header object says
# what the text says (the parameters as `_parseparam` splits them).
_PLAIN = {
    "content-type": re.compile(rf"[ \t]*{_TOKEN}/{_TOKEN}{_PARAMS}"),
    "content-disposition": re.compile(rf"[ \t]*{_TOKEN}{_PARAMS}"),
    "content-transfer-encoding": re.compile(r"[A-Za-z0-9-]+"),
}
_LINE_BREAKS = re.compile(r"[\r\n]")
_LONE_CR = re.compile(r"\r(?!\n)")
# A header block of fields and their continuation lines only; each field, its value as
# EmailPolicy.header_source_parse makes it (before the line break is stripped).
_BLOCK = re.compile(r"(?:[\041-\071\073-\176]+:[^\n]*\n(?:[ \t][^\n]*\n)*)*")
_FIELDS = re.compile(r"^([\041-\071\073-\176]+):[ \t]*([^\n]*\n(?:[ \t][^\n]*\n)*)", re.M)
MAX_DEPTH = 20  # deeper nesting goes to the parser (which bounds it itself)


class _LightHeader(str):
    """A MIME header's value as its header object answers for it, read from the text."""

    __slots__ = ("content_disposition", "name")

    def __new__(cls, name: str, value: str) -> _LightHeader:
        self = super().__new__(cls, value)
        self.name = name
        self.content_disposition = (
            _splitparam(value)[0].lower() if name.lower() == "content-disposition" else None
        )
        return self

    @property
    def defects(self) -> tuple[()]:
        return ()


@functools.lru_cache(maxsize=4096)
def _light(name: str, value: str) -> Any:
    key = name.lower()
    plain = _PLAIN.get(key)
    if plain is not None:
        text = _LINE_BREAKS.sub("", value)
        if "=?" not in text and plain.fullmatch(text):
            return _LightHeader(name, text)
    return None


@functools.lru_cache(maxsize=4096)
def _params_of(value: str) -> tuple[tuple[str, Any], ...]:
    """The stdlib's `Message._get_params_preserve` of a header whose text is `value`: its
    answer depends on that text alone, and most parts' headers repeat (`text/plain;
    charset="utf-8"`), so it is worked out once per text."""
    params = []
    for piece in _parseparam(value):
        name, equals, val = piece.partition("=")
        params.append((name.strip(), val.strip()) if equals else (piece.strip(), ""))
    return tuple(decode_params(params))


class LightPolicy(CachingPolicy):
    """The parse policy, except that plain MIME header values come back as `_LightHeader`."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if not hasattr(value, "name"):
            light = _light(name, value)
            if light is not None:
                return light
        return super().header_fetch_parse(name, value)


LIGHT_POLICY = LightPolicy()


class _TreeMessage(EmailMessage):
    """An EmailMessage that finds a header field through an index by name instead of a scan
    of every field, and works its content type out once: the body is looked for part by
    part several times (get_body, the leaves, the attachments), each asking again. Changing
    the fields (any way the stdlib does it) drops both."""

    _index: tuple[list[tuple[str, Any]], int, dict[str, tuple[str, Any]]] | None = None
    _type: str | None = None
    _params: dict[str, Any] | None = None

    def _first(self) -> dict[str, tuple[str, Any]]:
        index = self._index
        fields = self._headers  # type: ignore[attr-defined]
        if index is None or index[0] is not fields or index[1] != len(fields):
            first: dict[str, tuple[str, Any]] = {}
            for key, value in fields:
                first.setdefault(key.lower(), (key, value))
            index = self._index = (fields, len(fields), first)
            self._type = self._params = None
        return index[2]

    def get(self, name: str, failobj: Any = None) -> Any:
        found = self._first().get(name.lower())
        return failobj if found is None else self.policy.header_fetch_parse(*found)

    def __contains__(self, name: str) -> bool:
        # get_param asks this before every parameter look-up; the stdlib scans every field.
        return name.lower() in self._first()

    def _get_params_preserve(self, failobj: Any, header: str) -> Any:
        # Every parameter question (charset, boundary, name, filename) parses the whole
        # header again; the answer for a header is kept with the content type.
        self._first()
        params = self._params
        if params is None:
            params = self._params = {}
        key = header.lower()
        if key not in params:
            value = self.get(header)
            params[key] = None if value is None else _params_of(str(value))
        found = params[key]
        return failobj if found is None else list(found)

    def get_content_type(self) -> str:
        self._first()  # drops the type when the fields changed
        if self._type is None:
            self._type = super().get_content_type()
        return self._type

    def get_content_maintype(self) -> str:
        return self.get_content_type().split("/")[0]  # as the stdlib, without its frames

    def get_content_subtype(self) -> str:
        return self.get_content_type().split("/")[1]

    def _changed(self) -> None:
        self._index = None
        self._type = self._params = None

    def __setitem__(self, name: str, val: Any) -> None:
        self._changed()
        super().__setitem__(name, val)

    def __delitem__(self, name: str) -> None:
        self._changed()
        super().__delitem__(name)

    def set_raw(self, name: str, value: Any) -> None:
        self._changed()
        super().set_raw(name, value)

    def replace_header(self, _name: str, _value: Any) -> None:
        self._changed()
        super().replace_header(_name, _value)

    def set_default_type(self, ctype: str) -> None:
        self._changed()
        super().set_default_type(ctype)


class _Unusual(Exception):
    """Not plain enough: the stdlib parser reads this message."""


def _source(lines: list[str]) -> tuple[str, str]:
    # EmailPolicy.header_source_parse
    name, value = lines[0].split(":", 1)
    value = value.lstrip(" \t") + "".join(lines[1:])
    return name, value.rstrip("\r\n")


class _Reader:
    def __init__(self, text: str, headers_only: bool = False) -> None:
        self.text = text
        self.end = len(text)
        self.headers_only = headers_only

    def line_end(self, pos: int) -> int:
        found = self.text.find("\n", pos)
        return self.end if found < 0 else found + 1

    def boundary_at(self, pos: int, separators: list[str]) -> tuple[int, bool] | None:
        """(which separator, is the closing one) when the line at `pos` is a boundary line."""
        text = self.text
        if not text.startswith("--", pos):
            return None
        for index in range(len(separators) - 1, -1, -1):
            sep = separators[index]
            if text.startswith(sep, pos):
                at = pos + len(sep)
                close = text.startswith("--", at)
                if close:
                    at += 2
                while at < self.end and text[at] in " \t":
                    at += 1
                if at == self.end or text.startswith(("\r\n", "\n"), at):
                    return index, close
        return None

    def next_boundary(self, pos: int, separators: list[str]) -> tuple[int, int, bool]:
        """The first boundary line at or after `pos`: (its start, which, closing); at the end
        of the text (self.end, -1, False)."""
        best = (self.end, -1, False)
        text = self.text
        for sep in separators:
            at = pos
            while True:
                hit = text.find(sep, at, best[0])
                if hit < 0:
                    break
                if hit == 0 or text[hit - 1] == "\n":
                    found = self.boundary_at(hit, separators)
                    if found is not None:
                        best = (hit, found[0], found[1])
                        break
                at = hit + 1
        return best

    def blank_line(self, pos: int) -> int:
        """Where the first empty line at or after `pos` starts, or -1."""
        text = self.text
        if text.startswith(("\r\n", "\n"), pos):
            return pos
        # A two-character search that finds nothing reads the whole text: bounded by the other.
        crlf = text.find("\n\r\n", pos)
        lf = text.find("\n\n", pos, self.end if crlf < 0 else crlf + 2)
        found = lf if lf >= 0 else crlf
        return found + 1 if found >= 0 else -1

    def headers(self, pos: int, separators: list[str]) -> tuple[list[tuple[str, str]], int]:
        """The header fields from `pos` and where the body starts (after the blank line)."""
        text = self.text
        blank = self.blank_line(pos)
        if blank >= 0 and _BLOCK.fullmatch(text, pos, blank):
            # Every line a field or a continuation (so no boundary line either), up to a
            # blank line: the fields at once, as header_source_parse gives them.
            found = _FIELDS.findall(text, pos, blank)
            return [(name, value.rstrip("\r\n")) for name, value in found], self.line_end(blank)
        fields: list[tuple[str, str]] = []
        current: list[str] = []
        while True:
            if pos >= self.end:
                if self.headers_only:
                    break
                raise _Unusual  # no blank line: a part of headers only
            if separators and self.boundary_at(pos, separators) is not None:
                raise _Unusual
            stop = self.line_end(pos)
            line = text[pos:stop]
            if line in ("\r\n", "\n"):
                pos = stop
                break
            if line[0] in " \t":
                if not current:
                    raise _Unusual  # the first line continues nothing: a defect
                current.append(line)
            elif line.startswith("From ") or line[0] == ":":
                raise _Unusual  # an envelope line, a field without a name
            elif not _HEADER_LINE.match(line):
                if self.headers_only:
                    break  # the body starts without its blank line: the header ends here
                raise _Unusual
            else:
                if current:
                    fields.append(_source(current))
                current = [line]
            pos = stop
        if current:
            fields.append(_source(current))
        return fields, pos

    def entity(self, pos: int, separators: list[str], depth: int) -> tuple[_TreeMessage, int]:
        """The message or part starting at `pos`, and where the line that ended it starts."""
        if depth > MAX_DEPTH:
            raise _Unusual
        fields, body = self.headers(pos, separators)
        msg = _TreeMessage(policy=LIGHT_POLICY)
        msg._headers = fields  # type: ignore[attr-defined]
        maintype = msg.get_content_maintype()
        if maintype == "message":
            raise _Unusual
        if maintype != "multipart":
            stop = self.next_boundary(body, separators)[0]
            msg._payload = self.text[body:stop]  # type: ignore[attr-defined]
            return msg, stop
        boundary = msg.get_boundary()
        cte = str(msg.get("content-transfer-encoding", "8bit")).lower()
        if (
            not boundary
            or msg.get_content_type() == "multipart/digest"
            or cte not in ("7bit", "8bit", "binary")
        ):
            raise _Unusual
        own = len(separators)
        if "--" + boundary in separators:
            raise _Unusual  # nested under its own boundary
        inner = [*separators, "--" + boundary]
        start, which, close = self.next_boundary(body, inner)
        if which != own or close:
            raise _Unusual  # no opening boundary: a defect
        parts: list[_TreeMessage] = []
        while True:
            pos = self.line_end(start)
            if self.boundary_at(pos, inner) is not None:
                raise _Unusual  # an empty part or a repeated boundary
            part, start = self.entity(pos, inner, depth + 1)
            if not part.is_multipart():
                payload = part._payload  # type: ignore[attr-defined]
                if payload.endswith("\r\n"):
                    part._payload = payload[:-2]  # type: ignore[attr-defined]
                elif payload.endswith("\n"):
                    part._payload = payload[:-1]  # type: ignore[attr-defined]
            parts.append(part)
            found = self.boundary_at(start, inner) if start < self.end else None
            if found is None or found[0] != own:
                raise _Unusual  # the closing boundary is missing
            if found[1]:
                break
        msg._payload = parts  # type: ignore[attr-defined]
        # The epilogue runs to the enclosing part's next boundary.
        return msg, self.next_boundary(self.line_end(start), separators)[0]


def _text_of(raw: bytes) -> str | None:
    text = raw.decode("ascii", "surrogateescape")
    if "\r" in text and _LONE_CR.search(text):
        return None  # a lone CR ends a line for the parser: left to it
    return text


def message_tree(raw: bytes) -> EmailMessage | None:
    """The stdlib parser's tree of ``raw`` (under the parse policy), or None when ``raw`` is
    not plain enough to build it here."""
    text = _text_of(raw)
    if text is None:
        return None
    try:
        msg, stop = _Reader(text).entity(0, [], 0)
    except _Unusual:
        return None
    return msg if stop == len(text) else None


def header_message(raw: bytes) -> EmailMessage | None:
    """The header fields of ``raw`` as the stdlib's header-only parse reads them, or None."""
    text = _text_of(raw)
    if text is None:
        return None
    try:
        fields, _body = _Reader(text, headers_only=True).headers(0, [])
    except _Unusual:
        return None
    msg = _TreeMessage(policy=LIGHT_POLICY)
    msg._headers = fields  # type: ignore[attr-defined]
    return msg
