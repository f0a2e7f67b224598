"""upstream sent copy: the queue of copies of provider-sent messages in the provider's Sent

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upstream_sent_copy",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstream_sent_copy")),
        sa.UniqueConstraint("job_id", name=op.f("uq_upstream_sent_copy_job_id")),
    )
    with op.batch_alter_table("upstream_sent_copy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upstream_sent_copy_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("upstream_sent_copy")
