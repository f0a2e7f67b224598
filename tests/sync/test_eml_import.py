"""Messages dropped from .eml files into a synced mailbox (`email.import`): shown at once,
filed on the server once, and on every other device with the same subject and body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailapp import wire
from mailapp.server.config import Settings
from mailapp.server.models import Blob, Email
from mailapp.store import OutboxState
from mailapp.store.imports import queue_imports
from mailapp.sync.errors import OfflineError
from tests.server.conftest import RunningServer, run_server
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import DeviceFactory

EML = (
    b"From: Carol <carol@example.org>\r\n"
    b"To: alice@example.org\r\n"
    b"Subject: Minutes of the meeting\r\n"
    b"Date: Tue, 01 Dec 2026 09:30:00 +0000\r\n"
    b"Message-ID: <minutes-1@example.org>\r\n"
    b"\r\n"
    b"We agreed on the plan.\r\n"
)


@pytest.fixture
def sync_server(tmp_path: Path) -> Iterator[RunningServer]:
    """The server with a 1 MiB upload limit, so that "too large" needs no big file."""
    data = tmp_path / "server"
    data.mkdir(parents=True)
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'server.sqlite3'}",
        max_attachment_bytes=2**20,
    )
    with run_server(settings) as running:
        yield running


def _server_copies(server: RunningServer, subject: str) -> int:
    from sqlalchemy.orm import Session

    with Session(server.engine) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Email)
                .where(Email.subject == subject, Email.destroyed_modseq.is_(None))
            )
            or 0
        )


def test_a_dropped_message_reaches_the_other_device_once_despite_a_lost_answer(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice = sync_server.new_user("alice")
    laptop = device_factory(alice, "laptop")
    phone = device_factory(alice, "phone", direct_url=sync_server.url)
    laptop.sync()
    phone.sync()
    archive = laptop.mailbox("archive")

    # Offline: the drop works and the message shows at once, read, with its body.
    proxy.set_fault(Fault.REFUSE)
    (local_id,) = queue_imports(laptop.store, archive, [EML])
    (shown,) = laptop.store.page(archive)
    assert (shown.id, shown.subject, shown.is_read) == (local_id, "Minutes of the meeting", True)
    with pytest.raises(OfflineError):
        laptop.sync()
    laptop.store.set_flagged([local_id])  # acted on before the server has it

    # Back online, but the answer to the push is lost after the server committed it.
    proxy.set_fault(Fault.CUT_AFTER_REQUEST, times=1, path="/v1/sync")
    with pytest.raises(OfflineError):
        laptop.sync()
    proxy.clear()
    laptop.sync()

    assert _server_copies(sync_server, "Minutes of the meeting") == 1
    (mapped,) = laptop.store.page(archive)
    assert mapped.id != local_id and mapped.is_flagged and mapped.is_read
    assert laptop.store.message(local_id) is None
    assert [r.state for r in laptop.store.pending_mutations()] == []

    phone.sync()
    (arrived,) = phone.store.page(phone.mailbox("archive"))
    assert (arrived.id, arrived.subject) == (mapped.id, "Minutes of the meeting")
    assert arrived.is_flagged and arrived.is_read
    phone.engine.fetch_body(arrived.id)
    detail = phone.store.message(arrived.id)
    assert detail is not None and "We agreed on the plan." in (detail.text_body or "")
    with sync_server.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Blob)).scalar() == 0


def test_the_same_file_dropped_on_two_devices_is_one_message(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    laptop = device_factory(alice, "laptop")
    phone = device_factory(alice, "phone", direct_url=sync_server.url)
    laptop.sync()
    phone.sync()
    queue_imports(laptop.store, laptop.mailbox("inbox"), [EML])
    queue_imports(phone.store, phone.mailbox("inbox"), [EML])

    laptop.sync()
    phone.sync()
    laptop.sync()

    assert _server_copies(sync_server, "Minutes of the meeting") == 1
    assert laptop.subjects("inbox") == phone.subjects("inbox") == ["Minutes of the meeting"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"just some notes, not a message\n", "not an email message"),
        (EML + b"x" * (2 * 2**20), "too large"),
    ],
    ids=["not-a-message", "too-large"],
)
def test_a_refused_import_leaves_a_readable_outbox_line(
    sync_server: RunningServer, device_factory: DeviceFactory, raw: bytes, expected: str
) -> None:
    alice = sync_server.new_user("alice")
    laptop = device_factory(alice, "laptop")
    laptop.sync()
    inbox = laptop.mailbox("inbox")
    queue_imports(laptop.store, inbox, [raw])
    assert len(laptop.store.page(inbox)) == 1

    report = laptop.sync()

    assert report.failed == 1
    (row,) = laptop.store.pending_mutations()
    assert row.state == OutboxState.FAILED and expected in (row.last_error or "")
    assert "Traceback" not in (row.last_error or "")
    assert laptop.store.page(inbox) == []


def test_an_import_into_a_mailbox_deleted_meanwhile_is_refused_readably(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    laptop = device_factory(alice, "laptop")
    phone = device_factory(alice, "phone", direct_url=sync_server.url)

    def on_phone(type_: str, args: dict[str, object], mutation_id: int) -> None:
        request = wire.SyncRequest(
            client_id="phone",
            mutations=[wire.Mutation(mutation_id=mutation_id, type=type_, args=args)],
        )
        assert phone.client.sync(request).results[0].status == "applied"

    on_phone("mailbox.create", {"mailboxId": "receipts", "name": "Receipts"}, 1)
    laptop.sync()
    queue_imports(laptop.store, "receipts", [EML])
    on_phone("mailbox.destroy", {"mailboxId": "receipts"}, 2)

    laptop.sync()

    failed = [r for r in laptop.store.pending_mutations() if r.type == "email.import"]
    assert [r.state for r in failed] == [OutboxState.FAILED]
    assert "mailbox" in (failed[0].last_error or "").lower()
    assert _server_copies(sync_server, "Minutes of the meeting") == 0
