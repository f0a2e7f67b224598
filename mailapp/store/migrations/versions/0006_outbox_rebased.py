"""Outbox rows remember that a server change to their record arrived after they were queued.

Revision ID: 0006
Revises: 0005

Such a mutation was made on an older server base, so folding it with later ones could cancel
an action the server never saw undone (store/fold.py). Before this revision nothing recorded it,
so every mutation already queued is marked: sending them unfolded is always correct, and costs
only a few extra mutations once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("rebased", sa.Boolean(), nullable=False, server_default="0"))
    op.execute("UPDATE outbox SET rebased = 1 WHERE state IN ('pending', 'in_flight')")


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("rebased")
