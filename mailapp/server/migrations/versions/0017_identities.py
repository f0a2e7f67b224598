"""account aliases, draft from_address: identities (several From addresses per account)

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.add_column(sa.Column("aliases", sa.JSON(), nullable=True))
    with op.batch_alter_table("draft") as batch_op:
        batch_op.add_column(sa.Column("from_address", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draft") as batch_op:
        batch_op.drop_column("from_address")
    with op.batch_alter_table("account") as batch_op:
        batch_op.drop_column("aliases")
