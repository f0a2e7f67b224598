"""`mailapp-server seed-demo`: two users who can log in and find believable mail."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import select

from mailapp.server.db import make_engine, session_scope
from mailapp.server.models import Account, Email, Mailbox
from mailapp.server.seed import demo_messages
from tests.server.test_cli import can_log_in, run_cli


def test_seed_demo_creates_alice_and_bob_with_mail(tmp_path: Path) -> None:
    data = tmp_path / "srv"
    result = run_cli("seed-demo", data=data)
    assert result.returncode == 0, result.stderr
    passwords = dict(re.findall(r"user: (\w+)\s+password: (\S+)", result.stdout))
    assert sorted(passwords) == ["alice", "bob"]
    url = f"sqlite:///{data / 'server.sqlite3'}"
    for name, password in passwords.items():
        assert can_log_in(url, name, password)
    engine = make_engine(url)
    try:
        with session_scope(engine, write=False) as session:
            rows = session.execute(
                select(Account.name, Mailbox.role, Email.subject, Email.keywords, Email.in_reply_to)
                .join(Mailbox, Mailbox.id == Email.mailbox_id)
                .join(Account, Account.id == Email.account_id)
            ).all()
    finally:
        engine.dispose()
    alice_inbox = [r for r in rows if r.name == "alice" and r.role == "inbox"]
    bob_sent = [r for r in rows if r.name == "bob" and r.role == "sent"]
    assert len(alice_inbox) >= 5 and len(bob_sent) >= 3
    # What bob sent to alice arrived in her inbox, and replies are threaded.
    assert {r.subject for r in bob_sent} <= {r.subject for r in alice_inbox}
    assert any(r.in_reply_to for r in alice_inbox)
    assert any("$flagged" in r.keywords for r in alice_inbox)
    assert any("$seen" not in r.keywords for r in alice_inbox)  # something left unread
    assert all(r.keywords == ["$seen"] for r in bob_sent)

    again = run_cli("seed-demo", data=data)
    assert again.returncode == 3
    assert "already exist" in again.stderr


def test_demo_messages_are_valid_mime_with_html_and_attachment() -> None:
    messages = demo_messages("demo.example")
    parsed = [BytesParser(policy=policy.default).parsebytes(m.raw) for m in messages]
    assert all(p["Message-ID"] and p["Date"] and p["From"] for p in parsed)
    assert any(p.get_body(("html",)) is not None for p in parsed)
    attachments = [a.get_filename() for p in parsed for a in p.iter_attachments()]
    assert "q-numbers.csv" in attachments
    assert any(any(ord(c) > 127 for c in str(p["Subject"])) for p in parsed)
    assert {m.owner for m in messages} == {"alice", "bob"}
