"""Sync replica bookkeeping: server identity, server base values, blob ids, prefetch window.

Revision ID: 0003
Revises: 0002

``base`` columns hold the record's last known server values (JSON); the row's own columns hold
that base with the still-unconfirmed local mutations replayed on top (see store/replica.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("server_url", sa.String))
    op.add_column("accounts", sa.Column("username", sa.String))
    op.add_column("accounts", sa.Column("server_account_id", sa.String))
    op.add_column("mailboxes", sa.Column("base", sa.Text))
    op.add_column("messages", sa.Column("base", sa.Text))
    op.add_column("drafts", sa.Column("base", sa.Text))
    # Draft attachments: the server's blob id for each local (content-derived) blob id.
    op.create_table(
        "blob_uploads",
        sa.Column("local_id", sa.String, primary_key=True),
        sa.Column(
            "account_id",
            sa.String,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("server_id", sa.String, nullable=False),
    )
    op.add_column(
        "sync_state",
        sa.Column("prefetch_days", sa.Integer, nullable=False, server_default="30"),
    )


def downgrade() -> None:
    op.drop_column("sync_state", "prefetch_days")
    op.drop_table("blob_uploads")
    op.drop_column("drafts", "base")
    op.drop_column("messages", "base")
    op.drop_column("mailboxes", "base")
    op.drop_column("accounts", "server_account_id")
    op.drop_column("accounts", "username")
    op.drop_column("accounts", "server_url")
