"""email_blob keeps the text and HTML bodies worked out when the message arrived

Rows from before stay `bodies_parsed = false`; readers parse their raw message as before.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("email_blob") as batch_op:
        batch_op.add_column(
            sa.Column("bodies_parsed", sa.Boolean(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("text_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("email_blob") as batch_op:
        batch_op.drop_column("html_body")
        batch_op.drop_column("text_body")
        batch_op.drop_column("bodies_parsed")
