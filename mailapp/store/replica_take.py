"""Taking a batch from the outbox for a push: never-sent mutations folded first, then the oldest
unfinished ones marked in flight (the answers are applied in replica_outbox.py)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Connection, delete, select, update

from mailapp.store import codec
from mailapp.store.fold import Queued, plan_fold, record_key
from mailapp.store.imports import held_back
from mailapp.store.outbox import outbox_row
from mailapp.store.replica_views import unfinished
from mailapp.store.rows import ChangeSet, OutboxRow, OutboxState
from mailapp.store.schema import drafts, outbox
from mailapp.store.store import MailStore

CHUNK = 500  # ids per IN (...) list: SQLite's bound-parameter limit is far above it
_UNFINISHED = (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value)


def take_batch(store: MailStore, account_id: str, limit: int) -> list[OutboxRow]:
    """Fold never-sent mutations, then mark up to ``limit`` oldest unfinished ones in flight.

    In-flight mutations (sent before, answer never received) come back unchanged, with the
    same ids, so the server replays its stored results instead of applying them twice.

    Mutations of a record with one in flight that a pull has rebased are not folded either:
    the view they were made on replays the in-flight one, which the server may have applied
    before the values that pull brought; their base is unknown until the answer comes.
    """
    changed = False
    with store._write() as conn:
        # One read of the queue serves the fold and, when nothing folds (a batch taken once, or
        # mutations that do not fold), the batch too: each row's JSON payload is parsed once.
        rows = conn.execute(
            select(outbox)
            .where(outbox.c.account_id == account_id, outbox.c.state.in_(_UNFINISHED))
            .order_by(outbox.c.mutation_id)
        ).all()
        if not rows:
            return []  # the common cycle: nothing queued
        queue = [outbox_row(row) for row in rows]
        rebased = {row.mutation_id for row in rows if row.rebased}
        pending = [r for r in queue if r.state == OutboxState.PENDING]
        waiting = {
            record_key(r.type, r.args)
            for r in queue
            if r.state == OutboxState.IN_FLIGHT and r.mutation_id in rebased
        }
        plan = plan_fold(
            [
                Queued(
                    r.mutation_id,
                    r.type,
                    r.args,
                    r.mutation_id in rebased or record_key(r.type, r.args) in waiting,
                )
                for r in pending
            ]
        )
        taken = queue[:limit]
        if not plan.empty:
            types = {r.mutation_id: r.type for r in pending}
            for mutation_id, args in plan.rewrite.items():
                conn.execute(
                    update(outbox)
                    .where(outbox.c.mutation_id == mutation_id)
                    .values(payload=codec.dumps({"type": types[mutation_id], "args": args}))
                )
            dropped = sorted(plan.drop)
            for start in range(0, len(dropped), CHUNK):
                chunk = dropped[start : start + CHUNK]
                conn.execute(delete(outbox).where(outbox.c.mutation_id.in_(chunk)))
            changed = True
            taken = unfinished(conn, account_id, limit)
        batch = held_back(conn, account_id, taken)
        batch = _with_server_nulls(conn, batch)
        fresh = [r.mutation_id for r in batch if r.state == OutboxState.PENDING]
        for start in range(0, len(fresh), CHUNK):
            conn.execute(
                update(outbox)
                .where(outbox.c.mutation_id.in_(fresh[start : start + CHUNK]))
                .values(state=OutboxState.IN_FLIGHT.value, attempts=outbox.c.attempts + 1)
            )
        changed = changed or bool(fresh)
    if changed:
        store._notify(ChangeSet(outbox=True))
    return batch


def _with_server_nulls(conn: Connection, batch: list[OutboxRow]) -> list[OutboxRow]:
    """Never-sent draft saves with the server's null as the old value where the store saw one.

    The store shows a draft field that is null on the server (a draft made by another
    program) as "" or [] and diffs against that, but the server compares the old value with
    its own: "" would be a conflict. Where the value a save started from is the server's null
    (the draft's base, with the earlier queued saves replayed), null is sent instead. The
    rewrite is stored, so a resend after a lost answer is identical.
    """
    draft_ids = {
        str(row.args.get("draftId"))
        for row in batch
        if row.type == "draft.upsert" and row.state == OutboxState.PENDING
    }
    if not draft_ids:
        return batch
    bases = {
        row.id: codec.loads(row.base)
        for row in conn.execute(
            select(drafts.c.id, drafts.c.base).where(
                drafts.c.id.in_(draft_ids), drafts.c.base.isnot(None)
            )
        )
    }
    if not bases:
        return batch
    seen = {
        draft_id: dict(base)
        for draft_id, base in bases.items()
        if any(value is None for value in base.values())
    }
    result: list[OutboxRow] = []
    for row in batch:
        values = seen.get(str(row.args.get("draftId")))
        if row.type != "draft.upsert" or values is None:
            result.append(row)
            continue
        fields = dict(row.args.get("fields", {}))
        for name, change in fields.items():
            old = change.get("old")
            if values.get(name) is None and old in ("", []):
                fields[name] = {**change, "old": None}
            values[name] = change.get("new")
        args = {**row.args, "fields": fields}
        if row.state == OutboxState.PENDING and args != row.args:
            conn.execute(
                update(outbox)
                .where(outbox.c.mutation_id == row.mutation_id)
                .values(payload=codec.dumps({"type": row.type, "args": args}))
            )
            row = dataclasses.replace(row, args=args)
        result.append(row)
    return result
