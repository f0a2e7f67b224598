"""Index for listing by conversation: a thread's messages per mailbox in date order.

Revision ID: 0004
Revises: 0003

Grouping the message list by conversation asks, for each row it visits, whether the same thread
has a newer message in the same mailbox; with this index that is one index probe.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_messages_thread_mailbox_date", "messages", ["thread_id", "mailbox_id", "date", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_messages_thread_mailbox_date", table_name="messages")
