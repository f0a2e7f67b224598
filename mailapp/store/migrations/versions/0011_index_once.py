"""Synced mail is indexed for search once per part: headers when they arrive, all of it with
the body, never taken out and indexed again.

Revision ID: 0011
Revises: 0010

Until 0010 one index held every message: a synced message was indexed by its headers when
its header page arrived, then taken out (FTS5 tokenizes the old values again to do that) and
indexed again with its body, which was ~45% of SQLite's time on the sync path (issue 11).
From here there are two indexes:

- ``messages_fts`` (unchanged columns, view ``messages_fts_source``) holds the messages that
  have a body, with their subject, sender, recipients and body; it now shows only those (an
  inner join). A body arriving adds its message to it, once.
- ``headers_fts`` (subject, sender, recipients; view ``headers_fts_source``) holds the
  messages that arrived without a body, marked ``messages.headers_first`` (sync sets it; an
  import, which has the body, does not). Such a message stays there after its body arrives:
  its entry is a subset of what ``messages_fts`` then holds, so search, which returns the
  messages either index matches with every word (store_reads.search), finds the same
  messages whether the body is here or not, and nothing is ever taken out on arrival.

Both indexes merge their segments 8 at a time instead of FTS5's default 4 (``automerge``):
each entry is rewritten by fewer merges as the index grows, a quarter less CPU per insert
(callgrind), for at most twice the segments a search reads, which search latency does not
show (tests/bench/bench_store.py).

Rows without a body leave ``messages_fts`` (their entries, indexed with an empty body) and go
into ``headers_fts``; messages with a body are not re-indexed, so this is quick even for a
large store. Triggers keep both indexes equal to their views on every later change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# As in 0008 (a migration never imports code that may change): the names and addresses of
# one header list, "Name email" pairs joined by spaces, walked by index (FTS5 cannot read a
# view that uses a table-valued function such as json_each).
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
_HEADER_COLUMNS = f"""
           m.subject AS subject,
           CASE WHEN coalesce(m.sender_name, '') <> ''
                THEN m.sender_name || ' ' || coalesce(m.sender_email, '')
                ELSE coalesce(m.sender_email, '') END AS sender,
           trim(coalesce({_ADDRESSES.format(key="to")}, '') || ' '
                || coalesce({_ADDRESSES.format(key="cc")}, '')) AS recipients
"""
_BODY = """
           CASE WHEN coalesce(b.text_body, '') <> '' THEN b.text_body
                ELSE coalesce(b.search_text, '') END AS body
"""


def _messages_view(join: str) -> str:
    return f"""
    CREATE VIEW messages_fts_source AS
    SELECT m.num AS num, {_HEADER_COLUMNS}, {_BODY}
      FROM messages AS m {join} JOIN message_bodies AS b ON b.message_num = m.num
"""


HEADERS_VIEW = f"""
    CREATE VIEW headers_fts_source AS
    SELECT m.num AS num, {_HEADER_COLUMNS} FROM messages AS m WHERE m.headers_first
"""

_HEADERS_INDEX = (
    "INSERT INTO headers_fts (rowid, subject, sender, recipients)"
    " SELECT num, subject, sender, recipients FROM headers_fts_source WHERE num = {key};"
)
_HEADERS_UNINDEX = (
    "INSERT INTO headers_fts (headers_fts, rowid, subject, sender, recipients)"
    " SELECT 'delete', num, subject, sender, recipients FROM headers_fts_source"
    " WHERE num = {key};"
)
_HEADER_TEXT = "subject, sender_name, sender_email, headers, headers_first"
HEADERS_TRIGGERS = {
    "headers_fts_delete": (
        f"BEFORE DELETE ON messages BEGIN {_HEADERS_UNINDEX.format(key='old.num')} END"
    ),
    "headers_fts_unindex": (
        f"BEFORE UPDATE OF {_HEADER_TEXT} ON messages"
        f" BEGIN {_HEADERS_UNINDEX.format(key='old.num')} END"
    ),
    "headers_fts_reindex": (
        f"AFTER UPDATE OF {_HEADER_TEXT} ON messages"
        f" BEGIN {_HEADERS_INDEX.format(key='new.num')} END"
    ),
}
# With the inner join a message without a body is not in messages_fts: once its body is
# deleted (the BEFORE DELETE trigger took the entry out) it is found by its headers again,
# as a message that arrived without one is. (Deleting the message deletes its body after it:
# the UPDATE then finds no row.)
_BODY_DELETE_HEADERS = (
    "AFTER DELETE ON message_bodies BEGIN"
    " UPDATE messages SET headers_first = 1 WHERE num = old.message_num AND NOT headers_first;"
    " END"
)
_BODY_DELETE_INDEX = (
    "AFTER DELETE ON message_bodies BEGIN"
    " INSERT INTO messages_fts (rowid, subject, sender, recipients, body)"
    " SELECT num, subject, sender, recipients, body FROM messages_fts_source"
    " WHERE num = old.message_num; END"
)
# Segments merged at a time (FTS5's default is 4).
AUTOMERGE = 8
_NO_BODY = "NOT EXISTS (SELECT 1 FROM message_bodies AS b WHERE b.message_num = messages.num)"


def upgrade() -> None:
    op.add_column(
        "messages",
        sa.Column("headers_first", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    # Out of messages_fts: the entries of messages without a body (indexed with body ''),
    # with the values the old view shows, before it changes.
    op.execute(
        "INSERT INTO messages_fts (messages_fts, rowid, subject, sender, recipients, body)"
        " SELECT 'delete', s.num, s.subject, s.sender, s.recipients, s.body"
        " FROM messages_fts_source AS s"
        " WHERE NOT EXISTS (SELECT 1 FROM message_bodies AS b WHERE b.message_num = s.num)"
    )
    op.execute(f"UPDATE messages SET headers_first = 1 WHERE {_NO_BODY}")
    op.execute("DROP TRIGGER bodies_fts_delete_index")
    op.execute("DROP VIEW messages_fts_source")
    op.execute(_messages_view("INNER"))
    op.execute(HEADERS_VIEW)
    op.execute(
        "CREATE VIRTUAL TABLE headers_fts USING fts5("
        "subject, sender, recipients, "
        "content = 'headers_fts_source', content_rowid = 'num', columnsize = 0, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    for table in ("messages_fts", "headers_fts"):
        op.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', {AUTOMERGE})")
    op.execute("INSERT INTO headers_fts (headers_fts) VALUES ('rebuild')")
    for name, body in HEADERS_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(f"CREATE TRIGGER bodies_fts_delete_headers {_BODY_DELETE_HEADERS}")


def downgrade() -> None:
    op.execute("DROP TRIGGER bodies_fts_delete_headers")
    for name in HEADERS_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE headers_fts")
    op.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 4)")
    op.execute("DROP VIEW headers_fts_source")
    op.execute("DROP VIEW messages_fts_source")
    op.execute(_messages_view("LEFT"))
    op.execute(f"CREATE TRIGGER bodies_fts_delete_index {_BODY_DELETE_INDEX}")
    op.execute(
        "INSERT INTO messages_fts (rowid, subject, sender, recipients, body)"
        " SELECT s.num, s.subject, s.sender, s.recipients, s.body FROM messages_fts_source AS s"
        " WHERE NOT EXISTS (SELECT 1 FROM message_bodies AS b WHERE b.message_num = s.num)"
    )
    op.execute("ALTER TABLE messages DROP COLUMN headers_first")
