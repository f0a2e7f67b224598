"""New mail is indexed for search by the code that inserts it, not by per-row triggers.

Revision ID: 0009
Revises: 0008

0008's triggers worked out every new message's index entry from the view messages_fts_source,
which cost more CPU per message than everything else an import does (issue 11: ≥ 3,000
messages a second). The importer and the sync replica now write those entries themselves, in
bulk, with the same text the view shows (store/fts.py `index_row`; tests run FTS5's
integrity-check, which compares the two). What stays with triggers is every later change:
a body removed or changed, a message's text changed, a message deleted.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_INDEX = (
    "INSERT INTO messages_fts (rowid, subject, sender, recipients, body)"
    " SELECT num, subject, sender, recipients, body FROM messages_fts_source WHERE num = {key};"
)
_UNINDEX = (
    "INSERT INTO messages_fts (messages_fts, rowid, subject, sender, recipients, body)"
    " SELECT 'delete', num, subject, sender, recipients, body FROM messages_fts_source"
    " WHERE num = {key};"
)
DROPPED = {
    "messages_fts_insert": f"AFTER INSERT ON messages BEGIN {_INDEX.format(key='new.num')} END",
    "bodies_fts_insert_unindex": (
        f"BEFORE INSERT ON message_bodies BEGIN {_UNINDEX.format(key='new.message_num')} END"
    ),
    "bodies_fts_insert_index": (
        f"AFTER INSERT ON message_bodies BEGIN {_INDEX.format(key='new.message_num')} END"
    ),
}


def upgrade() -> None:
    for name in DROPPED:
        op.execute(f"DROP TRIGGER {name}")


def downgrade() -> None:
    for name, body in DROPPED.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
