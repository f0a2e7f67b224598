"""A body the server lacks is asked for again once a pulled version brings its preview.

Revision ID: 0013
Revises: 0012

0012 clears a body's retry delay only when a new server version keeps the message's keywords
and mailbox: when the body reached the server AND the message was flagged or moved before
this store pulled, the one new version changed ``base`` and the body waited out its delay (up
to a week). The body pass on the server also fills in the record's preview and attachments,
which a pull now writes to ``messages.snippet`` / ``has_attachments`` (store/replica_emails.py
update_emails, only when they change): that change is the sign the server has the body, so it
clears the delay too, whatever else the version changed. Messages whose body is stored have no
``body_queue`` row, so the trigger touches nothing for them.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TRIGGER = """
    CREATE TRIGGER body_queue_message_content AFTER UPDATE OF snippet, has_attachments
    ON messages
    WHEN new.snippet IS NOT old.snippet OR new.has_attachments IS NOT old.has_attachments BEGIN
      UPDATE body_queue SET retry_at = NULL, attempts = 0
       WHERE message_num = new.num AND retry_at IS NOT NULL;
    END
"""


def upgrade() -> None:
    op.execute(TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER body_queue_message_content")
