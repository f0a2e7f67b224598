"""Outbox and conflict operations the UI calls, on a real store file."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailapp.core.addresses import Address
from mailapp.store import DraftInput, MailStore, OutboxState, codec
from mailapp.store.outbox_admin import (
    Choice,
    OutboxBusyError,
    allowed_choices,
    differing_fields,
    discard,
    discards_something,
    known_addresses,
    mark_composer_closed,
    mark_composer_open,
    open_composer_drafts,
    resolve,
    retry_now,
    return_to_drafts,
    undo_send,
)
from mailapp.store.schema import drafts
from mailapp.store.store import open_store
from tests.conflicts import add_conflict
from tests.store.conftest import add_messages, mailbox_id, make_message


def queued(store: MailStore) -> list[tuple[str, dict[str, Any]]]:
    return [(m.type, m.args) for m in store.pending_mutations()]


def save(store: MailStore, account: str, **fields: Any) -> str:
    return store.save_draft(DraftInput(draft_id=None, account_id=account, **fields))


def draft_fields(store: MailStore, draft_id: str) -> dict[str, Any]:
    with store._read() as conn:
        return codec.loads(
            conn.execute(drafts.select().where(drafts.c.id == draft_id)).one().fields
        )


# -- discard rolls back the local change ---------------------------------------------------


def test_discarding_a_mark_read_restores_unread(store: MailStore, account: str) -> None:
    (message,) = add_messages(store, account, 1)
    store.mark_read([message])
    (mutation,) = store.pending_mutations()
    discard(store, [mutation.mutation_id])
    assert store.pending_mutations() == []
    detail = store.message(message)
    assert detail is not None and not detail.summary.is_read


def test_discarding_a_move_puts_the_message_back(store: MailStore, account: str) -> None:
    (message,) = add_messages(store, account, 1)
    inbox, archive = mailbox_id(store, account, "inbox"), mailbox_id(store, account, "archive")
    store.move([message], archive)
    discard(store, [m.mutation_id for m in store.pending_mutations()])
    assert [s.id for s in store.page(inbox)] == [message]
    assert store.count(archive) == 0


def test_discarding_a_draft_edit_restores_the_previous_text(store: MailStore, account: str) -> None:
    draft_id = save(store, account, subject="First")
    store.save_draft(DraftInput(draft_id=draft_id, account_id=account, subject="Second"))
    edit = store.pending_mutations()[-1]
    discard(store, [edit.mutation_id])
    row = store.draft(draft_id)
    assert row is not None and row.subject == "First"

    (creation,) = store.pending_mutations()
    discard(store, [creation.mutation_id])
    assert store.draft(draft_id) is None  # discarding the creation discards the draft


def test_a_change_in_flight_cannot_be_discarded(store: MailStore, account: str) -> None:
    (message,) = add_messages(store, account, 1)
    store.mark_read([message])
    (mutation,) = store.pending_mutations()
    store.set_mutation_state([mutation.mutation_id], OutboxState.IN_FLIGHT)
    with pytest.raises(OutboxBusyError):
        discard(store, [mutation.mutation_id])
    assert len(store.pending_mutations()) == 1


def test_retry_now_makes_a_failed_change_due_and_keeps_its_error(
    store: MailStore, account: str
) -> None:
    (message,) = add_messages(store, account, 1)
    store.set_flagged([message])
    (mutation,) = store.pending_mutations()
    store.set_mutation_state([mutation.mutation_id], OutboxState.FAILED, error="HTTP 500")
    retry_now(store, [mutation.mutation_id])
    (after,) = store.pending_mutations()
    assert (after.state, after.next_attempt_at, after.last_error) == (
        OutboxState.PENDING,
        None,
        "HTTP 500",
    )


# -- sending -------------------------------------------------------------------------------


def test_returning_a_failed_send_to_drafts_keeps_the_draft(store: MailStore, account: str) -> None:
    draft_id = save(store, account, subject="Hi", to=[Address(None, "bob@example.org")])
    store.queue_send(draft_id)
    send = store.pending_mutations()[-1]
    store.set_mutation_state([send.mutation_id], OutboxState.FAILED, error="noRecipients")
    assert return_to_drafts(store, send.mutation_id) == draft_id
    assert [t for t, _ in queued(store)] == ["draft.upsert"]
    assert store.draft(draft_id) is not None


def test_undo_send_drops_a_pending_submission_or_cancels_a_pushed_one(
    store: MailStore, account: str
) -> None:
    draft_id = save(store, account, to=[Address(None, "bob@example.org")])
    first = store.queue_send(draft_id)
    assert undo_send(store, first) == draft_id
    assert [t for t, _ in queued(store)] == ["draft.upsert"]

    second = store.queue_send(draft_id)
    pushed = store.pending_mutations()[-1]
    store.set_mutation_state([pushed.mutation_id], OutboxState.APPLIED)
    undo_send(store, second)
    assert queued(store)[-1] == ("submission.cancel", {"submissionId": second})


# -- composer bookkeeping ------------------------------------------------------------------


def test_open_composer_marks_survive_reopening_the_store(
    store: MailStore, account: str, store_path: Any
) -> None:
    kept, closed = save(store, account, subject="a"), save(store, account, subject="b")
    mark_composer_open(store, kept)
    mark_composer_open(store, closed)
    mark_composer_closed(store, closed)
    store.close()
    with open_store(store_path) as again:
        assert open_composer_drafts(again, account) == [kept]
        assert open_composer_drafts(again, "another-account") == []


def test_known_addresses_come_from_mail_and_drafts(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    store.import_messages(
        account,
        [
            (inbox, make_message(cc=[Address("Carol", "carol@example.net")]), frozenset()),
            (inbox, make_message(), frozenset()),
        ],
    )
    save(store, account, to=[Address("Dan", "dan@example.com")])
    found = known_addresses(store)
    assert found[0] == Address("Alice Example", "alice@example.com")  # the most frequent
    assert {a.email for a in found} >= {"carol@example.net", "dan@example.com", "me@example.org"}


# -- conflicts -----------------------------------------------------------------------------


def draft_conflict(store: MailStore, account: str) -> tuple[str, str]:
    draft_id = save(store, account, subject="Mine", body="same")
    base = {"id": draft_id, "subject": "Base", "body": "same", "to": []}
    local = {"id": draft_id, "subject": "Mine", "body": "same", "to": []}
    server = {"id": draft_id, "subject": "Theirs", "body": "same", "to": [], "updatedModseq": 9}
    conflict = add_conflict(
        store, account, "draft", draft_id, mutation_id=1, base=base, local=local, server=server
    )
    return draft_id, conflict


def test_only_fields_that_differ_need_a_choice(store: MailStore, account: str) -> None:
    draft_conflict(store, account)
    (conflict,) = store.open_conflicts()
    assert differing_fields(conflict) == ["subject"]
    assert allowed_choices(conflict, "subject") == [Choice.BOTH, Choice.MINE, Choice.THEIRS]
    assert not discards_something(conflict, {"subject": Choice.BOTH})
    assert discards_something(conflict, {"subject": Choice.THEIRS})


def test_keeping_mine_queues_an_upsert_over_the_server_version(
    store: MailStore, account: str
) -> None:
    draft_id, conflict_id = draft_conflict(store, account)
    before = len(store.pending_mutations())
    (mutation_id,) = resolve(store, conflict_id, {"subject": Choice.MINE})
    new = store.pending_mutations()[before:]
    assert [(m.mutation_id, m.type, m.args) for m in new] == [
        (
            mutation_id,
            "draft.upsert",
            {"draftId": draft_id, "fields": {"subject": {"old": "Theirs", "new": "Mine"}}},
        )
    ]
    assert draft_fields(store, draft_id)["subject"] == "Mine"
    assert store.open_conflicts() == []


def test_keeping_theirs_queues_nothing_and_takes_the_server_text(
    store: MailStore, account: str
) -> None:
    draft_id, conflict_id = draft_conflict(store, account)
    before = len(store.pending_mutations())
    assert resolve(store, conflict_id, {"subject": Choice.THEIRS}) == []
    assert len(store.pending_mutations()) == before
    row = store.draft(draft_id)
    assert row is not None and row.subject == "Theirs"


def test_keeping_both_saves_my_version_as_a_second_draft(store: MailStore, account: str) -> None:
    draft_id, conflict_id = draft_conflict(store, account)
    (mutation_id,) = resolve(store, conflict_id, {})  # the default is "keep both"
    subjects = sorted(d.subject for d in store.drafts(account))
    assert subjects == ["Mine", "Theirs"]
    copy = next(d for d in store.drafts(account) if d.id != draft_id)
    (upsert,) = [m for m in store.pending_mutations() if m.mutation_id == mutation_id]
    assert upsert.args["draftId"] == copy.id
    assert upsert.args["fields"]["subject"] == {"old": None, "new": "Mine"}


def test_email_conflicts_resolve_with_keyword_and_move_mutations(
    store: MailStore, account: str
) -> None:
    (message,) = add_messages(store, account, 1)
    archive, trash = mailbox_id(store, account, "archive"), mailbox_id(store, account, "trash")
    local = {"id": message, "mailboxId": archive, "keywords": ["$seen"]}
    server = {"id": message, "mailboxId": trash, "keywords": ["$flagged"]}
    conflict_id = add_conflict(
        store, account, "email", message, mutation_id=1, base=None, local=local, server=server
    )
    (conflict,) = store.open_conflicts()
    assert allowed_choices(conflict, "mailboxId") == [Choice.MINE, Choice.THEIRS]
    resolve(store, conflict_id, {"keywords": Choice.BOTH, "mailboxId": Choice.MINE})
    assert queued(store)[-2:] == [
        ("email.keywords", {"emailId": message, "add": ["$seen"], "remove": []}),
        ("email.move", {"emailId": message, "mailboxId": {"old": trash, "new": archive}}),
    ]
    detail = store.message(message)
    assert detail is not None
    assert (detail.summary.mailbox_id, detail.summary.is_read, detail.summary.is_flagged) == (
        archive,
        True,
        True,
    )


def test_a_draft_deleted_on_the_server_can_be_restored(store: MailStore, account: str) -> None:
    draft_id = save(store, account, subject="Keep me")
    local = {"id": draft_id, "subject": "Keep me"}
    conflict_id = add_conflict(
        store,
        account,
        "draft",
        draft_id,
        mutation_id=1,
        base=None,
        local=local,
        server={"id": draft_id, "destroyed": True},
    )
    resolve(store, conflict_id, {"subject": Choice.MINE})
    last_type, last_args = queued(store)[-1]
    assert last_type == "draft.upsert" and last_args["draftId"] == draft_id
    assert last_args["fields"]["subject"] == {"old": None, "new": "Keep me"}
    row = store.draft(draft_id)
    assert row is not None and row.subject == "Keep me"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    actions=st.lists(
        st.tuples(
            st.sampled_from(["read", "unread", "flag", "unflag", "archive", "inbox"]),
            st.integers(0, 2),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_discarding_every_queued_change_restores_what_the_user_saw(
    store: MailStore, account: str, actions: list[tuple[str, int]]
) -> None:
    # Hypothesis reuses the store across examples: start each from a clean outbox.
    discard(store, [m.mutation_id for m in store.pending_mutations()])
    ids = [s.id for s in store.page(mailbox_id(store, account, "inbox"))] or add_messages(
        store, account, 3
    )
    inbox, archive = mailbox_id(store, account, "inbox"), mailbox_id(store, account, "archive")

    def snapshot() -> list[tuple[str, bool, bool]]:
        details = [store.message(i) for i in ids]
        return [
            (d.summary.mailbox_id, d.summary.is_read, d.summary.is_flagged)
            for d in details
            if d is not None
        ]

    before = snapshot()
    for action, index in actions:
        target = [ids[index]]
        match action:
            case "read" | "unread":
                store.mark_read(target, action == "read")
            case "flag" | "unflag":
                store.set_flagged(target, action == "flag")
            case "archive":
                store.move(target, archive)
            case "inbox":
                store.move(target, inbox)
    discard(store, [m.mutation_id for m in store.pending_mutations()])
    assert store.pending_mutations() == []
    assert snapshot() == before


# -- conflicts as the sync engine records them ---------------------------------------------


def test_a_draft_conflict_recorded_by_the_sync_engine_resolves_cleanly(
    store: MailStore, account: str
) -> None:
    # The engine stores the fields the refused upsert changed, and the server's whole record.
    draft_id = save(store, account, subject="Mine", body="Shared text")
    (upsert,) = store.pending_mutations()
    store.set_mutation_state([upsert.mutation_id], OutboxState.CONFLICT, error="conflict")
    server_record = {
        "id": draft_id,
        "subject": "Theirs",
        "to": [],
        "cc": [],
        "bcc": [],
        "body": "Shared text",
        "htmlBody": None,
        "inReplyTo": None,
        "references": [],
        "attachments": [],
        "createdModseq": 3,
        "updatedModseq": 7,
    }
    conflict_id = add_conflict(
        store,
        account,
        "draft",
        draft_id,
        mutation_id=upsert.mutation_id,
        base={"subject": None, "body": None},
        local={"subject": "Mine", "body": "Shared text"},
        server=server_record,
    )
    (conflict,) = store.open_conflicts()
    assert differing_fields(conflict) == ["subject"]  # body agrees; server-only fields ignored

    (mutation_id,) = resolve(store, conflict_id, {"subject": Choice.MINE})
    (left,) = store.pending_mutations()  # the refused upsert is gone, the resolution queued
    assert (left.mutation_id, left.type, left.args["fields"]) == (
        mutation_id,
        "draft.upsert",
        {"subject": {"old": "Theirs", "new": "Mine"}},
    )


def test_flags_on_a_message_deleted_elsewhere_can_only_follow_the_server(
    store: MailStore, account: str
) -> None:
    (message,) = add_messages(store, account, 1)
    store.mark_read([message])
    (mutation,) = store.pending_mutations()
    store.set_mutation_state([mutation.mutation_id], OutboxState.CONFLICT, error="destroyed")
    conflict_id = add_conflict(
        store,
        account,
        "email",
        message,
        mutation_id=mutation.mutation_id,
        base=None,
        local=mutation.args,  # {"emailId", "add", "remove"}
        server={"id": message, "destroyed": True},
    )
    (conflict,) = store.open_conflicts()
    assert differing_fields(conflict) == ["keywords"]
    assert allowed_choices(conflict, "keywords") == [Choice.THEIRS]
    with pytest.raises(ValueError, match="not possible"):
        resolve(store, conflict_id, {"keywords": Choice.MINE})

    assert resolve(store, conflict_id, {"keywords": Choice.THEIRS}) == []
    assert store.message(message) is None
    assert store.pending_mutations() == []
