"""Revisions 0005 and 0007 re-key mailboxes, drafts and submissions by (account, id) on a
database that already holds them, on SQLite and PostgreSQL: every row survives, local
deliveries learn their sender, and the delivery tables' foreign keys follow the new key."""

from __future__ import annotations

from sqlalchemy import text

from mailapp.server.db import make_engine, migrate


def test_existing_records_survive_the_new_keys(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0004")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO account (id, name, email, password_hash, modseq, pruned_modseq,"
                    " created_at) VALUES ('a1', 'alice', 'alice@example.org', 'x', 3, 0,"
                    " CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO draft (id, account_id, subject, created_modseq, updated_modseq)"
                    " VALUES ('d1', 'a1', 'Hi', 1, 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO submission (id, account_id, draft_id, send_at, state,"
                    " envelope_rcpts, created_modseq, updated_modseq) VALUES ('s1', 'a1', 'd1',"
                    " CURRENT_TIMESTAMP, 'sent', '[]', 2, 3)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO local_delivery (submission_id, recipient, account_id, email_id,"
                    " delivered_at) VALUES ('s1', 'bob@example.org', 'b1', 'e1', CURRENT_TIMESTAMP)"
                )
            )
        migrate(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT subject FROM draft")).scalar_one() == "Hi"
            assert conn.execute(text("SELECT account_id FROM submission")).scalar_one() == "a1"
            assert (
                conn.execute(text("SELECT sender_account_id FROM local_delivery")).scalar_one()
                == "a1"
            )
            # The same submission id in another account is now a different record.
            conn.execute(
                text(
                    "INSERT INTO account (id, name, email, password_hash, modseq, pruned_modseq,"
                    " created_at) VALUES ('a2', 'eve', 'eve@example.org', 'x', 0, 0,"
                    " CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO submission (id, account_id, draft_id, send_at, state,"
                    " envelope_rcpts, created_modseq, updated_modseq) VALUES ('s1', 'a2', 'd1',"
                    " CURRENT_TIMESTAMP, 'scheduled', '[]', 1, 1)"
                )
            )
            # Deleting an account still takes its submissions' delivery rows with it.
            conn.execute(text("DELETE FROM submission WHERE account_id = 'a1'"))
            assert conn.execute(text("SELECT count(*) FROM local_delivery")).scalar_one() == 0
    finally:
        engine.dispose()
