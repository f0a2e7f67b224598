"""The import's INSERTs through the driver's executemany store what SQLAlchemy's would."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.server.auth import create_user
from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.models import Email, EmailBlob, Mailbox
from mailapp.server.upstream import bulk, records
from tests.imap.messages import message


def _columns(engine: Engine, email_id: str) -> tuple[dict[str, object], dict[str, object]]:
    with session_scope(engine, write=False) as session:
        email = session.execute(select(Email.__table__).where(Email.id == email_id)).one()
        blob = session.execute(
            select(EmailBlob.__table__).where(EmailBlob.email_id == email_id)
        ).one()
    mine = {k: v for k, v in email._mapping.items() if k not in ("id",)}
    return mine, {k: v for k, v in blob._mapping.items() if k != "email_id"}


def test_rows_stored_through_the_driver_read_back_as_through_sqlalchemy(engine: Engine) -> None:
    with session_scope(engine) as session:
        account_id = create_user(session, "bulk-user", "bulk-password-1").id
    with session_scope(engine, write=False) as session:
        inbox = session.scalars(
            select(Mailbox.id).where(Mailbox.account_id == account_id, Mailbox.role == "inbox")
        ).one()
    when = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    made = [
        records.whole_row(account_id, inbox, message(7), received_at=when, keywords=["$seen"])
        for _ in range(2)
    ]
    bulk._PLANS.clear()
    with session_scope(engine) as session:
        alloc = ModseqAllocator(session, account_id)
        records.insert_emails(alloc, [made[0][0]])
        records.insert_blobs(alloc, [made[0][1]])
        # The same rows through SQLAlchemy's own executemany.
        made[1][0]["created_modseq"] = made[1][0]["updated_modseq"] = alloc.next()
        connection = session.connection()
        connection.execute(records._INSERT_EMAILS, [records.core_columns(made[1][0])])
        connection.execute(records._INSERT_BLOBS, [made[1][1]])
        alloc.finish()
    assert len(bulk._PLANS) == 2  # the driver's path was taken, not the fallback

    fast, slow = _columns(engine, made[0][0]["id"]), _columns(engine, made[1][0]["id"])
    for name in ("created_modseq", "updated_modseq"):
        fast[0].pop(name), slow[0].pop(name)
    assert fast == slow
    assert fast[0]["keywords"] == ["$seen"] and fast[0]["received_at"].replace(
        tzinfo=UTC
    ) == when.replace(tzinfo=UTC)
    assert fast[1]["raw"] == message(7) and fast[1]["bodies_parsed"] is True
