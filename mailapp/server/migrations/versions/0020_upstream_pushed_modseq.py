"""upstream_account.pushed_modseq: where the write-back looks for pending changes

Revision ID: 0020
Revises: 0019

Every email of the account whose change is not yet written upstream has an updated_modseq
above this floor (upstream/pending.py), so a sync pass finds the pending write-back from the
email feed index instead of joining every upstream_message row of every folder with its email
(linear in the mailbox, on every pass, also when nothing changed). 0 means: look everywhere.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upstream_account") as batch_op:
        batch_op.add_column(
            sa.Column("pushed_modseq", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("upstream_account") as batch_op:
        batch_op.drop_column("pushed_modseq")
