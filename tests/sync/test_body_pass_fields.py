"""A message whose server record first came without its body (an upstream import stores the
headers first) shows its preview and paperclip in the list once the body pass fills them in."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import update

from mailapp.server.db import session_scope
from mailapp.server.models import Email
from tests.server.conftest import RunningServer
from tests.sync.conftest import DeviceFactory
from tests.sync.test_body_queue import _body_arrives, _drop_server_body


def _with_attachment(subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Sender <sender@example.net>"
    message["To"] = "someone@example.org"
    message["Subject"] = subject
    message.set_content(f"Body of {subject}")
    message.add_attachment(
        b"%PDF-1.4 report", maintype="application", subtype="pdf", filename="report.pdf"
    )
    return message.as_bytes()


def _headers_only(sync_server: RunningServer, email_id: str) -> dict[str, object]:
    """Make the server's record what an upstream header pass leaves (records.header_row): no
    stored bytes, no preview, no attachments."""
    kept = _drop_server_body(sync_server, email_id)
    with session_scope(sync_server.engine) as session:
        session.execute(
            update(Email).where(Email.id == email_id).values(preview="", attachments=[])
        )
    return kept


def test_the_list_shows_the_preview_and_paperclip_once_the_server_has_the_body(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    carol = sync_server.new_user("carol")
    email_id = sync_server.deliver(carol.account_id, _with_attachment("Quarterly report"))
    kept = _headers_only(sync_server, email_id)
    laptop = device_factory(carol, "laptop")
    laptop.sync()
    inbox = laptop.mailbox("inbox")
    (row,) = laptop.store.page(inbox)
    assert row.snippet == "" and not row.has_attachments

    _body_arrives(sync_server, carol.account_id, kept)
    laptop.sync()
    (row,) = laptop.store.page(inbox)
    assert row.snippet.startswith("Body of Quarterly report")
    assert row.has_attachments
    detail = laptop.store.message(email_id)
    assert detail is not None and detail.body_available
    assert [(a.filename, a.content_type) for a in detail.attachments] == [
        ("report.pdf", "application/pdf")
    ]

    # A later flag change from another device leaves the filled-in fields as they are.
    phone = device_factory(carol, "phone")
    phone.sync()
    phone.store.set_flagged([email_id])
    phone.sync()
    laptop.sync()
    (row,) = laptop.store.page(inbox)
    assert row.is_flagged and row.has_attachments
    assert row.snippet.startswith("Body of Quarterly report")
    detail = laptop.store.message(email_id)
    assert detail is not None and len(detail.attachments) == 1


def test_a_body_that_reached_the_server_comes_even_if_the_message_was_flagged_meanwhile(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    """The body pass and a flag change land between two pulls: this device sees one version
    with new flags, which alone keeps a lacking body deferred (store 0012); the preview that
    version brings says the server has the body now, so it is fetched (store 0013)."""
    dave = sync_server.new_user("dave")
    email_id = sync_server.deliver(dave.account_id, _with_attachment("Flagged report"))
    kept = _headers_only(sync_server, email_id)
    laptop, phone = device_factory(dave, "laptop"), device_factory(dave, "phone")
    assert laptop.sync().bodies_fetched == 0  # the server has no body: deferred
    phone.sync()

    _body_arrives(sync_server, dave.account_id, kept)
    phone.store.set_flagged([email_id])
    phone.sync()

    asked: list[list[str]] = []
    original = laptop.client.message_bodies

    def recording(message_ids: list[str]) -> Any:
        asked.append(list(message_ids))
        return original(message_ids)

    laptop.client.message_bodies = recording  # type: ignore[method-assign]
    report = laptop.sync()
    assert report.pulled >= 1 and report.bodies_fetched == 1
    assert asked == [[email_id]]
    detail = laptop.store.message(email_id)
    assert detail is not None and detail.body_available and detail.summary.is_flagged
    assert detail.text_body.startswith("Body of Flagged report")
