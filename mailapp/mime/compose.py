"""Composing RFC 5322 / MIME messages: the one writer the client and the server's send share.

Header injection is refused twice, whatever the interpreter's patch level (CPython
CVE-2024-6923 writes CR/LF decoded from an encoded word as a real line break):
- every display name, address, subject and message id is checked before it is written, also as
  the stdlib would decode its encoded words (``mailapp.mime.addresses.header_text_problem``);
- the header block that comes out is parsed again and must hold exactly the header fields and
  the addresses that were meant. Otherwise nothing is returned: ``HeaderError`` (fail closed).
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email import errors, policy
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.parser import Parser
from email.utils import make_msgid

from mailapp.mime.addresses import Address, address_problem, header_text_problem
from mailapp.mime.parse import Attachment
from mailapp.mime.text import CONTROL, normalise_newlines

_MESSAGE_ID = re.compile(r"[^<>\s]+")
# Written by set_content/add_attachment, depending on the parts; any other field is a surprise.
_MIME_FIELDS = {"content-type", "content-transfer-encoding", "mime-version"}


# Attachment bodies are base64-encoded this many input bytes at a time: a multiple of 57, the
# input of one 76-character line, so the chunks join into the same lines one pass would write.
_CHUNK = 57 * 1024


class HeaderError(ValueError):
    """A header would not come out as meant (e.g. a name hiding a line break); nothing is sent."""


def _single_line(text: str) -> str:
    return " ".join(CONTROL.sub("", text).split())


def _header_address(address: Address) -> HeaderAddress:
    if problem := address_problem(address):
        raise HeaderError(f"The message cannot be written: {problem}.")
    local, _, domain = address.email.rpartition("@")
    # A domain the codec refuses is left as typed; the composer validates addresses earlier.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return HeaderAddress(display_name=" ".join((address.name or "").split()), username=local,
                         domain=domain)


def _folded_addresses(name: str, addresses: list[HeaderAddress], utf8: bool) -> str:
    """The value of an address field, one address per line, each folded by the stdlib alone.

    Folding a whole list, the stdlib can put the comma between two addresses inside an encoded
    word after a long non-ASCII name ("=?utf-8?q?=2C?="): readers then see one address where
    two were meant. Folded one by one, no separator is ever encoded.
    """
    # One character short of the limit: room for the comma after each address.
    fold_policy = (policy.SMTPUTF8 if utf8 else policy.SMTP).clone(max_line_length=77)
    lines = []
    for address in addresses:
        folded = fold_policy.header_factory(name, [address]).fold(policy=fold_policy)
        lines.append(folded[len(name) + 2:].rstrip("\r\n"))
    return ",\r\n ".join(lines)


def _message_id(value: str) -> str | None:
    """``<id>`` for a bare or bracketed id; None for text that is no message id."""
    bare = value.strip().strip("<>")
    if not _MESSAGE_ID.fullmatch(bare) or header_text_problem(bare) or "=?" in bare:
        return None  # In-Reply-To and References are decoded like free text: keep them plain
    return f"<{bare}>"


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
    *,
    write_bcc: bool = False,
) -> bytes:
    """Build an RFC 5322 message (CRLF line ends). Bcc recipients are not written to headers,
    except with ``write_bcc`` (a copy kept in a Drafts folder, which is never sent as is).

    The Message-ID domain is ``domain``, else the sender's domain, so no host name leaks.
    Raises HeaderError when a header field cannot be written safely.
    """
    # A message to send names Bcc only in the envelope; a draft keeps them for its next editor.
    hidden = list(bcc) if write_bcc else []
    # Non-ASCII local parts can only be written as UTF-8 headers (RFC 6532); anything else is
    # written in ASCII, non-ASCII names as encoded words.
    utf8 = not all(a.email.rpartition("@")[0].isascii() for a in [sender, *to, *cc, *hidden])
    try:
        return _build(sender, to, cc, subject, text_body, html_body, list(attachments),
                      in_reply_to, references, date, message_id, domain, utf8=utf8,
                      bcc=hidden)
    except (UnicodeEncodeError, errors.HeaderParseError):
        if utf8:
            raise
        return _build(sender, to, cc, subject, text_body, html_body, list(attachments),
                      in_reply_to, references, date, message_id, domain, utf8=True,
                      bcc=hidden)


def _build(
    sender: Address,
    to: Sequence[Address],
    cc: Sequence[Address],
    subject: str,
    text_body: str,
    html_body: str | None,
    attachments: list[Attachment],
    in_reply_to: str | None,
    references: Sequence[str],
    date: datetime | None,
    message_id: str | None,
    domain: str | None,
    *,
    utf8: bool,
    bcc: Sequence[Address] = (),
) -> bytes:
    msg = EmailMessage(policy=policy.default)
    meant: dict[str, list[str]] = {}
    sender_header = _header_address(sender)
    for name, addresses in (("From", [sender]), ("To", to), ("Cc", cc), ("Bcc", bcc)):
        if addresses:
            values = [_header_address(a) for a in addresses]
            msg.set_raw(name, _folded_addresses(name, values, utf8))
            meant[name.lower()] = [value.addr_spec for value in values]
    subject = _single_line(subject)
    if problem := header_text_problem(subject):
        raise HeaderError(f"The message cannot be written: the subject {problem}.")
    msg["Subject"] = subject
    meant["subject"] = []
    when = date or datetime.now(UTC)
    msg["Date"] = when if when.tzinfo else when.replace(tzinfo=UTC)
    id_domain = domain or sender_header.domain or "mailapp.invalid"
    own_id = _message_id(message_id) if message_id else None
    msg["Message-ID"] = own_id or make_msgid(domain=id_domain)
    meant["date"] = meant["message-id"] = []
    parent = _message_id(in_reply_to) if in_reply_to else None
    if parent:
        msg["In-Reply-To"] = parent
        meant["in-reply-to"] = []
    ancestors = [found for ref in references if (found := _message_id(ref))]
    if ancestors:
        msg["References"] = " ".join(ancestors)
        meant["references"] = []
    msg.set_content(normalise_newlines(text_body))
    placeholders = _Placeholders()
    related: list[Attachment] = []
    attached: list[Attachment] = []
    for attachment in attachments:
        (related if html_body is not None and attachment.inline and attachment.content_id
         else attached).append(attachment)
    if html_body is not None:
        msg.add_alternative(normalise_newlines(html_body), subtype="html")
        html_part = msg.get_body(preferencelist=("html",))
        assert html_part is not None  # just added
        for attachment in related:
            maintype, subtype = _split_type(attachment.content_type)
            html_part.add_related(placeholders.add(attachment.data), maintype, subtype,
                                  cid=_message_id(attachment.content_id or ""),
                                  filename=_single_line(attachment.filename),
                                  disposition="inline")
    for attachment in attached:
        maintype, subtype = _split_type(attachment.content_type)
        cid = _message_id(attachment.content_id) if attachment.content_id else None
        msg.add_attachment(placeholders.add(attachment.data), maintype, subtype,
                           filename=_single_line(attachment.filename),
                           disposition="inline" if attachment.inline else "attachment", cid=cid)
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # the stdlib repeats it on sub-parts; only the top needs it
    # refold_source="none": the address fields stay folded as above, never refolded as a list.
    output = (policy.SMTPUTF8 if utf8 else policy.SMTP).clone(refold_source="none")
    skeleton = msg.as_bytes(policy=output)
    verify_header_block(skeleton, meant)
    return placeholders.fill(skeleton)


class _Placeholders:
    """Attachment bodies kept out of the stdlib's message while it is written.

    ``EmailMessage`` would hold each attachment's base64 copy (1.37 times its size) and the
    generator would join every part into one more copy of the whole message: about 14 times
    an attachment's size at peak. Instead each attachment goes in as a short random token; the
    stdlib writes the headers and the structure around it, and ``fill`` streams each real body,
    base64 in 76-character lines, into the one output buffer where its token's line was.
    """

    def __init__(self) -> None:
        self._bodies: list[tuple[bytes, bytes]] = []  # (token's base64 line, real data)

    def add(self, data: bytes) -> bytes:
        token = secrets.token_bytes(45)  # one 60-character base64 line, never in real text
        self._bodies.append((base64.encodebytes(token).replace(b"\n", b"\r\n"), data))
        return token

    def fill(self, skeleton: bytes) -> bytes:
        if not self._bodies:
            return skeleton
        spots = sorted((skeleton.find(line), line, data) for line, data in self._bodies)
        if spots[0][0] < 0:  # the stdlib wrote a part unlike base64 lines: fail closed
            raise HeaderError("The message cannot be written: an attachment did not come "
                              "out as meant; nothing was sent.")
        out = io.BytesIO()
        position = 0
        for found, line, data in spots:
            out.write(skeleton[position:found])
            view = memoryview(data)
            for start in range(0, len(view), _CHUNK):
                out.write(base64.encodebytes(view[start:start + _CHUNK])
                          .replace(b"\n", b"\r\n"))
            position = found + len(line)
        out.write(skeleton[position:])
        # getvalue() hands over the buffer itself (no copy) when nothing else refers to it.
        return out.getvalue()


def verify_header_block(data: bytes, meant: dict[str, list[str]]) -> None:
    """Parse the written header block again: it must hold each field of ``meant`` once (and
    the MIME fields), the address fields exactly the addresses given, and no line break in any
    decoded value. Raises HeaderError otherwise."""
    # Read as UTF-8, which RFC 6532 headers are (plain ASCII reads the same either way).
    written = Parser(policy=policy.default).parsestr(
        data.decode("utf-8", "surrogateescape"), headersonly=True)
    names = [name.lower() for name in written]
    surprises = sorted({name for name in names if name not in meant and name not in _MIME_FIELDS}
                       | {name for name in names if names.count(name) > 1}
                       | {name for name in meant if name not in names})
    if surprises:
        raise HeaderError("The message cannot be written: its header fields did not come out "
                          f"as meant ({', '.join(surprises)}); nothing was sent.")
    for name, expected in meant.items():
        value = written[name]
        if header_text_problem(str(value)):
            raise HeaderError(f"The message cannot be written: the {name} field would contain "
                              "a line break; nothing was sent.")
        if expected:
            found = [address.addr_spec for address in getattr(value, "addresses", ())]
            if [a.lower() for a in found] != [a.lower() for a in expected]:
                raise HeaderError(f"The message cannot be written: the {name} field did not "
                                  "come out with the addresses meant; nothing was sent.")


def _split_type(content_type: str) -> tuple[str, str]:
    maintype, _, subtype = content_type.lower().partition("/")
    if not maintype or not subtype or maintype in ("multipart", "message"):
        return "application", "octet-stream"
    return maintype, subtype
