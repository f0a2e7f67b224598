"""Parsing and composing RFC 5322 / MIME messages with the stdlib ``email`` package.

Message ids (``message_id``, ``in_reply_to``, ``references``) and content ids are stored without
angle brackets; ``compose_message`` adds them back. ``parse_message`` never raises: damaged input
is shown as well as possible and explained in ``ParsedMessage.notes``.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors, policy
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import make_msgid, parsedate_to_datetime
from typing import Any

from mailapp.core.addresses import Address, split_address_items
from mailapp.core.filenames import safe_filename
from mailapp.core.html import html_to_text

SNIPPET_LENGTH = 160
_MAX_REFERENCES = 20
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|vs|ref)\s*(\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*((fwd?|wg|tr|rv|vl)\s*(\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)


@dataclass
class Attachment:
    filename: str  # already made safe for the file system
    content_type: str
    size: int
    content_id: str | None  # without <>; set for inline cid: parts
    inline: bool
    data: bytes


@dataclass
class ParsedMessage:
    message_id: str | None
    subject: str
    sender: Address | None
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

    @property
    def snippet(self) -> str:
        """The first ~160 characters of visible text, quoted reply lines left out."""
        if self.text_body:
            text = self.text_body
        elif self.html_body:
            text = html_to_text(self.html_body)
        else:
            return ""
        lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
        folded = " ".join(" ".join(lines).split())
        if len(folded) <= SNIPPET_LENGTH:
            return folded
        return folded[:SNIPPET_LENGTH].rsplit(" ", 1)[0] + "…"


# --------------------------------------------------------------------------------------------
# Parsing


@functools.lru_cache(maxsize=4096)
def _parsed_header(name: str, value: str) -> Any:
    return policy.default.header_fetch_parse(name, value)


class _CachingPolicy(EmailPolicy):
    """policy.default, except that parsed header objects (immutable) are cached.

    The stdlib re-parses a header on every access, and structure queries such as
    get_content_type() run many times per message: caching makes parsing about twice as fast.
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):
            return value
        return _parsed_header(name, value)


_PARSE_POLICY = _CachingPolicy()


def _decode_best(data: bytes) -> tuple[str, bool]:
    """Decode bytes of unknown encoding: UTF-8 if valid, else Windows-1252. True if guessed."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), True


def _clean_header_text(value: str, name: str, notes: list[str]) -> str:
    """One line of readable text from a header value, with a note if garbage had to go."""
    if _SURROGATE.search(value):
        # The parser keeps raw 8-bit header bytes as surrogates; most are UTF-8 (RFC 6532).
        value, guessed = _decode_best(value.encode("utf-8", "surrogateescape"))
        if guessed:
            notes.append(f"The {name} header is not valid UTF-8; some characters may be wrong.")
    if _CONTROL.search(value):
        notes.append(f"The {name} header contained control characters, which were removed.")
        value = _CONTROL.sub("", value)
    return " ".join(value.split())


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _header(msg: Message, name: str, notes: list[str]) -> str | None:
    try:
        value = msg[name]
    except Exception:  # the header parser can fail on malformed values; show them as sent
        value = _raw_header(msg, name)
        if value is not None:
            notes.append(f"The {name} header is malformed and is shown as sent.")
    if value is None:
        return None
    return _clean_header_text(str(value), name, notes)


def _addresses(msg: Message, name: str, notes: list[str]) -> list[Address]:
    try:
        header: Any = msg[name]  # an AddressHeader under the parse policy
        parsed = [] if header is None else list(header.addresses)
    except Exception:
        parsed = None
    result: list[Address] = []
    if parsed is not None:
        for item in parsed:
            email = _clean_header_text(item.addr_spec, name, notes)
            if not email or email == "<>":
                continue
            display = _clean_header_text(item.display_name or "", name, notes)
            result.append(Address(display or None, email))
        return result
    # Last resort for headers the stdlib cannot parse: split by hand and keep anything with "@".
    raw = _clean_header_text(_raw_header(msg, name) or "", name, notes)
    notes.append(f"The {name} header is malformed; addresses were recovered as well as possible.")
    for item in split_address_items(raw):
        match = re.search(r"<([^<>]*)>", item)
        email = (match[1] if match else item).strip()
        if "@" in email:
            display = item[: match.start()].strip(' "') if match else ""
            result.append(Address(display or None, email))
    return result


def _message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    ids = _MSG_ID.findall(value)
    if ids:
        return ids
    return [token for token in value.split() if "@" in token][:_MAX_REFERENCES]


def _date(msg: Message, notes: list[str]) -> datetime | None:
    header: Any
    try:
        header = msg["date"]  # a DateHeader under the parse policy
        value = header.datetime if header is not None else None
    except Exception:
        value = None
        header = _raw_header(msg, "date")
    if header is None:
        return None
    if value is None:
        try:
            value = parsedate_to_datetime(str(header))
        except Exception:
            notes.append("The Date header could not be read, so the date is unknown.")
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # "-0000" means no zone information: treat as UTC
    return value


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _normalise_newlines(text: str) -> str:
    """Unix line ends, no control characters other than tab and newline (they never display)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _part_text(part: Message, notes: list[str]) -> str:
    data = _payload_bytes(part)
    charset = part.get_content_charset() or "us-ascii"
    shown = charset.encode("ascii", "replace").decode("ascii")
    try:
        text = data.decode(charset)
    except UnicodeDecodeError:
        if codecs.lookup(charset).name == "ascii":
            # Mail labelled us-ascii but written in UTF-8 is common and harmless.
            text, guessed = _decode_best(data)
        else:
            text, guessed = data.decode(charset, errors="replace"), True
        if guessed:
            notes.append(f"The text is not valid {shown}; some characters may look wrong.")
    except Exception:  # unknown names, and codecs such as "base64" that are not text encodings
        text, _ = _decode_best(data)
        notes.append(f"The text uses an unknown character set “{shown}”; "
                     "some characters may look wrong.")
    return _normalise_newlines(text).rstrip("\n")


def _leaves(part: Message) -> Iterator[Message]:
    if part.get_content_maintype() == "message" and part.is_multipart():
        yield part  # an attached message stays one .eml attachment
    elif part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield part


def _attachment(part: Message, index: int, notes: list[str]) -> Attachment:
    content_type = part.get_content_type()
    if part.get_content_maintype() == "message" and part.is_multipart():
        inner = part.get_payload(0)
        data = bytes(inner) if isinstance(inner, Message) else b""
    else:
        data = _payload_bytes(part)
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is not None:
        name = _clean_header_text(name, "attachment name", notes)
    cid_text = _clean_header_text(_header(part, "Content-ID", notes) or "", "Content-ID", notes)
    cid_ids = _MSG_ID.findall(cid_text)
    cid = cid_ids[0] if cid_ids else (cid_text.strip("<> ") or None)
    disposition = part.get_content_disposition()
    inline = disposition == "inline" or (disposition is None and cid is not None)
    return Attachment(safe_filename(name, content_type, index), content_type, len(data), cid,
                      inline, data)


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


def _defect_notes(msg: Message) -> list[str]:
    notes: list[str] = []
    for part in msg.walk():
        for defect in part.defects:
            note = next((text for kind, text in _DEFECT_NOTES.items()
                         if isinstance(defect, kind)), None)
            notes.append(note or f"The message is malformed: {defect.__class__.__name__}.")
    return notes


def _dedupe(notes: list[str]) -> list[str]:
    return list(dict.fromkeys(notes))


def _fallback_message(raw: bytes, note: str) -> ParsedMessage:
    text, _ = _decode_best(raw)
    return ParsedMessage(message_id=None, subject="", sender=None,
                         text_body=_normalise_newlines(text), notes=[note], raw=raw)


def _parse(raw: bytes) -> ParsedMessage:
    msg = BytesParser(policy=_PARSE_POLICY).parsebytes(raw)
    notes: list[str] = []
    senders = _addresses(msg, "From", notes)
    message_ids = _message_ids(_header(msg, "Message-ID", notes))
    in_reply_to = _message_ids(_header(msg, "In-Reply-To", notes))
    parsed = ParsedMessage(
        message_id=message_ids[0] if message_ids else None,
        subject=_header(msg, "Subject", notes) or "",
        sender=senders[0] if senders else None,
        to=_addresses(msg, "To", notes),
        cc=_addresses(msg, "Cc", notes),
        bcc=_addresses(msg, "Bcc", notes),
        reply_to=_addresses(msg, "Reply-To", notes),
        date=_date(msg, notes),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=_message_ids(_header(msg, "References", notes)),
        raw=raw,
    )
    text_part = _safe_body(msg, "plain")
    html_part = _safe_body(msg, "html")
    if text_part is not None:
        parsed.text_body = _part_text(text_part, notes)
    if html_part is not None:
        parsed.html_body = _part_text(html_part, notes)
    extra_text: list[str] = []
    for leaf in _leaves(msg):
        if leaf is text_part or leaf is html_part:
            continue
        if leaf.get_content_maintype() == "multipart":
            # A multipart without usable boundary has only its raw text to show.
            if parsed.text_body is None and parsed.html_body is None:
                extra_text.append(_part_text(leaf, notes))
            continue
        is_plain_text = leaf.get_content_type() == "text/plain"
        if (is_plain_text and leaf.get_content_disposition() != "attachment"
                and not leaf.get_filename()):
            # Lists and some clients append unnamed text parts (footers); they belong to the body.
            extra_text.append(_part_text(leaf, notes))
            continue
        parsed.attachments.append(_attachment(leaf, len(parsed.attachments) + 1, notes))
    if extra_text:
        body = [parsed.text_body] if parsed.text_body else []
        parsed.text_body = "\n\n".join(body + extra_text)
    parsed.notes = _dedupe(_defect_notes(msg) + notes)
    return parsed


def _safe_body(msg: Message, subtype: str) -> Message | None:
    try:
        part = msg.get_body(preferencelist=(subtype,)) if isinstance(msg, EmailMessage) else None
    except Exception:
        return None
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    return part


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse a message; never raises. Problems are described in ``notes``."""
    if not raw or not raw.strip():
        return ParsedMessage(message_id=None, subject="", sender=None, text_body="",
                             notes=["The message is empty."], raw=raw)
    try:
        return _parse(raw)
    except Exception as exc:  # the promise to callers is "never raises", whatever the input
        return _fallback_message(
            raw, f"The message could not be read ({exc.__class__.__name__}); shown as raw text."
        )


# --------------------------------------------------------------------------------------------
# Composing


def _single_line(text: str) -> str:
    return " ".join(_CONTROL.sub("", text).split())


def _header_address(address: Address) -> HeaderAddress:
    local, _, domain = address.email.rpartition("@")
    # A domain the codec refuses is left as typed; the composer validates addresses earlier.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return HeaderAddress(display_name=_single_line(address.name or ""), username=local,
                         domain=domain)


def _angle(message_id: str) -> str:
    return f"<{message_id.strip().strip('<>')}>"


def compose_message(
    sender: Address,
    to: Sequence[Address],
    cc: Sequence[Address] = (),
    bcc: Sequence[Address] = (),
    subject: str = "",
    text_body: str = "",
    html_body: str | None = None,
    attachments: Iterable[Attachment] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    date: datetime | None = None,
    message_id: str | None = None,
    domain: str | None = None,
) -> bytes:
    """Build an RFC 5322 message (CRLF line ends). Bcc recipients are not written to headers.

    The Message-ID domain is ``domain``, else the sender's domain, so no host name leaks.
    """
    del bcc  # accepted so callers can pass a whole draft; the transport uses it, not the headers
    msg = EmailMessage(policy=policy.default)
    msg["From"] = _header_address(sender)
    if to:
        msg["To"] = [_header_address(a) for a in to]
    if cc:
        msg["Cc"] = [_header_address(a) for a in cc]
    msg["Subject"] = _single_line(subject)
    when = date or datetime.now(UTC)
    msg["Date"] = when if when.tzinfo else when.replace(tzinfo=UTC)
    id_domain = domain or _header_address(sender).domain or "mailapp.invalid"
    msg["Message-ID"] = _angle(message_id) if message_id else make_msgid(domain=id_domain)
    if in_reply_to:
        msg["In-Reply-To"] = _angle(in_reply_to)
    if references:
        msg["References"] = " ".join(_angle(ref) for ref in references)
    msg.set_content(_normalise_newlines(text_body))
    related: list[Attachment] = []
    attached: list[Attachment] = []
    for attachment in attachments:
        (related if html_body is not None and attachment.inline and attachment.content_id
         else attached).append(attachment)
    if html_body is not None:
        msg.add_alternative(_normalise_newlines(html_body), subtype="html")
        html_part = msg.get_body(preferencelist=("html",))
        assert html_part is not None  # just added
        for attachment in related:
            maintype, subtype = _split_type(attachment.content_type)
            html_part.add_related(attachment.data, maintype, subtype,
                                  cid=_angle(attachment.content_id or ""),
                                  filename=attachment.filename, disposition="inline")
    for attachment in attached:
        maintype, subtype = _split_type(attachment.content_type)
        msg.add_attachment(attachment.data, maintype, subtype, filename=attachment.filename,
                           disposition="inline" if attachment.inline else "attachment",
                           cid=_angle(attachment.content_id) if attachment.content_id else None)
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # the stdlib repeats it on sub-parts; only the top needs it
    try:
        return msg.as_bytes(policy=policy.SMTP)
    except (UnicodeEncodeError, errors.HeaderParseError):
        # Non-ASCII local parts can only be written as UTF-8 headers (RFC 6532).
        return msg.as_bytes(policy=policy.SMTPUTF8)


def _split_type(content_type: str) -> tuple[str, str]:
    maintype, _, subtype = content_type.lower().partition("/")
    if not maintype or not subtype or maintype in ("multipart", "message"):
        return "application", "octet-stream"
    return maintype, subtype


# --------------------------------------------------------------------------------------------
# Replying and forwarding


def reply_headers(parent: ParsedMessage) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for a reply to ``parent`` (RFC 5322 section 3.6.4)."""
    references = list(parent.references)
    if not references and parent.in_reply_to:
        references = [parent.in_reply_to]
    if parent.message_id:
        references.append(parent.message_id)
    if len(references) > _MAX_REFERENCES:
        # Keep the thread root and the most recent ancestors, as RFC 5322 suggests.
        references = references[:1] + references[-(_MAX_REFERENCES - 1):]
    return parent.message_id, references


def reply_subject(subject: str) -> str:
    """``Re: <subject>`` without stacking prefixes (``Re: Re:``, ``AW:``, ``Re[2]:`` ...)."""
    subject = " ".join(subject.split())
    stripped = _REPLY_PREFIX.sub("", subject).strip()
    return f"Re: {stripped}"


def forward_subject(subject: str) -> str:
    """``Fwd: <subject>`` without stacking forward prefixes."""
    subject = " ".join(subject.split())
    stripped = _FORWARD_PREFIX.sub("", subject).strip()
    return f"Fwd: {stripped}"


def quote_for_reply(parent: ParsedMessage) -> str:
    """An attribution line and the parent's text quoted with "> "."""
    text = parent.text_body if parent.text_body is not None else html_to_text(
        parent.html_body or "")
    who = str(parent.sender) if parent.sender else "someone"
    if parent.date:
        when = parent.date.strftime("%a, %d %b %Y at %H:%M")
        attribution = f"On {when}, {who} wrote:"
    else:
        attribution = f"{who} wrote:"
    quoted = "\n".join(f">{line}" if line.startswith(">") else f"> {line}" if line else ">"
                       for line in text.rstrip("\n").split("\n"))
    return f"{attribution}\n{quoted}\n"
