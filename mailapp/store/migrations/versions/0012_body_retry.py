"""A body the server lacks stays deferred through flag changes and moves.

Revision ID: 0012
Revises: 0011

Since 0007 any newer server version of a message cleared its body's retry delay, flag changes
included: after a pull of 100 flag changes the next prefetch asked the server again for 100
bodies it had just said it does not have (issue 11). What makes such a body available is its
content reaching the server (an upstream import stores headers first and the body later,
upstream/bodies.py): a new version whose keywords and mailbox are those already known. So the
delay is cleared only when the version moves and ``messages.base`` (the server's keywords and
mailbox, written with the version by store/replica_emails.py) stays the same. A flag change
or a move changes ``base`` and keeps the delay. When a body arrives and the message is also
flagged before this store pulls, the pull shows only the flag change: the body then comes
when its delay runs out (store/replica_bodies.py), or when the message is opened.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# 0007's trigger, restored by downgrade.
OLD = """
    CREATE TRIGGER body_queue_message_update AFTER UPDATE OF server_version ON messages
    WHEN new.server_version IS NOT old.server_version BEGIN
      UPDATE body_queue SET retry_at = NULL, attempts = 0
       WHERE message_num = new.num AND retry_at IS NOT NULL;
    END
"""

NEW = """
    CREATE TRIGGER body_queue_message_update AFTER UPDATE OF server_version ON messages
    WHEN new.server_version IS NOT old.server_version AND new.base IS old.base BEGIN
      UPDATE body_queue SET retry_at = NULL, attempts = 0
       WHERE message_num = new.num AND retry_at IS NOT NULL;
    END
"""


def upgrade() -> None:
    op.execute("DROP TRIGGER body_queue_message_update")
    op.execute(NEW)


def downgrade() -> None:
    op.execute("DROP TRIGGER body_queue_message_update")
    op.execute(OLD)
