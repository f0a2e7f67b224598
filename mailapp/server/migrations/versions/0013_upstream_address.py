"""upstream address: the linked account's own address, the From of mail sent through it

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upstream_account") as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("upstream_account") as batch_op:
        batch_op.drop_column("address")
