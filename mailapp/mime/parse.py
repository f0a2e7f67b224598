"""Parsing RFC 5322 / MIME messages with the stdlib ``email`` package: the one parser that the
client (import, search, reading pane) and the server (delivery, import, ``/body``, attachments)
both use, so both find the same text in the same message.

Message ids (``message_id``, ``in_reply_to``, ``references``) and content ids are stored without
angle brackets. ``parse_message`` never raises: damaged input is shown as well as possible and
explained in ``ParsedMessage.notes``. Nesting is bounded (``MAX_DEPTH``), so a hostile message
costs bounded time and never exhausts the interpreter's stack.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import errors
from email.message import EmailMessage, Message
from email.parser import BytesParser

from mailapp.mime import headers
from mailapp.mime.addresses import Address
from mailapp.mime.bounded import MAX_DEPTH, TooDeep, parse_bounded
from mailapp.mime.filenames import safe_filename
from mailapp.mime.text import CONTROL, decode_best, html_to_text, normalise_newlines
from mailapp.mime.tree import header_message

SNIPPET_LENGTH = 160
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass
class Attachment:
    filename: str  # already made safe for the file system
    content_type: str
    size: int
    content_id: str | None  # without <>; set for inline cid: parts
    inline: bool
    data: bytes
    # The part's index in Message.walk(): how the server's attachment URL names it.
    part_id: str | None = None


@dataclass
class ParsedMessage:
    message_id: str | None
    subject: str
    sender: Address | None  # the first From address
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    date: datetime | None = None  # timezone-aware
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    text_body: str | None = None
    html_body: str | None = None  # raw (unsanitized) HTML as sent
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: bytes | None = None
    from_all: list[Address] = field(default_factory=list)  # every From address
    sender_header: list[Address] = field(default_factory=list)  # the Sender header

    @property
    def snippet(self) -> str:
        """The first ~160 characters of visible text, quoted reply lines left out."""
        return self.summary(SNIPPET_LENGTH)

    def summary(self, length: int) -> str:
        """The first ``length`` characters of visible text, quoted reply lines left out."""
        if self.text_body:
            text = self.text_body
        elif self.html_body:
            text = html_to_text(self.html_body)
        else:
            return ""
        lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
        folded = " ".join(" ".join(lines).split())
        if len(folded) <= length:
            return folded
        # At most `length` characters with the ellipsis: the server stores it in a column of
        # that size, and a first word longer than that has no space to cut at.
        head = folded[: length - 1]
        return (head.rsplit(" ", 1)[0] if " " in head else head) + "…"


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _part_text(part: Message, notes: list[str]) -> str:
    data = _payload_bytes(part)
    charset = part.get_content_charset() or "us-ascii"
    shown = charset.encode("ascii", "replace").decode("ascii")
    try:
        text = data.decode(charset)
    except UnicodeDecodeError:
        if codecs.lookup(charset).name == "ascii":
            # Mail labelled us-ascii but written in UTF-8 is common and harmless.
            text, guessed = decode_best(data)
        else:
            text, guessed = data.decode(charset, errors="replace"), True
        if guessed:
            notes.append(f"The text is not valid {shown}; some characters may look wrong.")
    except Exception:  # unknown names, and codecs such as "base64" that are not text encodings
        text, _ = decode_best(data)
        notes.append(f"The text uses an unknown character set “{shown}”; "
                     "some characters may look wrong.")
    return normalise_newlines(text).rstrip("\n")


def _is_attached_message(part: Message) -> bool:
    return part.get_content_maintype() == "message" and part.is_multipart()


def _leaves(part: Message) -> Iterator[Message]:
    if _is_attached_message(part):
        yield part  # an attached message (or delivery report) stays one attachment
    elif part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield part


def _message_part_bytes(part: Message) -> bytes:
    blocks = [block for block in part.get_payload() if isinstance(block, Message)]
    if part.get_content_type() in ("message/rfc822", "message/global") and blocks:
        return bytes(blocks[0])
    # message/delivery-status and the like: header blocks (per message, per recipient).
    return b"\n".join(bytes(block).rstrip(b"\r\n") + b"\n" for block in blocks)


def _safe_filename_of(part: Message, notes: list[str]) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    return None if name is None else headers.clean_text(name, "attachment name", notes)


def _attachment(part: Message, index: int, part_id: str | None, notes: list[str]) -> Attachment:
    content_type = CONTROL.sub("", part.get_content_type())  # never a NUL into a database
    data = _message_part_bytes(part) if _is_attached_message(part) else _payload_bytes(part)
    name = _safe_filename_of(part, notes)
    cid_text = headers.header(part, "Content-ID", notes) or ""
    cid_ids = headers.MSG_ID.findall(cid_text)
    cid = cid_ids[0] if cid_ids else (cid_text.strip("<> ") or None)
    disposition = part.get_content_disposition()
    inline = disposition == "inline" or (disposition is None and cid is not None)
    return Attachment(safe_filename(name, content_type, index), content_type, len(data), cid,
                      inline, data, part_id)


_DEFECT_NOTES: dict[type[errors.MessageDefect], str] = {
    errors.NoBoundaryInMultipartDefect:
        "The message says it has several parts but gives no boundary between them; "
        "it is shown as raw text.",
    errors.StartBoundaryNotFoundDefect:
        "The boundary between the message's parts was not found; it is shown as raw text.",
    errors.CloseBoundaryNotFoundDefect:
        "The message ends abruptly (it may be truncated); some parts may be missing.",
    errors.FirstHeaderLineIsContinuationDefect:
        "The message's first header line is damaged.",
    errors.MisplacedEnvelopeHeaderDefect:
        "The message contains a misplaced mailbox separator line.",
    errors.MissingHeaderBodySeparatorDefect:
        "Part of the message's header section is damaged and may appear in the body.",
    errors.MultipartInvariantViolationDefect:
        "The message's multipart structure is broken.",
    errors.InvalidMultipartContentTransferEncodingDefect:
        "A multipart section declares an invalid transfer encoding.",
    errors.InvalidBase64PaddingDefect:
        "Some base64-encoded content is damaged (bad padding); it may be incomplete.",
    errors.InvalidBase64CharactersDefect:
        "Some base64-encoded content contains invalid characters; it may be damaged.",
    errors.InvalidBase64LengthDefect:
        "Some base64-encoded content has an invalid length; it may be damaged.",
    errors.UndecodableBytesDefect:
        "Some content contains bytes that could not be decoded.",
}


def _defect_notes(parts: list[Message]) -> list[str]:
    notes: list[str] = []
    for part in parts:
        for defect in part.defects:
            note = next((text for kind, text in _DEFECT_NOTES.items()
                         if isinstance(defect, kind)), None)
            notes.append(note or f"The message is malformed: {defect.__class__.__name__}.")
    return notes


def _fallback_message(raw: bytes, note: str) -> ParsedMessage:
    text, _ = decode_best(raw)
    return ParsedMessage(message_id=None, subject="", sender=None,
                         text_body=normalise_newlines(text), notes=[note], raw=raw)


def _too_deep_message(raw: bytes) -> ParsedMessage:
    """Headers read as usual, the body shown as raw text: nothing of it is parsed as MIME."""
    msg = BytesParser(policy=headers.PARSE_POLICY).parsebytes(raw, headersonly=True)
    parsed = _read_headers(msg, raw)
    separator = _HEADER_END.search(raw)
    text, _ = decode_best(raw[separator.end():] if separator else b"")
    parsed.text_body = normalise_newlines(text)
    parsed.notes.append(f"The message nests its parts more than {MAX_DEPTH} levels deep; "
                        "it is shown as raw text.")
    return parsed


def _read_headers(message: Message, raw: bytes) -> ParsedMessage:
    notes: list[str] = []
    msg = headers.HeaderIndex(message)
    senders = headers.addresses(msg, "From", notes)
    message_ids = headers.message_ids(headers.header(msg, "Message-ID", notes))
    in_reply_to = headers.message_ids(headers.header(msg, "In-Reply-To", notes))
    return ParsedMessage(
        message_id=message_ids[0] if message_ids else None,
        subject=headers.header(msg, "Subject", notes) or "",
        sender=senders[0] if senders else None,
        to=headers.addresses(msg, "To", notes),
        cc=headers.addresses(msg, "Cc", notes),
        bcc=headers.addresses(msg, "Bcc", notes),
        reply_to=headers.addresses(msg, "Reply-To", notes),
        date=headers.date(msg, notes),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=headers.message_ids(headers.header(msg, "References", notes)),
        from_all=senders,
        sender_header=headers.addresses(msg, "Sender", notes),
        notes=notes,
        raw=raw,
    )


def _safe_body(msg: Message, subtype: str) -> Message | None:
    try:
        part = msg.get_body(preferencelist=(subtype,)) if isinstance(msg, EmailMessage) else None
    except Exception:
        return None
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    return part


def _unnamed_text(leaves: list[Message], subtype: str) -> Message | None:
    """The first text/<subtype> leaf without a file name, whatever its disposition.

    Used only when the stdlib finds no body: a multipart/related that starts with an image, a
    container marked as an attachment, or a message whose only text is marked as one.
    """
    for leaf in leaves:
        if leaf.get_content_type() == f"text/{subtype}" and not _safe_filename_of(leaf, []):
            return leaf
    return None


def _parse(raw: bytes, read_headers: bool = True) -> ParsedMessage:
    msg = parse_bounded(raw)
    parts = list(msg.walk())
    part_ids = {id(part): str(index) for index, part in enumerate(parts)}
    parsed = (_read_headers(msg, raw) if read_headers
              else ParsedMessage(message_id=None, subject="", sender=None, raw=raw))
    notes = parsed.notes
    leaves = list(_leaves(msg))
    text_part = _safe_body(msg, "plain")
    html_part = _safe_body(msg, "html")
    if text_part is None and html_part is None:
        if not msg.is_multipart() and msg.get_content_maintype() == "text":
            # A single-part message is its own body, even when marked as an attachment.
            subtype = "html" if msg.get_content_subtype() == "html" else "plain"
            text_part, html_part = (msg, None) if subtype == "plain" else (None, msg)
        else:
            text_part = _unnamed_text(leaves, "plain")
            html_part = _unnamed_text(leaves, "html")
    if text_part is not None:
        parsed.text_body = _part_text(text_part, notes)
    if html_part is not None:
        parsed.html_body = _part_text(html_part, notes)
    extra_text: list[str] = []
    for leaf in leaves:
        if leaf is text_part or leaf is html_part:
            continue
        if leaf.get_content_maintype() == "multipart":
            # A multipart without usable boundary has only its raw text to show.
            if parsed.text_body is None and parsed.html_body is None:
                extra_text.append(_part_text(leaf, notes))
            continue
        is_plain_text = leaf.get_content_type() == "text/plain"
        if (is_plain_text and leaf.get_content_disposition() != "attachment"
                and not _safe_filename_of(leaf, [])):
            # Lists and some clients append unnamed text parts (footers); they belong to the body.
            extra_text.append(_part_text(leaf, notes))
            continue
        parsed.attachments.append(
            _attachment(leaf, len(parsed.attachments) + 1, part_ids.get(id(leaf)), notes)
        )
    if extra_text:
        body = [parsed.text_body] if parsed.text_body else []
        parsed.text_body = "\n\n".join(body + extra_text)
    parsed.notes = list(dict.fromkeys(_defect_notes(parts) + notes))
    return parsed


def parse_message(raw: bytes, *, read_headers: bool = True) -> ParsedMessage:
    """Parse a message; never raises. Problems are described in ``notes``.

    ``read_headers=False`` leaves the header fields (addresses, subject, date, ids) empty, for
    a caller that read them already with ``parse_header_block``: reading them is about half
    the cost of a parse.
    """
    if not raw or not raw.strip():
        return ParsedMessage(message_id=None, subject="", sender=None, text_body="",
                             notes=["The message is empty."], raw=raw)
    try:
        return _parse(raw, read_headers)
    except TooDeep:
        try:
            return _too_deep_message(raw)
        except Exception:
            return _fallback_message(raw, f"The message nests its parts more than {MAX_DEPTH} "
                                          "levels deep; it is shown as raw text.")
    except Exception as exc:  # the promise to callers is "never raises", whatever the input
        return _fallback_message(
            raw, f"The message could not be read ({exc.__class__.__name__}); shown as raw text."
        )


def parse_header_block(raw: bytes) -> ParsedMessage:
    """The header fields of a message (or of its header block alone), as ``parse_message``
    reads them, without parsing any body; never raises."""
    try:
        msg = header_message(raw)  # the stdlib's header-only parse, faster (tree.py)
        if msg is None:
            msg = BytesParser(policy=headers.PARSE_POLICY).parsebytes(raw, headersonly=True)
        return _read_headers(msg, raw)
    except Exception as exc:  # "never raises", as parse_message
        return _fallback_message(
            raw, f"The message could not be read ({exc.__class__.__name__}); shown as raw text."
        )


def attachment_at(raw: bytes, part_id: str) -> Attachment | None:
    """The part numbered ``part_id`` (its index in walk()) as an attachment, or None.

    Any leaf or attached message can be fetched this way, also ones the server listed under
    an older rule, but never a multipart container.
    """
    try:
        wanted = int(part_id)
        msg = parse_bounded(raw)
    except (ValueError, TooDeep):
        return None
    for index, part in enumerate(msg.walk()):
        if index == wanted:
            if part.is_multipart() and not _is_attached_message(part):
                return None
            return _attachment(part, index, part_id, [])
        if index > wanted:
            break
    return None
