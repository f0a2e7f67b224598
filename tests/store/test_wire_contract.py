"""Everything the store queues is a mutation the server's wire models accept as-is."""

from __future__ import annotations

from datetime import UTC, datetime

from mailapp.core.addresses import Address
from mailapp.store import DraftInput, MailStore
from mailapp.wire import DRAFT_FIELDS, MUTATION_ARGS, DraftFields, Mutation
from tests.store.conftest import add_messages, mailbox_id


def test_every_queued_mutation_validates_against_the_wire_format(
    store: MailStore, account: str
) -> None:
    archive = mailbox_id(store, account, "archive")
    a, b, c = add_messages(store, account, 3)
    store.mark_read([a])
    store.mark_read([a], read=False)
    store.set_flagged([b])
    store.move([b], archive)
    store.delete([c])
    store.delete([c])
    draft = DraftInput(
        None,
        account,
        subject="Hi",
        to=[Address("Bob", "bob@example.net")],
        body="x",
        html_body="<p>x</p>",
        in_reply_to="<p@x>",
        references=["<p@x>"],
        attachments=[("a.txt", "text/plain", b"abc")],
    )
    draft.draft_id = store.save_draft(draft)
    draft.subject = "Hi again"
    store.save_draft(draft)
    store.queue_send(draft.draft_id, send_at=datetime(2030, 1, 1, tzinfo=UTC))
    store.queue_send(draft.draft_id)
    store.delete_draft(draft.draft_id)

    rows = store.pending_mutations()
    assert {r.type for r in rows} == {
        "email.keywords",
        "email.move",
        "email.destroy",
        "draft.upsert",
        "submission.create",
        "draft.destroy",
    }
    for row in rows:
        Mutation.model_validate({"mutationId": row.mutation_id, **row.payload})
        args = MUTATION_ARGS[row.type].model_validate(row.args)
        # Nothing the client meant to say is dropped by the server's model.
        assert args.model_dump(mode="json", by_alias=True, exclude_unset=True).keys() == (
            row.args.keys()
        )
        if row.type == "draft.upsert":
            fields = row.args["fields"]
            assert set(fields) <= set(DRAFT_FIELDS)
            new_values = {name: change["new"] for name, change in fields.items()}
            parsed = DraftFields.model_validate(new_values)
            assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == new_values
