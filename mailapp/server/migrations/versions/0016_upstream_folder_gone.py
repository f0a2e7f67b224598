"""upstream folder gone_at, gone_note: a folder deleted upstream (the link says so for a while)

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upstream_folder") as batch_op:
        batch_op.add_column(sa.Column("gone_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("gone_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("upstream_folder") as batch_op:
        batch_op.drop_column("gone_note")
        batch_op.drop_column("gone_at")
