"""Bodies still to download, kept as a queue so a sync cycle never scans the messages.

Revision ID: 0007
Revises: 0006

``body_queue`` holds one row per synced message whose body is not stored. Triggers keep it
equal to "synced messages without a message_bodies row" whichever path writes: a synced
header row enters it, a stored body leaves it (and a removed body enters it again), a deleted
message leaves it through its foreign key. A body the server said it does not have gets a
``retry_at`` (store/replica_bodies.py backs off); a newer server version of the message clears
it, since that is when the server may have the body now (an upstream import stores headers
first and bodies later, each with a new modseq).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TRIGGERS = {
    "body_queue_message_insert": """
        CREATE TRIGGER body_queue_message_insert AFTER INSERT ON messages
        WHEN new.server_id IS NOT NULL BEGIN
          INSERT OR IGNORE INTO body_queue (message_num, account_id)
          SELECT new.num, new.account_id
           WHERE NOT EXISTS (SELECT 1 FROM message_bodies WHERE message_num = new.num);
        END
    """,
    "body_queue_message_update": """
        CREATE TRIGGER body_queue_message_update AFTER UPDATE OF server_version ON messages
        WHEN new.server_version IS NOT old.server_version BEGIN
          UPDATE body_queue SET retry_at = NULL, attempts = 0
           WHERE message_num = new.num AND retry_at IS NOT NULL;
        END
    """,
    "body_queue_body_insert": """
        CREATE TRIGGER body_queue_body_insert AFTER INSERT ON message_bodies BEGIN
          DELETE FROM body_queue WHERE message_num = new.message_num;
        END
    """,
    "body_queue_body_delete": """
        CREATE TRIGGER body_queue_body_delete AFTER DELETE ON message_bodies BEGIN
          INSERT OR IGNORE INTO body_queue (message_num, account_id)
          SELECT num, account_id FROM messages
           WHERE num = old.message_num AND server_id IS NOT NULL;
        END
    """,
}


def upgrade() -> None:
    op.create_table(
        "body_queue",
        sa.Column(
            "message_num",
            sa.Integer,
            sa.ForeignKey("messages.num", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("account_id", sa.String, nullable=False),
        sa.Column("retry_at", sa.BigInteger),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    )
    # The message key is the rowid, so this index also orders each (account, retry_at) run by it.
    op.create_index("ix_body_queue_due", "body_queue", ["account_id", "retry_at"])
    op.execute(
        """
        INSERT INTO body_queue (message_num, account_id)
        SELECT m.num, m.account_id FROM messages AS m
         WHERE m.server_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM message_bodies AS b WHERE b.message_num = m.num)
        """
    )
    for sql in TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.drop_index("ix_body_queue_due", "body_queue")
    op.drop_table("body_queue")
