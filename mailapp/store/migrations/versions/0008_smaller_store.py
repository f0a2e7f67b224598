"""A smaller store: the search index keeps no copy of the text, raw messages are compressed.

Revision ID: 0008
Revises: 0007

Until 0007 the text of a message was stored three times: in the raw message, in
message_bodies, and in the FTS5 table's own content. From here:

- ``messages_fts`` is an external-content FTS5 table over the view ``messages_fts_source``,
  which reads subject, sender and recipients from ``messages`` and the body text from
  ``message_bodies``; only the inverted index is stored. The text of HTML-only mail (the HTML
  without its markup, what search must see) is kept in ``message_bodies.search_text``: it is
  not stored anywhere else, and SQL cannot work it out.
- Triggers keep the index equal to the view: every change to what the view shows for a
  message deletes its index entry (with the values it was indexed with, which the view still
  shows before the change) and indexes it again after. So whatever path writes (import, sync,
  a body arriving, a message deleted) the index never holds a row the view does not.
- ``message_bodies.raw`` holds the raw message compressed with zlib (``store.codec.pack``).
- ``ix_messages_thread`` goes: ``ix_messages_thread_mailbox_date`` starts with the same column.

The previous index's content gives the text of HTML-only mail without parsing any HTML here.
The space freed is given back to the file system by a VACUUM after the upgrade (migrate.py).
"""

from __future__ import annotations

import zlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The names and addresses of one header list, as "Name email" pairs joined by spaces. A
# recursive walk by index, not json_each: FTS5 cannot read a view that uses a table-valued
# function ("SQL logic error"), and it reads this one for 'rebuild' and 'integrity-check'.
_ADDRESSES = """
    (WITH RECURSIVE walk(i, s) AS (
        SELECT 0, NULL
        UNION ALL
        SELECT i + 1,
               CASE WHEN s IS NULL THEN '' ELSE s || ' ' END
               || CASE WHEN coalesce(json_extract(m.headers, '$.{key}[' || i || '].name'), '') <> ''
                       THEN json_extract(m.headers, '$.{key}[' || i || '].name') || ' '
                            || json_extract(m.headers, '$.{key}[' || i || '].email')
                       ELSE json_extract(m.headers, '$.{key}[' || i || '].email') END
          FROM walk WHERE i < coalesce(json_array_length(m.headers, '$.{key}'), 0))
     SELECT s FROM walk ORDER BY i DESC LIMIT 1)
"""

VIEW = f"""
    CREATE VIEW messages_fts_source AS
    SELECT m.num AS num,
           m.subject AS subject,
           CASE WHEN coalesce(m.sender_name, '') <> ''
                THEN m.sender_name || ' ' || coalesce(m.sender_email, '')
                ELSE coalesce(m.sender_email, '') END AS sender,
           trim(coalesce({_ADDRESSES.format(key="to")}, '') || ' '
                || coalesce({_ADDRESSES.format(key="cc")}, '')) AS recipients,
           CASE WHEN coalesce(b.text_body, '') <> '' THEN b.text_body
                ELSE coalesce(b.search_text, '') END AS body
      FROM messages AS m LEFT JOIN message_bodies AS b ON b.message_num = m.num
"""

_INDEX = (
    "INSERT INTO messages_fts (rowid, subject, sender, recipients, body)"
    " SELECT num, subject, sender, recipients, body FROM messages_fts_source WHERE num = {key};"
)
_UNINDEX = (
    "INSERT INTO messages_fts (messages_fts, rowid, subject, sender, recipients, body)"
    " SELECT 'delete', num, subject, sender, recipients, body FROM messages_fts_source"
    " WHERE num = {key};"
)
_MESSAGE_TEXT = "subject, sender_name, sender_email, headers"
_BODY_TEXT = "text_body, search_text"

TRIGGERS = {
    "messages_fts_insert": f"AFTER INSERT ON messages BEGIN {_INDEX.format(key='new.num')} END",
    "messages_fts_delete": f"BEFORE DELETE ON messages BEGIN {_UNINDEX.format(key='old.num')} END",
    "messages_fts_unindex": (
        f"BEFORE UPDATE OF {_MESSAGE_TEXT} ON messages BEGIN {_UNINDEX.format(key='old.num')} END"
    ),
    "messages_fts_reindex": (
        f"AFTER UPDATE OF {_MESSAGE_TEXT} ON messages BEGIN {_INDEX.format(key='new.num')} END"
    ),
    "bodies_fts_insert_unindex": (
        f"BEFORE INSERT ON message_bodies BEGIN {_UNINDEX.format(key='new.message_num')} END"
    ),
    "bodies_fts_insert_index": (
        f"AFTER INSERT ON message_bodies BEGIN {_INDEX.format(key='new.message_num')} END"
    ),
    "bodies_fts_delete_unindex": (
        f"BEFORE DELETE ON message_bodies BEGIN {_UNINDEX.format(key='old.message_num')} END"
    ),
    "bodies_fts_delete_index": (
        f"AFTER DELETE ON message_bodies BEGIN {_INDEX.format(key='old.message_num')} END"
    ),
    "bodies_fts_update_unindex": (
        f"BEFORE UPDATE OF {_BODY_TEXT} ON message_bodies"
        f" BEGIN {_UNINDEX.format(key='old.message_num')} END"
    ),
    "bodies_fts_update_index": (
        f"AFTER UPDATE OF {_BODY_TEXT} ON message_bodies"
        f" BEGIN {_INDEX.format(key='new.message_num')} END"
    ),
}

_BATCH = 500


def _pack(raw: bytes) -> bytes:
    # store.codec.pack as of this revision (a migration never imports code that may change).
    packer = zlib.compressobj(6, zlib.DEFLATED, 15 if len(raw) > 65536 else 13, 8)
    return packer.compress(raw) + packer.flush()


def _compress_raw(conn: sa.Connection) -> None:
    last = None
    while True:
        rows = conn.exec_driver_sql(
            "SELECT message_num, raw FROM message_bodies WHERE raw IS NOT NULL"
            + ("" if last is None else " AND message_num > ?")
            + " ORDER BY message_num LIMIT ?",
            (_BATCH,) if last is None else (last, _BATCH),
        ).all()
        if not rows:
            return
        conn.exec_driver_sql(
            "UPDATE message_bodies SET raw = ? WHERE message_num = ?",
            [(_pack(bytes(raw)), num) for num, raw in rows],
        )
        last = rows[-1][0]


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("message_bodies", sa.Column("search_text", sa.Text))
    # What the old index holds for HTML-only mail is the HTML's text, worked out at import.
    op.execute(
        """
        UPDATE message_bodies SET search_text = (
               SELECT f.body FROM messages_fts AS f WHERE f.rowid = message_bodies.message_num)
         WHERE coalesce(text_body, '') = '' AND html_body IS NOT NULL
        """
    )
    op.execute("DROP TRIGGER messages_fts_delete")
    op.execute("DROP TABLE messages_fts")
    _compress_raw(conn)
    op.execute(VIEW)
    op.execute(
        "CREATE VIRTUAL TABLE messages_fts USING fts5("
        "subject, sender, recipients, body, "
        "content = 'messages_fts_source', content_rowid = 'num', columnsize = 0, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    # ix_messages_thread_mailbox_date starts with thread_id: it serves every thread lookup.
    op.drop_index("ix_messages_thread", "messages")


def downgrade() -> None:
    op.create_index("ix_messages_thread", "messages", ["thread_id"])
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute(
        "CREATE VIRTUAL TABLE messages_fts_0007 USING fts5("
        "subject, sender, recipients, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute(
        "INSERT INTO messages_fts_0007 (rowid, subject, sender, recipients, body)"
        " SELECT num, subject, sender, recipients, body FROM messages_fts_source"
    )
    op.execute("DROP TABLE messages_fts")
    op.execute("DROP VIEW messages_fts_source")
    op.execute("ALTER TABLE messages_fts_0007 RENAME TO messages_fts")
    op.execute(
        "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
        " DELETE FROM messages_fts WHERE rowid = old.num; END"
    )
    conn = op.get_bind()
    rows = conn.exec_driver_sql(
        "SELECT message_num, raw FROM message_bodies WHERE raw IS NOT NULL"
    ).all()
    conn.exec_driver_sql(
        "UPDATE message_bodies SET raw = ? WHERE message_num = ?",
        [(zlib.decompress(raw), num) for num, raw in rows],
    )
    op.execute("ALTER TABLE message_bodies DROP COLUMN search_text")
