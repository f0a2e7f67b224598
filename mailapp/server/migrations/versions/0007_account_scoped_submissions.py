"""submissions keyed by (account_id, id), like mailboxes and drafts (0005)

The delivery tables name a submission by the sending account and its id: relay jobs already
carry the account, local deliveries gain `sender_account_id`.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing may point at submission.id alone while its key changes.
    with op.batch_alter_table("relay_job", recreate="always") as batch_op:
        batch_op.drop_constraint("fk_relay_job_submission_id_submission", type_="foreignkey")
    with op.batch_alter_table("local_delivery", recreate="always") as batch_op:
        batch_op.drop_constraint("fk_local_delivery_submission_id_submission", type_="foreignkey")
        batch_op.drop_constraint("uq_local_delivery_submission_id", type_="unique")
        batch_op.add_column(sa.Column("sender_account_id", sa.String(length=36), nullable=True))
    op.execute(
        "UPDATE local_delivery SET sender_account_id = (SELECT submission.account_id FROM "
        "submission WHERE submission.id = local_delivery.submission_id)"
    )
    with op.batch_alter_table("submission", recreate="always") as batch_op:
        batch_op.drop_constraint("pk_submission", type_="primary")
        batch_op.create_primary_key("pk_submission", ["account_id", "id"])
    with op.batch_alter_table("relay_job", recreate="always") as batch_op:
        batch_op.create_foreign_key(
            "fk_relay_job_account_id_submission",
            "submission",
            ["account_id", "submission_id"],
            ["account_id", "id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("local_delivery", recreate="always") as batch_op:
        batch_op.alter_column("sender_account_id", existing_type=sa.String(36), nullable=False)
        batch_op.create_unique_constraint(
            "uq_local_delivery_sender_account_id",
            ["sender_account_id", "submission_id", "recipient"],
        )
        batch_op.create_foreign_key(
            "fk_local_delivery_sender_account_id_submission",
            "submission",
            ["sender_account_id", "submission_id"],
            ["account_id", "id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("local_delivery", recreate="always") as batch_op:
        batch_op.drop_constraint(
            "fk_local_delivery_sender_account_id_submission", type_="foreignkey"
        )
        batch_op.drop_constraint("uq_local_delivery_sender_account_id", type_="unique")
        batch_op.drop_column("sender_account_id")
    with op.batch_alter_table("relay_job", recreate="always") as batch_op:
        batch_op.drop_constraint("fk_relay_job_account_id_submission", type_="foreignkey")
    with op.batch_alter_table("submission", recreate="always") as batch_op:
        batch_op.drop_constraint("pk_submission", type_="primary")
        batch_op.create_primary_key("pk_submission", ["id"])
    with op.batch_alter_table("relay_job", recreate="always") as batch_op:
        batch_op.create_foreign_key(
            "fk_relay_job_submission_id_submission",
            "submission",
            ["submission_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("local_delivery", recreate="always") as batch_op:
        batch_op.create_unique_constraint(
            "uq_local_delivery_submission_id", ["submission_id", "recipient"]
        )
        batch_op.create_foreign_key(
            "fk_local_delivery_submission_id_submission",
            "submission",
            ["submission_id"],
            ["id"],
            ondelete="CASCADE",
        )
