"""Drafts: saved locally, queued as draft.upsert with only the fields that changed; sending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailapp.core.addresses import Address
from mailapp.store import DraftInput, MailStore
from mailapp.store.drafts import wire_fields
from tests.store.conftest import Recorder

BOB = Address("Bob Builder", "bob@example.net")


def test_first_save_queues_every_field_with_null_old(store: MailStore, account: str) -> None:
    draft_id = store.save_draft(
        DraftInput(
            None,
            account,
            subject="Plans",
            to=[BOB],
            body="See you at noon",
            attachments=[("plan.txt", "text/plain", b"step one")],
        )
    )
    [row] = store.pending_mutations()
    assert row.type == "draft.upsert"
    assert row.args["draftId"] == draft_id
    fields = row.args["fields"]
    assert all(change["old"] is None for change in fields.values())
    assert fields["subject"]["new"] == "Plans"
    assert fields["to"]["new"] == [{"name": "Bob Builder", "email": "bob@example.net"}]
    assert fields["body"]["new"] == "See you at noon"
    [attachment] = fields["attachments"]["new"]
    assert attachment["name"] == "plan.txt" and attachment["size"] == 8
    saved = store.draft(draft_id)
    assert saved is not None
    assert saved.subject == "Plans" and saved.to == [BOB]
    assert store.blob(saved.attachments[0].blob_id) == b"step one"
    assert [d.id for d in store.drafts(account)] == [draft_id]


def test_later_saves_queue_only_changed_fields(store: MailStore, account: str) -> None:
    draft = DraftInput(None, account, subject="Plans", to=[BOB], body="Draft one")
    draft.draft_id = store.save_draft(draft)
    draft.body = "Draft two"
    draft.cc = [Address(None, "carol@example.com")]
    assert store.save_draft(draft) == draft.draft_id
    latest = store.pending_mutations()[-1]
    assert latest.args == {
        "draftId": draft.draft_id,
        "fields": {
            "body": {"old": "Draft one", "new": "Draft two"},
            "cc": {"old": [], "new": [{"name": None, "email": "carol@example.com"}]},
        },
    }
    assert store.draft(draft.draft_id).body == "Draft two"  # type: ignore[union-attr]


def test_saving_an_unchanged_draft_queues_nothing(store: MailStore, account: str) -> None:
    draft = DraftInput(None, account, subject="Plans", body="Same")
    draft.draft_id = store.save_draft(draft)
    recorder = Recorder()
    store.subscribe(recorder)
    store.save_draft(draft)
    assert len(store.pending_mutations()) == 1
    assert recorder.changes == []


def test_queue_send_queues_a_submission(store: MailStore, account: str) -> None:
    draft_id = store.save_draft(DraftInput(None, account, subject="Now", to=[BOB]))
    submission = store.queue_send(draft_id)
    later = datetime(2026, 12, 24, 18, 30, tzinfo=timezone(timedelta(hours=2)))
    scheduled = store.queue_send(draft_id, send_at=later)
    sends = [r.args for r in store.pending_mutations() if r.type == "submission.create"]
    assert sends == [
        {"submissionId": submission, "draftId": draft_id, "sendAt": None},
        {"submissionId": scheduled, "draftId": draft_id, "sendAt": "2026-12-24T16:30:00Z"},
    ]
    assert submission != scheduled


def test_queue_send_refuses_unknown_drafts_and_naive_times(store: MailStore, account: str) -> None:
    with pytest.raises(KeyError):
        store.queue_send("no-such-draft")
    draft_id = store.save_draft(DraftInput(None, account, subject="x"))
    with pytest.raises(ValueError, match="timezone"):
        store.queue_send(draft_id, send_at=datetime(2026, 12, 24, 18, 30))
    assert [r.type for r in store.pending_mutations()] == ["draft.upsert"]


def test_delete_draft_queues_destroy(store: MailStore, account: str) -> None:
    draft_id = store.save_draft(DraftInput(None, account, subject="Oops"))
    store.delete_draft(draft_id)
    assert store.draft(draft_id) is None
    assert store.pending_mutations()[-1].payload == {
        "type": "draft.destroy",
        "args": {"draftId": draft_id},
    }
    assert store.drafts(account) == []


def test_draft_updated_at_is_aware(store: MailStore, account: str) -> None:
    before = datetime.now(UTC)
    draft_id = store.save_draft(DraftInput(None, account))
    saved = store.draft(draft_id)
    assert saved is not None and saved.updated_at >= before - timedelta(seconds=1)


def test_a_save_with_a_base_changes_only_what_the_editor_changed(
    store: MailStore, account: str
) -> None:
    # The editor loaded "Draft one"; meanwhile the stored draft moved (another device's body,
    # written here as a second editor would).
    draft = DraftInput(None, account, subject="Plans", body="Draft one")
    draft.draft_id = store.save_draft(draft)
    base = wire_fields(draft)
    store.save_draft(DraftInput(draft.draft_id, account, subject="Plans", body="Their body"))

    # The first editor still shows "Draft one" and changes the subject only.
    mine = DraftInput(draft.draft_id, account, subject="Plans for Friday", body="Draft one")
    store.save_draft(mine, base=base)
    assert store.pending_mutations()[-1].args["fields"] == {
        "subject": {"old": "Plans", "new": "Plans for Friday"}
    }
    saved = store.draft(draft.draft_id)
    assert saved is not None and (saved.subject, saved.body) == ("Plans for Friday", "Their body")

    # Now it changes the body too: it goes out against the body it saw, not the stored one, so
    # the server can tell the two edits apart (a conflict) instead of taking mine silently.
    mine.body = "My body"
    store.save_draft(mine, base=wire_fields(mine) | {"body": "Draft one"})
    assert store.pending_mutations()[-1].args["fields"] == {
        "body": {"old": "Draft one", "new": "My body"}
    }
