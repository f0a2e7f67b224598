"""upstream blocked folder: writes the provider refuses (mailbox full, read-only folder)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upstream_folder") as batch_op:
        batch_op.add_column(sa.Column("blocked", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("blocked_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("blocked_retry_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("upstream_folder") as batch_op:
        batch_op.drop_column("blocked_retry_at")
        batch_op.drop_column("blocked_reason")
        batch_op.drop_column("blocked")
