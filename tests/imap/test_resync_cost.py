"""What a resync asks the real Dovecot and the database, by what changed upstream.

A resync with nothing changed is one STATUS per folder: no SELECT, no FETCH, no SEARCH, and
database work that does not grow with the mailbox. A flag change costs the changed messages
(CHANGEDSINCE), not a FETCH or SEARCH of every UID. Expunges are still seen (VANISHED with
QRESYNC; with CONDSTORE alone a UID search, but only when the message count says so), and a
UIDVALIDITY change still rebuilds the folder's UIDs. The IMAP commands are recorded at the
socket (imaplib's `send`), below imapclient and the sync's own FETCH pipelining.
"""

from __future__ import annotations

import imaplib
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from mailapp.server.upstream import imap
from mailapp.server.upstream.run import sync_link
from mailapp.server.upstream.syncer import AccountSync, SyncStats
from tests.imap.conftest import MailUser
from tests.imap.helpers import Linked, link_user
from tests.imap.messages import messages

Commands = list[str]


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> Commands:
    """Every IMAP command line sent, without its tag, in upper case (literals left out)."""
    seen: Commands = []
    original = imaplib.IMAP4.send

    def send(self: imaplib.IMAP4, data: bytes) -> None:
        tag = self.tagpre.encode() if isinstance(self.tagpre, str) else self.tagpre
        if data.startswith(tag):
            line = bytes(data).split(b"\r\n", 1)[0].split(b" ", 1)[-1]
            seen.append(line.decode("utf-8", "replace").upper())
        original(self, data)

    monkeypatch.setattr(imaplib.IMAP4, "send", send)
    return seen


@pytest.fixture(params=["qresync", "condstore"])
def modseqs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """What Dovecot offers, and CONDSTORE without QRESYNC (no VANISHED)."""
    mode = str(request.param)
    if mode == "condstore":
        original = AccountSync.__init__

        def limited(self: AccountSync, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            self.qresync = False

        monkeypatch.setattr(AccountSync, "__init__", limited)
    return mode


def _resync(linked: Linked, commands: Commands) -> tuple[SyncStats, Commands]:
    commands.clear()
    stats = sync_link(linked.engine, linked.key, linked.upstream_id)
    assert stats is not None, linked.link_row().last_error
    return stats, list(commands)


def _named(sent: Commands, *verbs: str) -> Commands:
    return [c for c in sent if re.match(r"(UID )?(" + "|".join(verbs) + r")\b", c)]


def _keywords(linked: Linked, subject_start: str) -> list[str]:
    (email,) = [e for e in linked.emails() if e.subject.startswith(subject_start)]
    return list(email.keywords)


def test_a_resync_with_nothing_changed_is_one_status_per_folder(
    engine: Engine, mail_user: MailUser, commands: Commands, modseqs: str
) -> None:
    mail_user.append("INBOX", messages(40))
    linked = link_user(engine, mail_user)
    _resync(linked, commands)
    _resync(linked, commands)  # the bodies' pass settled: the steady state from here

    stats, sent = _resync(linked, commands)

    assert stats.skipped_folders == stats.folders == 6
    assert len(_named(sent, "STATUS")) == 6  # sent together: one round trip (imap.py)
    assert _named(sent, "SELECT", "EXAMINE", "FETCH", "SEARCH", "STORE") == []


def test_a_flag_change_upstream_costs_the_changed_message(
    engine: Engine, mail_user: MailUser, commands: Commands, modseqs: str
) -> None:
    uids = mail_user.append("INBOX", messages(40))
    linked = link_user(engine, mail_user)
    _resync(linked, commands)
    with mail_user.connect() as other:
        other.select_folder("INBOX")
        other.add_flags([uids[7]], [b"\\Flagged", b"$Label1"])

    stats, sent = _resync(linked, commands)

    assert stats.flag_changes == 1
    assert _keywords(linked, "m message 7:") == ["$flagged", "$label1"]
    (select,) = _named(sent, "SELECT", "EXAMINE")
    fetches = _named(sent, "FETCH")
    if modseqs == "qresync":  # the changes come with the SELECT (QRESYNC parameter)
        assert "(QRESYNC (" in select and fetches == [], sent
    else:
        assert len(fetches) == 1 and "CHANGEDSINCE" in fetches[0], sent
    assert _named(sent, "SEARCH") == [], sent  # no UID search of the folder, no new-UID search


def test_an_expunge_upstream_is_seen(
    engine: Engine, mail_user: MailUser, commands: Commands, modseqs: str
) -> None:
    uids = mail_user.append("INBOX", messages(10))
    linked = link_user(engine, mail_user)
    _resync(linked, commands)
    with mail_user.connect() as other:
        other.select_folder("INBOX")
        other.delete_messages([uids[3]])
        other.expunge()

    stats, sent = _resync(linked, commands)

    assert stats.expunged == 1
    assert not [e for e in linked.emails() if e.subject.startswith("m message 3:")]
    assert len(linked.emails("inbox")) == 9
    if modseqs == "condstore":  # no VANISHED: the count said something went, so UIDs compared
        assert any(c.startswith("UID SEARCH UID 1:") for c in sent), sent


def test_an_expunge_hidden_by_a_new_message_is_seen(
    engine: Engine, mail_user: MailUser, commands: Commands, modseqs: str
) -> None:
    """The folder's message count is unchanged (one gone, one new): still seen."""
    uids = mail_user.append("INBOX", messages(10))
    linked = link_user(engine, mail_user)
    _resync(linked, commands)
    with mail_user.connect() as other:
        other.select_folder("INBOX")
        other.delete_messages([uids[4]])
        other.expunge()
    mail_user.append("INBOX", messages(1, tag="late"))

    stats, _sent = _resync(linked, commands)

    assert stats.expunged == 1 and stats.headers == 1
    subjects = linked.subjects("inbox")
    assert len(subjects) == 10
    assert "m message 4: status report ✓" not in subjects
    assert "late message 0: status report ✓" in subjects


def test_a_mailbox_without_modseqs_still_shows_flag_changes(
    engine: Engine, mail_user: MailUser, commands: Commands, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NOMODSEQ: STATUS says HIGHESTMODSEQ 0 and SELECT none (RFC 7162): the flags are read
    every time, since an unchanged 0 says nothing about them."""
    original_status = AccountSync._status

    def no_modseq_status(self: AccountSync, folder: Any) -> dict[bytes, Any]:
        return {**original_status(self, folder), b"HIGHESTMODSEQ": 0}

    def without_modseq(select: Callable[..., dict[bytes, Any]]) -> Callable[..., Any]:
        def selected(*args: Any, **kwargs: Any) -> dict[bytes, Any]:
            answer = dict(select(*args, **kwargs))
            answer.pop(b"HIGHESTMODSEQ", None)
            return answer

        return selected

    original_init = AccountSync.__init__

    def nomodseq(self: AccountSync, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.client.select_folder = without_modseq(self.client.select_folder)  # type: ignore[method-assign]

    monkeypatch.setattr(AccountSync, "_status", no_modseq_status)
    monkeypatch.setattr(AccountSync, "__init__", nomodseq)
    uids = mail_user.append("INBOX", messages(5))
    linked = link_user(engine, mail_user)
    _resync(linked, commands)
    _resync(linked, commands)
    with mail_user.connect() as other:
        other.select_folder("INBOX")
        other.add_flags([uids[1]], [b"\\Seen"])

    stats, _sent = _resync(linked, commands)

    assert stats.flag_changes == 1
    assert _keywords(linked, "m message 1:") == ["$seen"]


def test_a_mailbox_that_stops_keeping_modseqs_still_shows_flag_changes(
    engine: Engine, mail_user: MailUser, commands: Commands, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Synced with modseqs, then the server answers NOMODSEQ (a rebuilt index, a migrated
    mailbox): a QRESYNC SELECT then reports no changes at all, so the flags are compared."""
    uids = mail_user.append("INBOX", messages(5))
    linked = link_user(engine, mail_user)
    _resync(linked, commands)
    with mail_user.connect() as other:
        other.select_folder("INBOX")
        other.add_flags([uids[3]], [b"\\Flagged"])
    original_status = AccountSync._status
    original_select = imap.select_qresync

    def no_modseq_status(self: AccountSync, folder: Any) -> dict[bytes, Any]:
        return {**original_status(self, folder), b"HIGHESTMODSEQ": 0}

    def nomodseq_select(*args: Any) -> tuple[dict[bytes, Any], dict[int, Any], list[int]]:
        selected, _changed, _vanished = original_select(*args)
        selected.pop(b"HIGHESTMODSEQ", None)
        return selected, {}, []  # what a NOMODSEQ mailbox answers to QRESYNC

    monkeypatch.setattr(AccountSync, "_status", no_modseq_status)
    monkeypatch.setattr(imap, "select_qresync", nomodseq_select)

    stats, _sent = _resync(linked, commands)

    assert stats.flag_changes == 1
    assert _keywords(linked, "m message 3:") == ["$flagged"]


def test_a_uidvalidity_change_rebuilds_the_folder_and_later_changes_apply(
    engine: Engine, mail_user: MailUser, commands: Commands
) -> None:
    with mail_user.connect() as other:
        other.create_folder("Lists")
    mail_user.append("Lists", messages(8, tag="list"), flags=(b"\\Seen",))
    linked = link_user(engine, mail_user)
    _resync(linked, commands)
    before = {e.subject: e.id for e in linked.emails()}

    with mail_user.connect() as other:  # rebuilt upstream: a new UIDVALIDITY, new UIDs
        other.delete_folder("Lists")
        other.create_folder("Lists")
    new_uids = mail_user.append("Lists", messages(8, tag="list"), flags=(b"\\Seen",))
    stats, sent = _resync(linked, commands)

    assert stats.remapped == 8
    assert any("BODY.PEEK[HEADER]" in c for c in _named(sent, "FETCH"))  # every header read
    assert {e.subject: e.id for e in linked.emails()} == before

    # The rebuilt rows agree with upstream: a flag removed there is removed here (it is not
    # taken for a change made here and put back), and no write-back is due for them.
    with mail_user.connect() as other:
        other.select_folder("Lists")
        other.remove_flags([new_uids[2]], [b"\\Seen"])
    stats, sent = _resync(linked, commands)

    assert stats.flag_changes == 1
    assert _keywords(linked, "list message 2:") == []
    assert _keywords(linked, "list message 3:") == ["$seen"]
    assert _named(sent, "STORE") == []


@pytest.fixture
def vm_steps(engine: Engine) -> Iterator[list[int]]:
    """SQLite virtual machine steps (in hundreds) run on the server database: the database's
    work, counted, not timed."""
    if engine.dialect.name != "sqlite" or os.environ.get("MAILAPP_IMAP_TESTS_ON_PG") == "1":
        pytest.skip("counts SQLite's steps")
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_progress_handler(count, 100)

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # new connections get the handler
    yield steps
    event.remove(engine, "connect", on_connect)


def test_the_database_work_of_a_resync_with_nothing_changed_does_not_grow_with_the_mailbox(
    engine: Engine, mail_user: MailUser, commands: Commands, vm_steps: list[int]
) -> None:
    def steady_resync() -> int:
        _resync(linked, commands)
        vm_steps[0] = 0
        _resync(linked, commands)
        return vm_steps[0]

    mail_user.append("INBOX", messages(30))
    linked = link_user(engine, mail_user)
    _resync(linked, commands)
    small = steady_resync()
    mail_user.append("INBOX", messages(600, tag="more"))
    _resync(linked, commands)
    large = steady_resync()

    # 20x the messages: the same statements, a little more index depth at most.
    print(f"SQLite steps (hundreds) of a resync with nothing changed: {small} / {large}")
    assert large < small * 1.5 + 50, (small, large)


def test_every_folder_name_finds_its_status_in_the_pipelined_answers(
    engine: Engine, mail_user: MailUser, commands: Commands
) -> None:
    """STATUS answers are matched to folders by name: digits (read as a number), non-ASCII
    (modified UTF-7), spaces and quotes. An unmatched one would be asked again alone."""
    names = ["2024", "Café Ünïcode", "with space", 'with "quote"']
    with mail_user.connect() as other:
        for name in names:
            other.create_folder(name)
    for at, name in enumerate(names):
        mail_user.append(name, messages(2, tag=f"f{at}"))
    linked = link_user(engine, mail_user)
    _resync(linked, commands)
    with mail_user.connect() as other:
        other.select_folder("Café Ünïcode")
        other.add_flags([1], [b"\\Seen"])

    stats, sent = _resync(linked, commands)

    assert stats.folders == 10 and stats.skipped_folders == 9 and stats.flag_changes == 1
    assert len(_named(sent, "STATUS")) == 10, sent
    assert len(linked.emails()) == 8
