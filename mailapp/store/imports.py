"""Messages dropped from files into a mailbox that syncs with a server (`email.import`).

The message shows at once: it is filed here under a provisional id, its bytes kept as a local
blob, and the `email.import` mutation queued, in one transaction, as every other action is.
The sync engine uploads the bytes (`POST /v1/blobs`), pushes the mutation, and the server's
answer names the email's id there: `map_imported` then gives the local message that id, and
so do the mutations queued on it meanwhile (read, flagged, moved), which wait in the queue
until then (`held_back`). A refused import (not a message, too large, its mailbox gone) takes
the message away again and leaves its reason on the Outbox line.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, select, update

from mailapp.store import codec
from mailapp.store.drafts import blob_id
from mailapp.store.outbox import outbox_row, queue_mutation
from mailapp.store.replica_views import UNFINISHED, Touched
from mailapp.store.rows import ChangeSet, OutboxRow, OutboxState
from mailapp.store.schema import attachments, blobs, mailboxes, messages, outbox
from mailapp.store.store import MailStore

IMPORT = "email.import"


def queue_imports(store: MailStore, mailbox_id: str, files: Sequence[bytes]) -> list[str]:
    """Files each message into the mailbox and queues its upload; returns the local ids."""
    from mailapp.mime.parse import parse_message  # the MIME parser: only when importing
    from mailapp.store.importer import ImportContext, import_batch

    parsed = [parse_message(raw) for raw in files]
    with store._write() as conn:
        account_id = conn.execute(
            select(mailboxes.c.account_id).where(mailboxes.c.id == mailbox_id)
        ).scalar()
        if account_id is None:
            raise ValueError(f"mailbox {mailbox_id} does not exist")
        ctx = ImportContext(account_id)
        import_batch(conn, ctx, [(mailbox_id, message, frozenset({"$seen"})) for message in parsed])
        for local_id, raw in zip(ctx.new_ids, files, strict=True):
            local_blob = blob_id(raw)
            existing = conn.execute(select(blobs.c.id).where(blobs.c.id == local_blob)).scalar()
            if existing is None:
                conn.execute(blobs.insert().values(id=local_blob, size=len(raw), data=raw))
            queue_mutation(
                conn,
                account_id,
                IMPORT,
                {
                    "localId": local_id,
                    "mailboxId": mailbox_id,
                    "blobId": local_blob,
                    "keywords": ["$seen"],
                },
                email_id=local_id,
            )
        new_ids = list(ctx.new_ids)
    store._notify(
        ChangeSet(messages=frozenset(new_ids), mailboxes=frozenset({mailbox_id}), outbox=True)
    )
    return new_ids


def held_back(conn: Connection, account_id: str, batch: list[OutboxRow]) -> list[OutboxRow]:
    """The batch up to the first mutation of a message whose import is not answered yet.

    Such a mutation names the message by its provisional id, which the server does not know;
    once the import is answered it is rewritten to the server's id (`map_imported`) and goes
    in the next round trip.
    """
    waiting = set(
        conn.execute(
            select(outbox.c.email_id).where(
                outbox.c.account_id == account_id,
                outbox.c.type == IMPORT,
                outbox.c.state.in_(UNFINISHED),
            )
        ).scalars()
    )
    if not waiting:
        return batch
    for index, row in enumerate(batch):
        if row.type != IMPORT and row.args.get("emailId") in waiting:
            return batch[:index]
    return batch


def map_imported(conn: Connection, local_id: str, server_id: str, touched: Touched) -> None:
    """The server filed the message as `server_id`: the local copy takes that id.

    When this store already has that email (the same bytes were in the mailbox, and the server
    answered with the copy it had), the provisional copy goes and the mutations queued on it
    apply to the email already here.
    """
    found = conn.execute(
        select(messages.c.num, messages.c.mailbox_id).where(messages.c.id == local_id)
    ).first()
    already = conn.execute(select(messages.c.num).where(messages.c.id == server_id)).scalar()
    if found is not None:
        touched.messages.update((local_id, server_id))
        touched.mailboxes.add(found.mailbox_id)
        if already is not None:
            conn.execute(delete(messages).where(messages.c.num == found.num))
        else:
            conn.execute(
                update(messages)
                .where(messages.c.num == found.num)
                .values(id=server_id, server_id=server_id)
            )
    queued = conn.execute(
        select(outbox).where(outbox.c.email_id == local_id, outbox.c.type != IMPORT)
    ).all()
    for raw_row in queued:
        row = outbox_row(raw_row)
        args = {**row.args, "emailId": server_id}
        conn.execute(
            update(outbox)
            .where(outbox.c.mutation_id == row.mutation_id)
            .values(payload=codec.dumps({"type": row.type, "args": args}), email_id=server_id)
        )


def drop_refused(conn: Connection, local_id: str, touched: Touched) -> None:
    """A refused import: its provisional message goes (the file the user dropped is still
    where it was), and so do the mutations queued on it, which name a message that never
    reached the server."""
    found = conn.execute(
        select(messages.c.num, messages.c.mailbox_id).where(messages.c.id == local_id)
    ).first()
    if found is not None:
        conn.execute(delete(attachments).where(attachments.c.message_num == found.num))
        conn.execute(delete(messages).where(messages.c.num == found.num))
        touched.messages.add(local_id)
        touched.mailboxes.add(found.mailbox_id)
    conn.execute(
        delete(outbox).where(
            outbox.c.email_id == local_id,
            outbox.c.type != IMPORT,
            outbox.c.state.in_(UNFINISHED),
        )
    )


def fail_upload(store: MailStore, row: OutboxRow, error: str) -> None:
    """The server refused the message's bytes before the mutation was sent (too large, over
    quota): the import fails as if the server had refused the mutation."""
    touched = Touched(outbox=True)
    with store._write() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.mutation_id == row.mutation_id)
            .values(state=OutboxState.FAILED.value, last_error=error)
        )
        drop_refused(conn, str(row.args.get("localId")), touched)
    store._notify(touched.changeset())
