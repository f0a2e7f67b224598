"""mailboxes and drafts keyed by (account_id, id)

Their ids are picked by clients. Keyed by id alone, an id another account holds was "in use"
here, which told one account about another's records (protocol.md promises such ids look like
missing ones) and refused a legitimate create.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("mailbox", "draft")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", ["account_id", "id"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", ["id"])
