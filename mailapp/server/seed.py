"""Demo data for `mailapp-server seed-demo`: users alice and bob with a believable mailbox.

Messages are composed with the stdlib `email` package (the server never imports mailapp.core):
conversations between alice and bob that appear in both Sent and INBOX, newsletters with an
HTML part, an attachment, non-ASCII names and subjects, flagged and archived mail.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.server.auth import create_user
from mailapp.server.db import session_scope
from mailapp.server.models import Account

DEMO_USERS = ("alice", "bob")
FULL_NAMES = {"alice": "Alice Martin", "bob": "Bob Okafor"}


class AlreadySeeded(Exception):
    """A demo user already exists."""


@dataclass(frozen=True)
class SeedMessage:
    owner: str  # user name
    mailbox: str  # role
    raw: bytes
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class _Outside:
    name: str
    email: str


NEWSLETTERS = (
    (
        _Outside("The Weekly Byte", "news@weeklybyte.example"),
        "This week: faster SQLite, and why offline-first apps are back",
        "Offline-first is having a moment. We look at three apps that sync conflict-free, "
        "and benchmark WAL mode on a laptop SSD.",
    ),
    (
        _Outside("Café Central", "hello@cafe-central.example"),
        "Your loyalty card: one more coffee ☕ and the next one is free",
        "Thanks for visiting Café Central! You have 9 stamps out of 10.",
    ),
    (
        _Outside("Rail Tickets", "no-reply@rail.example"),
        "Booking confirmed: Lisbon → Porto, Friday 08:12",
        "Coach 4, seat 61 (window). Show the QR code in the app when asked.",
    ),
)

CONVERSATIONS = (
    (
        "Lunch on Thursday?",
        [
            ("alice", "Hi Bob,\n\nAre you free for lunch on Thursday? The new ramen place opened."),
            ("bob", "Thursday works. 12:30 at the ramen place?\n\nBob"),
            ("alice", "Perfect, see you there."),
        ],
    ),
    (
        "Quarterly report draft",
        [
            ("bob", "Alice,\n\nHere are the numbers for the report; the totals are at the bottom."),
            ("alice", "Thanks! Section 3 looks off by one quarter, can you check?"),
        ],
    ),
    (
        "Trip to Lisbon ✈",
        [
            ("alice", "Flights are booked. Do you want the aisle or the window?"),
            ("bob", "Window, please. I will book the hotel near Alfama."),
            ("alice", "Great. Zoë Müller recommended a fado bar there, adding it to the list."),
            ("bob", "Sounds lovely. Obrigado!"),
        ],
    ),
)


def _address(user: str, domain: str) -> Address:
    return Address(FULL_NAMES[user], user, domain)


def _compose(
    sender: Address,
    to: Address,
    subject: str,
    body: str,
    when: datetime,
    domain: str,
    *,
    reply_to_ids: list[str] | None = None,
    html: str | None = None,
    attachment: tuple[str, str, bytes] | None = None,
) -> tuple[bytes, str]:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message_id = make_msgid(domain=domain)
    message["Message-ID"] = message_id
    if reply_to_ids:
        message["In-Reply-To"] = reply_to_ids[-1]
        message["References"] = " ".join(reply_to_ids)
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    if attachment is not None:
        filename, mime_type, data = attachment
        maintype, _, subtype = mime_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(), message_id


def demo_messages(domain: str, now: datetime | None = None, seed: int = 7) -> list[SeedMessage]:
    """The demo mail of both users, oldest first; deterministic for a given `now` and seed."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    out: list[SeedMessage] = []
    day = 24.0
    hours_ago = day * 20
    for subject, turns in CONVERSATIONS:
        ids: list[str] = []
        for index, (author, text) in enumerate(turns):
            other = "bob" if author == "alice" else "alice"
            hours_ago -= rng.uniform(2, 30)
            when = now - timedelta(hours=max(hours_ago, 1))
            attachment = None
            if subject.startswith("Quarterly") and index == 0:
                csv = "quarter,revenue\nQ1,120000\nQ2,135500\nQ3,128250\nQ4,151000\n"
                attachment = ("q-numbers.csv", "text/csv", csv.encode())
            raw, message_id = _compose(
                _address(author, domain),
                _address(other, domain),
                subject if index == 0 else f"Re: {subject}",
                text,
                when,
                domain,
                reply_to_ids=list(ids),
                attachment=attachment,
            )
            ids.append(message_id)
            recent = index == len(turns) - 1
            out.append(SeedMessage(author, "sent", raw, ("$seen",)))
            inbox_keywords = () if recent else ("$seen",)
            if subject.startswith("Trip"):
                inbox_keywords = (*inbox_keywords, "$flagged")
            out.append(SeedMessage(other, "inbox", raw, inbox_keywords))
    for number, (sender, subject, text) in enumerate(NEWSLETTERS):
        for user in DEMO_USERS:
            when = now - timedelta(hours=day * (6 - number) + rng.uniform(0, 5))
            html = (
                f"<html><body><h1>{subject}</h1><p>{text}</p>"
                f'<p><a href="https://{sender.email.split("@")[1]}/unsubscribe">Unsubscribe</a>'
                "</p></body></html>"
            )
            raw, _ = _compose(
                Address(sender.name, *sender.email.split("@")),
                _address(user, domain),
                subject,
                text,
                when,
                sender.email.split("@")[1],
                html=html,
            )
            mailbox = "archive" if number == 0 else "inbox"
            out.append(SeedMessage(user, mailbox, raw, ("$seen",) if number == 0 else ()))
    return out


def seed_demo(engine: Engine, domain: str) -> dict[str, str]:
    """Create alice and bob with random passwords and their mail; returns name → password."""
    from mailapp.server.incoming import store_incoming

    passwords = {name: secrets.token_urlsafe(12) for name in DEMO_USERS}
    with session_scope(engine) as session:
        existing = session.execute(
            select(Account.name).where(Account.name.in_(DEMO_USERS))
        ).scalars()
        taken = sorted(existing)
        if taken:
            raise AlreadySeeded(", ".join(taken))
        ids = {
            name: create_user(session, name, password, email=f"{name}@{domain}").id
            for name, password in passwords.items()
        }
        # A second From address, so the demo shows identities (mailapp-server aliases).
        alice = session.get(Account, ids["alice"])
        if alice is not None:
            alice.aliases = [f"projects@{domain}"]
        for message in demo_messages(domain):
            store_incoming(
                session, ids[message.owner], message.mailbox, message.raw, message.keywords
            )
    return passwords
