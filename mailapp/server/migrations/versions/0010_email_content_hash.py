"""email.content_sha256: imports tell messages apart by their bytes, not their Message-ID

Different messages can share a Message-ID (broken mailers, resent mail), so the importer skips
only a message whose exact bytes the mailbox already holds. Existing messages get their hash
here, read from their stored raw message in batches.

Revision ID: 0010
Revises: 0009
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table("email") as batch_op:
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    blob = sa.table("email_blob", sa.column("email_id", sa.String), sa.column("raw"))
    email = sa.table("email", sa.column("id", sa.String), sa.column("content_sha256"))
    after = ""
    while True:
        rows = bind.execute(
            sa.select(blob.c.email_id, blob.c.raw)
            .where(blob.c.email_id > after)
            .order_by(blob.c.email_id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            email.update().where(email.c.id == sa.bindparam("b_id")),
            [{"b_id": row.email_id, "content_sha256": hashlib.sha256(bytes(row.raw)).hexdigest()}
             for row in rows],
        )
        after = rows[-1].email_id
    op.create_index(
        "ix_email_content", "email", ["mailbox_id", "content_sha256"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_email_content", table_name="email")
    with op.batch_alter_table("email") as batch_op:
        batch_op.drop_column("content_sha256")
