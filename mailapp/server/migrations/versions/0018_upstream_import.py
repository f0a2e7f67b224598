"""upstream import: messages imported here (email.import) waiting to be APPENDed upstream

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upstream_import",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("email_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstream_import")),
        sa.UniqueConstraint("email_id", name=op.f("uq_upstream_import_email_id")),
    )
    with op.batch_alter_table("upstream_import", schema=None) as batch_op:
        batch_op.create_index("ix_upstream_import_pending", ["account_id", "state"], unique=False)


def downgrade() -> None:
    op.drop_table("upstream_import")
