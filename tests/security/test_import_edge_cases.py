"""Importing hostile or odd mail with `mailapp-server import` (issue 13 Low, issue 9 item 7).

One bad message never stops the import: a message nested 5,000 MIME levels deep, a NUL in a
Subject (PostgreSQL refuses NUL in text) are read or skipped one by one and reported. A Maildir
symlink is never followed. Messages that share a Message-ID but differ are all imported: only
the exact same bytes count as "already there".
"""

from __future__ import annotations

import mailbox
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.mime.parse import MAX_DEPTH, parse_message
from mailapp.server.auth import create_user
from mailapp.server.db import make_engine, migrate, session_scope
from mailapp.server.importer import ImportSourceError, import_messages
from mailapp.server.models import Email, EmailBlob
from tests.server.test_cli import run_cli


def plain(subject: bytes, body: bytes, message_id: bytes = b"<m@example.org>") -> bytes:
    return (b"From: Zoe <zoe@far.example>\nTo: alice@example.org\nSubject: " + subject
            + b"\nDate: Mon, 2 Nov 2026 10:00:00 +0000\nMessage-ID: " + message_id
            + b"\n\n" + body + b"\n")


def deeply_nested(levels: int) -> bytes:
    head = b"From: deep@far.example\nTo: alice@example.org\nSubject: Deep\n"
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
                       for i in range(levels))
    closing = b"".join(b"--b%d--\n" % i for i in reversed(range(levels)))
    return head + opening + b"Content-Type: text/plain\n\nat the bottom\n" + closing


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    with session_scope(engine) as session:
        create_user(session, "alice", "password-123", email="alice@example.org")
    yield engine
    engine.dispose()


def write_mbox(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.mbox(path)
    for raw in messages:
        box.add(raw)
    box.flush()
    box.close()
    return path


def stored(engine: Engine) -> list[tuple[str, bytes]]:
    with session_scope(engine, write=False) as session:
        rows = session.execute(
            select(Email.subject, EmailBlob.raw)
            .join(EmailBlob, EmailBlob.email_id == Email.id)
            .order_by(Email.date, Email.subject)
        ).all()
    return [(subject, bytes(raw)) for subject, raw in rows]


def test_messages_sharing_a_message_id_are_all_imported_and_a_reimport_adds_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    same_id = b"<resent@broken-mailer.example>"
    source = write_mbox(tmp_path / "resent.mbox", [
        plain(b"First", b"One text.", same_id),
        plain(b"Second", b"Another text.", same_id),  # a broken mailer reused the id
        plain(b"First", b"One text.", same_id),  # the very same message again
    ])
    report = import_messages(engine, "alice", source)
    assert (report.imported, report.duplicates, report.skipped) == (2, 1, [])
    assert sorted(subject for subject, _ in stored(engine)) == ["First", "Second"]

    again = import_messages(engine, "alice", source)
    assert (again.imported, again.duplicates) == (0, 3)
    assert len(stored(engine)) == 2


def test_a_message_nested_5000_levels_deep_does_not_stop_the_import(
    engine: Engine, tmp_path: Path
) -> None:
    deep = deeply_nested(5000)
    source = write_mbox(tmp_path / "deep.mbox", [
        plain(b"Before", b"fine", b"<a@x.example>"), deep,
        plain(b"After", b"fine", b"<b@x.example>"),
    ])
    started = time.monotonic()
    report = import_messages(engine, "alice", source)
    elapsed = time.monotonic() - started
    assert report.imported == 3, report.skipped
    assert sorted(subject for subject, _ in stored(engine)) == ["After", "Before", "Deep"]
    parsed = parse_message(deep)
    assert parsed.subject == "Deep"
    assert any(f"more than {MAX_DEPTH} levels" in note for note in parsed.notes)
    assert "at the bottom" in (parsed.text_body or "")  # shown as raw text, nothing lost
    print(f"importing a 5,000-level message with two others took {elapsed:.2f} s")


def test_a_nul_in_a_subject_is_imported_without_it_and_the_rest_goes_on(
    engine: Engine, tmp_path: Path
) -> None:
    source = write_mbox(tmp_path / "nul.mbox", [
        plain(b"Bad\x00Subject", b"body with a \x00 too", b"<n1@x.example>"),
        plain(b"Good", b"fine", b"<n2@x.example>"),
    ])
    report = import_messages(engine, "alice", source)
    assert (report.imported, report.skipped) == (2, [])
    subjects = sorted(subject for subject, _ in stored(engine))
    assert subjects == ["BadSubject", "Good"]
    # The raw message is kept byte for byte, NUL included.
    assert any(b"Bad\x00Subject" in raw for _, raw in stored(engine))


def test_a_maildir_symlink_is_refused_and_reported_never_followed(
    engine: Engine, tmp_path: Path
) -> None:
    secret = tmp_path / "outside" / "secret.eml"
    secret.parent.mkdir()
    secret.write_bytes(plain(b"Someone else's mail", b"private", b"<secret@x.example>"))
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(folder, create=True)
    box.add(plain(b"Mine", b"fine", b"<mine@x.example>"))
    box.close()
    os.symlink(secret, folder / "cur" / "1700000000.M1P1.host:2,S")

    report = import_messages(engine, "alice", folder)
    assert report.imported == 1
    assert len(report.skipped) == 1
    assert "symbolic link" in report.skipped[0] and "1700000000.M1P1.host" in report.skipped[0]
    assert [subject for subject, _ in stored(engine)] == ["Mine"]

    (folder / "new").rename(tmp_path / "real-new")
    os.symlink(tmp_path / "real-new", folder / "new")
    with pytest.raises(ImportSourceError, match="symbolic link"):
        import_messages(engine, "alice", folder)


def test_the_cli_lists_what_it_skipped_and_imports_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "srv"
    added = run_cli("add-user", "alice", "--password-stdin", data=data, stdin="password-123\n")
    assert added.returncode == 0, added.stderr
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(folder, create=True)
    box.add(plain(b"Mine", b"fine", b"<mine@x.example>"))
    box.add(deeply_nested(5000))
    box.close()
    os.symlink("/etc/hostname", folder / "new" / "1700000001.M2P2.host")
    result = run_cli("import", "alice", str(folder), data=data)
    assert result.returncode == 0, result.stderr
    assert "imported 2 messages into alice/Inbox, 1 skipped" in result.stdout
    assert "1700000001.M2P2.host: skipped, it is a symbolic link" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_message_the_database_refuses_is_skipped_alone_and_its_batch_imported(
    engine: Engine, backend: str, tmp_path: Path
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite stores a Message-ID of any length; PostgreSQL refuses > 998")
    too_long = b"<" + b"x" * 1200 + b"@far.example>"
    source = write_mbox(tmp_path / "long-id.mbox", [
        plain(b"Before", b"fine", b"<l1@x.example>"),
        plain(b"Long id", b"refused", too_long),
        plain(b"After", b"fine", b"<l2@x.example>"),
    ])
    report = import_messages(engine, "alice", source)
    assert report.imported == 2
    assert len(report.skipped) == 1
    assert report.skipped[0].startswith("message 2: skipped, it could not be stored")
    assert sorted(subject for subject, _ in stored(engine)) == ["After", "Before"]
