"""Sort keys for listing by sender and by subject; drafts listed newest first.

Revision ID: 0005
Revises: 0004

The keys are computed in Python (mailapp.store.sort_keys, the same helper every insert path
uses), so existing rows are filled here in batches; each order then pages through its own index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mailapp.store.sort_keys import sort_keys

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    op.add_column("messages", sa.Column("sender_key", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "messages", sa.Column("subject_key", sa.Text(), nullable=False, server_default="")
    )
    conn = op.get_bind()
    last = None
    while True:
        query = "SELECT num, subject, sender_name, sender_email FROM messages"
        params: dict[str, object] = {"limit": _BATCH}
        if last is not None:
            query += " WHERE num > :last"
            params["last"] = last
        rows = conn.execute(sa.text(query + " ORDER BY num LIMIT :limit"), params).all()
        if not rows:
            break
        conn.execute(
            sa.text(
                "UPDATE messages SET sender_key = :sender_key, subject_key = :subject_key "
                "WHERE num = :num"
            ),
            [{"num": r.num, **sort_keys(r.subject, r.sender_name, r.sender_email)} for r in rows],
        )
        last = rows[-1].num
    op.create_index(
        "ix_messages_mailbox_sender", "messages", ["mailbox_id", "sender_key", "date", "id"]
    )
    op.create_index(
        "ix_messages_mailbox_subject", "messages", ["mailbox_id", "subject_key", "date", "id"]
    )
    op.create_index("ix_drafts_account_updated", "drafts", ["account_id", "updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_drafts_account_updated", table_name="drafts")
    op.drop_index("ix_messages_mailbox_subject", table_name="messages")
    op.drop_index("ix_messages_mailbox_sender", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("subject_key")
        batch.drop_column("sender_key")
