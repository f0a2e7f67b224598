"""Full-text search: an FTS5 index over subject, sender, recipients and body text.

Revision ID: 0002
Revises: 0001

The index is a regular (content-storing) FTS5 table keyed by messages.num, so a row can be
removed by rowid alone; the repository inserts rows, this trigger removes them.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ADDRESSES = """
    (SELECT group_concat(coalesce(json_extract(a.value, '$.name'), '') || ' '
                         || json_extract(a.value, '$.email'), ' ')
       FROM json_each(m.headers, '$.{key}') AS a)
"""


def upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE messages_fts USING fts5("
        "subject, sender, recipients, body, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute(
        """
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
          DELETE FROM messages_fts WHERE rowid = old.num;
        END
        """
    )
    # Index the mail that is already here (a store upgraded from 0001).
    op.execute(
        f"""
        INSERT INTO messages_fts (rowid, subject, sender, recipients, body)
        SELECT m.num, m.subject,
               trim(coalesce(m.sender_name, '') || ' ' || coalesce(m.sender_email, '')),
               trim(coalesce({_ADDRESSES.format(key="to")}, '') || ' '
                    || coalesce({_ADDRESSES.format(key="cc")}, '')),
               coalesce(b.text_body, b.html_body, '')
          FROM messages AS m LEFT JOIN message_bodies AS b ON b.message_num = m.num
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER messages_fts_delete")
    op.execute("DROP TABLE messages_fts")
