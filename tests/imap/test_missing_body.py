"""A new message the server answers without its content (no BODY[] in the FETCH answer: a
broken server, or a message expunged meanwhile) is not stored blank: it is imported complete
by a later pass, or not at all when it is gone. Real Dovecot; only the answer's reading is
wrapped to drop the content of one UID (Dovecot cannot be made to omit it)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from mailapp.server.upstream import imap
from mailapp.server.upstream.run import sync_link
from mailapp.server.upstream.syncer import SyncLimits
from tests.imap.conftest import MailUser
from tests.imap.helpers import Linked, link_user
from tests.imap.messages import messages

SUBJECTS = [f"m message {i}: status report ✓" for i in range(4)]


def _drop_content(monkeypatch: pytest.MonkeyPatch, uid: int) -> None:
    """FETCH answers read as if the server had sent `uid` with its FLAGS etc. but no body."""
    real = imap.parse_fetch

    def without_body(data: list[Any]) -> dict[int, dict[bytes, Any]]:
        parsed = real(data)
        if uid in parsed:
            parsed[uid] = {k: v for k, v in parsed[uid].items() if not k.startswith(b"BODY[")}
        return parsed

    monkeypatch.setattr(imap, "parse_fetch", without_body)


def _assert_complete(linked: Linked, subjects: list[str]) -> None:
    emails = linked.emails("inbox")
    assert sorted(e.subject for e in emails) == subjects  # each once, none blank
    assert all(e.from_ for e in emails)


# Small messages come whole (BODY[]); large ones header first (BODY[HEADER]).
@pytest.mark.parametrize("whole_bytes", [1024 * 1024, 100], ids=["whole", "header-first"])
def test_message_without_content_is_retried_not_stored_blank(
    engine: Engine, mail_user: MailUser, monkeypatch: pytest.MonkeyPatch, whole_bytes: int
) -> None:
    uids = mail_user.append("INBOX", messages(4))
    linked = link_user(engine, mail_user)
    limits = SyncLimits(whole_message_bytes=whole_bytes)

    with monkeypatch.context() as patch:
        _drop_content(patch, uids[1])
        stats = sync_link(engine, linked.key, linked.upstream_id, limits=limits)
    assert stats is not None and stats.retried == 1
    # The others are in, complete; the one without content is not there blank.
    _assert_complete(linked, [s for i, s in enumerate(SUBJECTS) if i != 1])

    mail_user.append("INBOX", messages(1, start=4))  # new mail meanwhile: UIDNEXT changes
    sync_link(engine, linked.key, linked.upstream_id, limits=limits)
    _assert_complete(linked, [*SUBJECTS, "m message 4: status report ✓"])
    assert linked.blob_count() == 5  # bodies too, the header-first one by the body pass
    # Nothing left behind: a further pass imports nothing more.
    sync_link(engine, linked.key, linked.upstream_id, limits=limits)
    _assert_complete(linked, [*SUBJECTS, "m message 4: status report ✓"])


def test_message_expunged_while_fetched_is_not_stored(
    engine: Engine, mail_user: MailUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    uids = mail_user.append("INBOX", messages(4))
    linked = link_user(engine, mail_user)

    with monkeypatch.context() as patch:
        _drop_content(patch, uids[2])
        sync_link(engine, linked.key, linked.upstream_id)
    _assert_complete(linked, [s for i, s in enumerate(SUBJECTS) if i != 2])
    with mail_user.connect() as client:
        client.select_folder("INBOX")
        client.delete_messages([uids[2]])
        client.expunge()

    sync_link(engine, linked.key, linked.upstream_id)
    _assert_complete(linked, [s for i, s in enumerate(SUBJECTS) if i != 2])
    mail_user.append("INBOX", messages(1, start=4))
    sync_link(engine, linked.key, linked.upstream_id)
    _assert_complete(
        linked, [s for i, s in enumerate(SUBJECTS) if i != 2] + ["m message 4: status report ✓"]
    )


def test_garbage_size_is_a_recorded_error_not_a_traceback(
    engine: Engine, mail_user: MailUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server answering `RFC822.SIZE` with something not a number: the sync stops with the
    link in error, saying what the server sent, and stores nothing half-read."""
    mail_user.append("INBOX", messages(2))
    linked = link_user(engine, mail_user)
    real = imap.parse_fetch

    def garbage_size(data: list[Any]) -> dict[int, dict[bytes, Any]]:
        parsed = real(data)
        for values in parsed.values():
            if b"RFC822.SIZE" in values:
                values[b"RFC822.SIZE"] = b"lots"  # as imapclient reads the atom `lots`
        return parsed

    monkeypatch.setattr(imap, "parse_fetch", garbage_size)
    assert sync_link(engine, linked.key, linked.upstream_id) is None
    row = linked.link_row()
    assert row.state == "error"
    assert row.last_error is not None and "RFC822.SIZE" in row.last_error
    assert "lots" in row.last_error
    assert linked.emails("inbox") == []
