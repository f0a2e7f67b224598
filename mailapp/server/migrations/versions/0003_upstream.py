"""upstream IMAP accounts: the link, its folders, the UID map

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upstream_account",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("tls", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("password_enc", sa.LargeBinary(), nullable=False),
        sa.Column("smtp_host", sa.String(length=255), nullable=True),
        sa.Column("smtp_port", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_upstream_account_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstream_account")),
        sa.UniqueConstraint("account_id", name=op.f("uq_upstream_account_account_id")),
    )
    op.create_table(
        "upstream_folder",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("upstream_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("mailbox_id", sa.String(length=36), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uidnext", sa.BigInteger(), nullable=False),
        sa.Column("highestmodseq", sa.BigInteger(), nullable=True),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upstream_id"],
            ["upstream_account.id"],
            name=op.f("fk_upstream_folder_upstream_id_upstream_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstream_folder")),
        sa.UniqueConstraint("upstream_id", "name", name=op.f("uq_upstream_folder_upstream_id")),
    )
    op.create_table(
        "upstream_message",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("folder_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("email_id", sa.String(length=36), nullable=False),
        sa.Column("header_sha", sa.String(length=64), nullable=False),
        sa.Column("has_body", sa.Boolean(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["upstream_folder.id"],
            name=op.f("fk_upstream_message_folder_id_upstream_folder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstream_message")),
        sa.UniqueConstraint("folder_id", "uid", name=op.f("uq_upstream_message_folder_id")),
    )
    op.create_index(
        "ix_upstream_message_pending_body", "upstream_message", ["folder_id", "has_body"]
    )
    op.create_index(
        "ix_upstream_message_header_sha", "upstream_message", ["folder_id", "header_sha"]
    )
    op.create_index(
        op.f("ix_upstream_message_email_id"), "upstream_message", ["email_id"]
    )


def downgrade() -> None:
    op.drop_table("upstream_message")
    op.drop_table("upstream_folder")
    op.drop_table("upstream_account")
