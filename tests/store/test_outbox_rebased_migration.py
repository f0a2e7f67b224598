"""Revision 0006: mutations queued before it travel unfolded, since nobody knows their base."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from mailapp.store import open_store
from mailapp.store.migrate import alembic_config
from mailapp.store.replica_take import take_batch


def test_mutations_queued_before_the_upgrade_are_never_folded(store_path: Path) -> None:
    engine = create_engine(f"sqlite:///{store_path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0005")
    engine.dispose()
    with sqlite3.connect(store_path) as conn:
        conn.execute("INSERT INTO accounts (id, email, created_at) VALUES ('a', 'me@x.org', 0)")
        # Read, then unread, queued by 0005 code: a pull may have changed the base in between,
        # and 0005 kept no trace of it. Folding them away could leave this device wrong.
        for mutation_id, state, change in (
            (1, "applied", '"add": ["$flagged"], "remove": []'),
            (2, "pending", '"add": ["$seen"], "remove": []'),
            (3, "pending", '"add": [], "remove": ["$seen"]'),
        ):
            conn.execute(
                "INSERT INTO outbox (mutation_id, account_id, type, payload, email_id, state,"
                " attempts, created_at) VALUES (?, 'a', 'email.keywords', ?, 'e', ?, 0, 0)",
                (
                    mutation_id,
                    '{"type": "email.keywords", "args": {"emailId": "e", ' + change + "}}",
                    state,
                ),
            )
    store = open_store(store_path)
    try:
        batch = take_batch(store, "a", 100)
    finally:
        store.close()
    assert [(row.mutation_id, row.args["add"], row.args["remove"]) for row in batch] == [
        (2, ["$seen"], []),
        (3, [], ["$seen"]),
    ]
    with sqlite3.connect(store_path) as conn:
        marks = conn.execute("SELECT mutation_id, rebased FROM outbox ORDER BY 1").fetchall()
    assert marks == [(1, 0), (2, 1), (3, 1)]
