"""Importing an mbox file or a Maildir folder with `mailapp-server import`."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from mailapp.server.auth import create_user
from mailapp.server.db import make_engine, migrate, session_scope
from mailapp.server.importer import ImportSourceError, import_messages, read_source
from mailapp.server.models import Account, Email, Mailbox
from tests.server.test_cli import run_cli


def message(
    subject: str, body: str, days_ago: int, sender: str = "Zoë <zoe@far.example>"
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "alice@example.org"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC) - timedelta(days=days_ago))
    msg["Message-ID"] = make_msgid(domain="far.example")
    msg.set_content(body)
    return msg


def build_mbox(path: Path) -> None:
    box = mailbox.mbox(path)
    read = mailbox.mboxMessage(message("Read and flagged", "From the start of a line.\n", 3))
    read.set_flags("RF")
    box.add(read)
    box.add(mailbox.mboxMessage(message("Unread", "Still new.\n", 2)))
    answered = mailbox.mboxMessage(message("Überraschung ✓", "Grüße aus Köln\n", 1))
    answered.set_flags("RA")
    box.add(answered)
    box.flush()
    box.close()


def build_maildir(path: Path) -> None:
    box = mailbox.Maildir(path, create=True)
    old = mailbox.MaildirMessage(message("Archived thread", "Old news.\n", 30))
    old.set_subdir("cur")
    old.set_flags("S")
    box.add(old)
    fresh = mailbox.MaildirMessage(message("Just arrived", "Fresh.\n", 0))
    box.add(fresh)  # new/ : unseen
    box.close()


def mailbox_contents(
    database_url: str, name: str, mailbox_name: str
) -> list[tuple[str, list[str]]]:
    engine = make_engine(database_url)
    try:
        with session_scope(engine, write=False) as session:
            rows = session.execute(
                select(Email.subject, Email.keywords)
                .join(Mailbox, Mailbox.id == Email.mailbox_id)
                .join(Account, Account.id == Email.account_id)
                .where(Account.name == name, Mailbox.name == mailbox_name)
                .order_by(Email.date)
            ).all()
        return [(subject, sorted(keywords)) for subject, keywords in rows]
    finally:
        engine.dispose()


@pytest.fixture
def data_with_alice(tmp_path: Path) -> tuple[Path, str]:
    data = tmp_path / "srv"
    added = run_cli("add-user", "alice", "--password-stdin", data=data, stdin="password-123\n")
    assert added.returncode == 0, added.stderr
    return data, f"sqlite:///{data / 'server.sqlite3'}"


def test_import_mbox_into_inbox_keeps_flags_and_skips_duplicates(
    data_with_alice: tuple[Path, str], tmp_path: Path
) -> None:
    data, url = data_with_alice
    source = tmp_path / "old.mbox"
    build_mbox(source)
    first = run_cli("import", "alice", str(source), data=data)
    assert first.returncode == 0, first.stderr
    assert "imported 3 messages into alice/Inbox" in first.stdout
    assert mailbox_contents(url, "alice", "Inbox") == [
        ("Read and flagged", ["$flagged", "$seen"]),
        ("Unread", []),
        ("Überraschung ✓", ["$answered", "$seen"]),
    ]
    again = run_cli("import", "alice", str(source), data=data)
    assert again.returncode == 0
    assert "imported 0 messages" in again.stdout and "3 already there" in again.stdout
    assert len(mailbox_contents(url, "alice", "Inbox")) == 3


def test_import_maildir_into_a_new_named_mailbox(
    data_with_alice: tuple[Path, str], tmp_path: Path
) -> None:
    data, url = data_with_alice
    source = tmp_path / "Maildir"
    build_maildir(source)
    result = run_cli("import", "alice", str(source), "--mailbox", "Old mail", data=data)
    assert result.returncode == 0, result.stderr
    assert mailbox_contents(url, "alice", "Old mail") == [
        ("Archived thread", ["$seen"]),
        ("Just arrived", []),
    ]


def test_one_imported_message_is_said_in_the_singular(
    data_with_alice: tuple[Path, str], tmp_path: Path
) -> None:
    data, url = data_with_alice
    source = tmp_path / "one.mbox"
    box = mailbox.mbox(source)
    box.add(b"From: a@example.net\r\nSubject: Alone\r\n\r\nJust one.\r\n")
    box.close()
    result = run_cli("import", "alice", str(source), data=data)
    assert result.returncode == 0, result.stderr
    assert "imported 1 message into alice/Inbox" in result.stdout
    assert mailbox_contents(url, "alice", "Inbox") == [("Alone", [])]


def test_import_refuses_what_it_cannot_read(
    data_with_alice: tuple[Path, str], tmp_path: Path
) -> None:
    data, _ = data_with_alice
    not_maildir = tmp_path / "photos"
    not_maildir.mkdir()
    not_mbox = tmp_path / "notes.txt"
    not_mbox.write_text("shopping list\n")
    mbox = tmp_path / "ok.mbox"
    build_mbox(mbox)
    cases = [
        (("import", "alice", str(not_maildir)), 2, "not a Maildir"),
        (("import", "alice", str(not_mbox)), 2, "not an mbox file"),
        (("import", "nobody", str(mbox)), 3, "no user named 'nobody'"),
    ]
    for args, code, text in cases:
        result = run_cli(*args, data=data)
        assert (result.returncode, text in result.stderr) == (code, True), result
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_import_in_batches_commits_everything(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    try:
        with session_scope(engine) as session:
            create_user(session, "erin", "password-123")
        source = tmp_path / "big.mbox"
        box = mailbox.mbox(source)
        for number in range(250):  # more than one batch
            box.add(message(f"Message {number}", f"Body {number}\n", 0))
        box.close()
        assert sum(1 for _ in read_source(source)) == 250
        progress: list[int] = []
        report = import_messages(engine, "erin", source, progress=progress.append)
        assert (report.imported, report.duplicates) == (250, 0)
        assert progress == [200, 250]
        with pytest.raises(ImportSourceError, match="no user named"):
            import_messages(engine, "frank", source)
    finally:
        engine.dispose()
