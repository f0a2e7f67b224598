"""upstream draft: each draft's copy in the provider's Drafts folder

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upstream_draft",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("upstream_id", sa.String(length=36), nullable=False),
        sa.Column("draft_id", sa.String(length=36), nullable=False),
        sa.Column("synced_modseq", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("clean", sa.Boolean(), nullable=False),
        sa.Column("seen_modseq", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dirty_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["upstream_id"],
            ["upstream_account.id"],
            name=op.f("fk_upstream_draft_upstream_id_upstream_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstream_draft")),
        sa.UniqueConstraint("upstream_id", "draft_id", name=op.f("uq_upstream_draft_upstream_id")),
    )


def downgrade() -> None:
    op.drop_table("upstream_draft")
