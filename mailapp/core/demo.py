"""Deterministic, realistic demo mail for first runs, tests, benchmarks and server seeding.

``generate_demo(n, seed=...)`` yields the same messages for the same ``(n, seed)``, in date order
(oldest first), spread over the two years before ``until`` (a fixed date by default, so that the
output does not depend on the day it runs).

Search terms for benchmarks (none of them occurs in the general word pool):
- ``RARE_TERM`` is written into the messages whose index ``i`` has ``i % 1000 == 123`` (and is
  sometimes quoted by a reply to them): about 0.1% of bodies,
- ``MEDIUM_TERM`` is in about 5% of bodies,
- ``COMMON_TERM`` is in about 50% of bodies.
"""

from __future__ import annotations

import random
import struct
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mailapp.core.addresses import Address
from mailapp.core.demo_realistic import grow, trace_headers
from mailapp.core.demo_words import (
    DOMAINS,
    ENDINGS,
    FIRST_NAMES,
    LAST_NAMES,
    NEWSLETTERS,
    SHOPS,
    SPAM,
    SUBJECT_FORMS,
    TOPICS,
    WEEKDAYS,
    WORDS,
)
from mailapp.mime.compose import compose_message
from mailapp.mime.parse import Attachment, ParsedMessage
from mailapp.mime.reply import reply_subject

RARE_TERM = "quokka"
MEDIUM_TERM = "telescope"
COMMON_TERM = "meeting"
RARE_TERM_MODULUS, RARE_TERM_REMAINDER = 1000, 123

DEMO_UNTIL = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DEMO_SPAN = timedelta(days=730)
PEOPLE_COUNT = 200


@dataclass
class DemoMessage:
    mailbox_role: str | None  # "inbox" | "sent" | "archive" | "trash" | "junk" | None for custom
    mailbox_name: str  # display name ("Inbox", "Projects/Apollo", ...)
    keywords: frozenset[str]  # "$seen", "$flagged", "$answered"
    message: ParsedMessage  # built directly (fast); raw=None unless with_raw
    thread_key: str


# (role, display name, share of non-reply messages)
_FOLDERS: list[tuple[str | None, str, float]] = [
    ("inbox", "Inbox", 0.46), ("archive", "Archive", 0.18), ("sent", "Sent", 0.08),
    (None, "Projects/Apollo", 0.06), (None, "Projects/Hermes", 0.03), (None, "Receipts", 0.05),
    (None, "Newsletters", 0.06), ("trash", "Trash", 0.04), ("junk", "Junk", 0.04),
]
_THREADABLE = {"Inbox", "Archive", "Sent", "Projects/Apollo", "Projects/Hermes"}
_REPLY_SHARE = 0.32
_MAX_THREAD = 7


def _png(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b""))


def _pdf(title: str) -> bytes:
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 40 100 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            .encode())
    return bytes(out)


_PNGS = [_png(rgb) for rgb in [(230, 57, 70), (29, 53, 87), (69, 123, 157), (42, 157, 143),
                               (233, 196, 106), (244, 162, 97), (131, 56, 236), (58, 134, 255)]]


@dataclass
class _Thread:
    key: str
    subject: str
    role: str | None
    folder: str
    other: Address
    last_id: str
    references: list[str]
    last_from_me: bool
    last_line: str
    size: int = 1


@dataclass
class _Generator:
    seed: int
    me: Address
    until: datetime
    with_raw: bool
    realistic: bool = False
    rng: random.Random = field(init=False)
    people: list[Address] = field(init=False)
    threads: list[_Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        # What realistic sizes add comes from a generator of its own, so the small messages
        # (every draw of self.rng) stay exactly what they are without it.
        self.extra = random.Random(f"mailapp-demo-realistic-{self.seed}")
        people_rng = random.Random(f"mailapp-demo-people-{self.seed}")
        seen: set[str] = set()
        self.people = []
        while len(self.people) < PEOPLE_COUNT:
            first, first_ascii = people_rng.choice(FIRST_NAMES)
            last, last_ascii = people_rng.choice(LAST_NAMES)
            domain = people_rng.choice(DOMAINS)
            email = f"{first_ascii}.{last_ascii}@{domain}"
            if email in seen or email == self.me.email:
                continue
            seen.add(email)
            self.people.append(Address(f"{first} {last}", email))
        self.folder_names = [name for _, name, _ in _FOLDERS]
        self.folder_roles = {name: role for role, name, _ in _FOLDERS}
        self.folder_weights = [share for _, _, share in _FOLDERS]

    # -- text ---------------------------------------------------------------------------------

    def sentence(self) -> str:
        return self.sentences(1)[0]

    def sentences(self, count: int) -> list[str]:
        # One choices() call per paragraph and rng.random() arithmetic instead of randint():
        # text is most of the generation time, and 100,000 messages must stay fast.
        random = self.rng.random
        lengths = [6 + int(random() * 9) for _ in range(count)]
        words = self.rng.choices(WORDS, k=sum(lengths))
        result = []
        start = 0
        for length in lengths:
            chunk = words[start:start + length]
            start += length
            chunk[0] = chunk[0].capitalize()
            result.append(" ".join(chunk) + ENDINGS[int(random() * len(ENDINGS))])
        return result

    def paragraphs(self, index: int) -> list[str]:
        random = self.rng.random
        special = []
        if random() < 0.5:
            special.append(COMMON_TERM)
        if random() < 0.05:
            special.append(MEDIUM_TERM)
        if index % RARE_TERM_MODULUS == RARE_TERM_REMAINDER:
            special.append(RARE_TERM)
        paragraphs = []
        for number in range(1 + int(random() * 3)):
            sentences = self.sentences(2 + int(random() * 3))
            if number == 0:
                for term in special:
                    at = int(random() * len(sentences))
                    sentence = sentences[at]
                    sentences[at] = f"{sentence[:-1]} {term}{sentence[-1]}"
            paragraphs.append(" ".join(sentences))
        return paragraphs

    def subject(self) -> str:
        form = self.rng.choice(SUBJECT_FORMS)
        subject = form.format(topic=self.rng.choice(TOPICS), weekday=self.rng.choice(WEEKDAYS))
        return subject[0].upper() + subject[1:]

    # -- one message --------------------------------------------------------------------------

    def message(self, index: int, date: datetime) -> DemoMessage:
        rng = self.rng
        thread: _Thread | None = None
        if self.threads and rng.random() < _REPLY_SHARE:
            thread = self.threads[rng.randrange(max(0, len(self.threads) - 40), len(self.threads))]
        if thread is not None:
            return self.reply(index, date, thread)
        folder = rng.choices(self.folder_names, self.folder_weights)[0]
        return self.new_message(index, date, folder)

    def message_id(self, index: int, sender: Address) -> str:
        token = f"{self.rng.getrandbits(40):010x}"
        return f"{index:07d}.{self.seed}.{token}@{sender.email.rpartition('@')[2]}"

    def new_message(self, index: int, date: datetime, folder: str) -> DemoMessage:
        rng = self.rng
        role = self.folder_roles[folder]
        other = rng.choice(self.people)
        from_me = role == "sent"
        html_share = 0.2
        reply_to: list[Address] = []
        attachments: list[Attachment] = []
        if folder == "Newsletters":
            name = rng.choice(NEWSLETTERS)
            sender = Address(name, f"news@{other.email.rpartition('@')[2]}")
            reply_to = [Address(None, f"no-reply@{other.email.rpartition('@')[2]}")]
            subject = f"{name}: {self.sentence()[:60].rstrip(' .?!')}"
            html_share = 1.0
        elif folder == "Receipts":
            shop = rng.choice(SHOPS)
            sender = Address(shop, f"receipts@shop{rng.randrange(5)}.example")
            number = rng.randrange(100000, 999999)
            subject = f"Your receipt from {shop} #{number}"
            if rng.random() < 0.7:
                attachments.append(
                    self.pdf_attachment(f"Receipt {number}", f"receipt-{number}.pdf"))
        elif folder == "Junk":
            sender = Address(None, f"promo{rng.randrange(1000)}@spam{rng.randrange(50)}.example")
            subject = rng.choice(SPAM)
            html_share = 0.6
        else:
            sender = self.me if from_me else other
            subject = self.subject()
        recipients = [other] if from_me else [self.me]
        message_id = self.message_id(index, sender)
        parsed = self.build(index, date, sender, recipients, subject, message_id, None, [],
                            html_share, attachments)
        parsed.reply_to = reply_to
        if folder in _THREADABLE and subject:
            self.threads.append(_Thread(message_id, subject, role, folder, other, message_id,
                                        [], from_me, self.first_line(parsed)))
            if len(self.threads) > 200:
                del self.threads[:100]
        return DemoMessage(role, folder, self.keywords(role), parsed, message_id)

    def reply(self, index: int, date: datetime, thread: _Thread) -> DemoMessage:
        from_me = not thread.last_from_me and self.rng.random() < 0.5
        sender, recipients = (self.me, [thread.other]) if from_me else (thread.other, [self.me])
        role, folder = ("sent", "Sent") if from_me else (
            (thread.role, thread.folder) if thread.role != "sent" else ("inbox", "Inbox"))
        message_id = self.message_id(index, sender)
        references = [*thread.references, thread.last_id][-20:]
        author = self.me if thread.last_from_me else thread.other
        quote = f"{author} wrote:\n> {thread.last_line}"
        parsed = self.build(index, date, sender, recipients, reply_subject(thread.subject),
                            message_id, thread.last_id, references, 0.2, [], quote=quote)
        thread.last_id, thread.references = message_id, references
        thread.last_from_me, thread.last_line = from_me, self.first_line(parsed)
        thread.size += 1
        if thread.size >= _MAX_THREAD:
            self.threads.remove(thread)
        return DemoMessage(role, folder, self.keywords(role), parsed, thread.key)

    @staticmethod
    def first_line(parsed: ParsedMessage) -> str:
        # The text is "greeting, blank line, first paragraph, ..."; replies quote that paragraph.
        lines = (parsed.text_body or "").split("\n")
        return lines[2][:120] if len(lines) > 2 else ""

    def keywords(self, role: str | None) -> frozenset[str]:
        rng = self.rng
        seen = role == "sent" or rng.random() < (0.3 if role == "junk" else 0.66)
        keywords = {"$seen"} if seen else set()
        if role != "junk" and rng.random() < 0.05:
            keywords.add("$flagged")
        if seen and role in ("inbox", "archive", None) and rng.random() < 0.12:
            keywords.add("$answered")
        return frozenset(keywords)

    def pdf_attachment(self, title: str, filename: str) -> Attachment:
        data = _pdf(title)
        return Attachment(filename, "application/pdf", len(data), None, False, data)

    def build(self, index: int, date: datetime, sender: Address, to: list[Address], subject: str,
              message_id: str, in_reply_to: str | None, references: list[str], html_share: float,
              attachments: list[Attachment], quote: str | None = None
              ) -> ParsedMessage:
        rng = self.rng
        greeting_to = to[0].name or to[0].email
        greeting = f"Hi {greeting_to.split()[0]},"
        paragraphs = self.paragraphs(index)
        signature = f"— {(sender.name or sender.email).split()[0]}"
        text = "\n\n".join([greeting, *paragraphs, signature] + ([quote] if quote else []))
        cc = [rng.choice(self.people)] if rng.random() < 0.15 else []
        html: str | None = None
        if rng.random() < html_share:
            body = "".join(f"<p>{p}</p>" for p in paragraphs)
            if sender.email.startswith("news@"):
                host = sender.email.rpartition("@")[2]
                body = (f'<img src="https://{host}/banner.png" alt="{sender.name}" width="600">'
                        f"{body}<p><a href=\"https://{host}/unsubscribe\">Unsubscribe</a></p>"
                        f'<img src="https://{host}/open/{index}.gif" width="1" height="1">')
            elif rng.random() < 0.15:
                cid = f"image{index}@mailapp.example"
                png = _PNGS[rng.randrange(len(_PNGS))]
                attachments = [*attachments,
                               Attachment(f"photo-{index}.png", "image/png", len(png), cid, True,
                                          png)]
                body += f'<p><img src="cid:{cid}" alt="photo" width="16" height="16"></p>'
            html = (f"<html><body><p>{greeting}</p>{body}<p>{signature}</p></body></html>")
        if not attachments and rng.random() < 0.07:
            kind = rng.random()
            if kind < 0.45:
                attachments = [self.pdf_attachment(subject[:40], f"document-{index}.pdf")]
            elif kind < 0.8:
                png = _PNGS[rng.randrange(len(_PNGS))]
                attachments = [Attachment(f"screenshot {index}.png", "image/png", len(png), None,
                                          False, png)]
            else:
                csv = "\n".join(f"{rng.choice(WORDS)},{rng.randrange(1, 999)}"
                                for _ in range(rng.randint(3, 12))).encode()
                attachments = [Attachment(f"figures-{index}.csv", "text/csv", len(csv), None,
                                          False, csv)]
        if self.realistic:
            text, html, attachments = grow(self.extra, index, sender, text, html, attachments)
        parsed = ParsedMessage(
            message_id=message_id, subject=subject, sender=sender, to=to, cc=cc, date=date,
            in_reply_to=in_reply_to, references=references, text_body=text, html_body=html,
            attachments=attachments,
        )
        if self.with_raw:
            parsed.raw = compose_message(sender, to, cc, (), subject, text, html, attachments,
                                         in_reply_to, references, date, message_id)
            if self.realistic:
                parsed.raw = trace_headers(self.extra, self.me, sender, date) + parsed.raw
        return parsed


def _account_address(account_email: str) -> Address:
    local = account_email.partition("@")[0]
    name = " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)
    return Address(unicodedata.normalize("NFC", name) or None, account_email)


def generate_demo(
    n: int,
    *,
    seed: int = 0,
    account_email: str = "me@example.org",
    with_raw: bool = False,
    until: datetime = DEMO_UNTIL,
    realistic: bool = False,
) -> Iterator[DemoMessage]:
    """Yield ``n`` demo messages, oldest first; identical output for identical arguments.

    By default the messages are small (about 1.2 KB of MIME each), which is quick to generate
    and import. ``realistic`` gives the same messages (same senders, subjects, threads,
    folders) at the sizes of real mail, about 3.6 KB on average: longer text, more and larger
    HTML, the trace headers servers add (with ``with_raw``) and a few large attachments.
    """
    generator = _Generator(seed, _account_address(account_email), until, with_raw, realistic)
    start = until - DEMO_SPAN
    step = DEMO_SPAN / max(n, 1)
    for index in range(n):
        # Monotonic dates (jitter within the slot) keep every reply later than its parent.
        date = start + step * (index + generator.rng.random())
        yield generator.message(index, date.replace(microsecond=0))
