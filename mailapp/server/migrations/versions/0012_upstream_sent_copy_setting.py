"""upstream sent copy setting: who files sent mail in the provider's Sent (auto/append/provider)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upstream_account") as batch_op:
        batch_op.add_column(
            sa.Column("sent_copy", sa.String(length=16), nullable=False, server_default="auto")
        )


def downgrade() -> None:
    with op.batch_alter_table("upstream_account") as batch_op:
        batch_op.drop_column("sent_copy")
