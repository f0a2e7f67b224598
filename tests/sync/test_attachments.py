"""Draft attachments travel as server blobs: sent mail carries them, other devices get them."""

from __future__ import annotations

from mailapp.core.addresses import Address
from mailapp.store import DraftInput
from tests.server.conftest import RunningServer
from tests.support.faultproxy import FaultProxy
from tests.sync.conftest import DeviceFactory, wait_for

PDF = b"%PDF-1.4 " + bytes(range(256)) * 40


def test_an_attachment_reaches_the_recipient_and_the_other_device(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice, bob = sync_server.new_user("alice"), sync_server.new_user("bob")
    laptop, phone = device_factory(alice, "laptop"), device_factory(alice, "phone")
    recipient = device_factory(bob, "bob")
    for device in (laptop, phone, recipient):
        device.sync()
    draft_id = laptop.store.save_draft(
        DraftInput(
            None,
            laptop.account_id,
            subject="Report attached",
            to=[Address(None, f"{bob.name}@example.org")],
            body="See the PDF.",
            attachments=[("report.pdf", "application/pdf", PDF)],
        )
    )
    laptop.sync()

    phone.sync()
    draft = phone.store.draft(draft_id)
    assert draft is not None and [a.name for a in draft.attachments] == ["report.pdf"]
    assert phone.store.blob(draft.attachments[0].blob_id) == PDF
    server_draft = alice.client.get(f"/v1/drafts/{draft_id}").json()
    server_blob = server_draft["attachments"][0]["blobId"]
    assert alice.client.get(f"/v1/blobs/{server_blob}").content == PDF

    # Saving the draft again on the phone (same bytes) uploads nothing new.
    uploads_before = proxy.stats.paths.count("/v1/blobs")
    assert uploads_before == 1
    phone.store.save_draft(
        DraftInput(
            draft_id,
            phone.account_id,
            subject="Report attached (final)",
            to=draft.to,
            body=draft.body,
            attachments=[("report.pdf", "application/pdf", PDF)],
        )
    )
    assert phone.sync().conflicts == 0
    assert proxy.stats.paths.count("/v1/blobs") == uploads_before
    laptop.sync()
    laptop.store.queue_send(draft_id)
    laptop.sync()

    def arrived() -> bool:
        recipient.sync()
        return recipient.subjects("inbox") == ["Report attached (final)"]

    wait_for(arrived, "the mail with its attachment")
    (summary,) = recipient.store.page(recipient.mailbox("inbox"))
    detail = recipient.store.message(summary.id)
    assert detail is not None and summary.has_attachments
    assert [a.filename for a in detail.attachments] == ["report.pdf"]
    part = detail.attachments[0]
    assert (
        bob.client.get(f"/v1/messages/{summary.id}/attachments/{part.id.split('.', 1)[1]}").content
        == PDF
    )
