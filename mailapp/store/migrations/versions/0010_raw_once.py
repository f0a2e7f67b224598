"""Mail that keeps its raw bytes keeps its HTML part and attachments only there.

Revision ID: 0010
Revises: 0009

Imported mail kept its raw message (compressed), and beside it the HTML part in
``message_bodies.html_body`` and each attachment's bytes in ``attachments.data``: both are in
the raw message too, so they were stored twice (issue 11: a store ≤ 1.5× the raw mail). From
here a message with ``raw`` has ``html_body`` NULL and its attachments' ``data`` NULL, and the
store reads them from the raw bytes when the message is opened (``store/raw_parts.py``). The
text part stays: search indexes it, and FTS5 needs it in SQL to take an entry out again.

A copy goes only where parsing the raw bytes gives exactly what is stored, with the parser the
store reads them with (so this migration imports it, unlike the others): a message the parser
reads otherwise keeps its copies. Downgrading writes the copies back from the raw bytes. The
space freed is given back by the VACUUM after an upgrade (migrate.py).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_BATCH = 200


def _parse(packed: bytes) -> Any:
    from mailapp.mime.parse import parse_message

    return parse_message(zlib.decompress(packed), read_headers=False)


def _find(parsed: Any, row: Any) -> Any:
    # store/raw_parts.py find_part as of this revision: the part at the row's position when
    # name, type and Content-ID agree, else the first part that agrees and has its size.
    def same(part: Any) -> bool:
        return (part.filename, part.content_type, part.content_id) == (
            row.filename,
            row.content_type,
            row.content_id,
        )

    parts = parsed.attachments
    if 0 <= row.position < len(parts) and same(parts[row.position]):
        return parts[row.position]
    return next((part for part in parts if same(part) and part.size == row.size), None)


def _messages_with_raw(conn: sa.Connection, condition: str) -> Any:
    """(message_num, raw, html_body) of messages with raw bytes and `condition`, in batches,
    reporting how far it is (a large store takes tens of seconds: start-up shows it)."""
    from mailapp.store.migrate import report

    total = conn.exec_driver_sql(
        f"SELECT count(*) FROM message_bodies AS b WHERE b.raw IS NOT NULL AND ({condition})"
    ).scalar_one()
    done = 0
    report(done, total)
    last = -(2**63)
    while True:
        rows = conn.exec_driver_sql(
            "SELECT b.message_num, b.raw, b.html_body FROM message_bodies AS b"
            f" WHERE b.raw IS NOT NULL AND b.message_num > ? AND ({condition})"
            " ORDER BY b.message_num LIMIT ?",
            (last, _BATCH),
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]
        done += len(rows)
        report(done, total)


def _attachments(conn: sa.Connection, num: int, with_data: bool) -> Sequence[Any]:
    return conn.exec_driver_sql(
        "SELECT id, position, filename, content_type, content_id, size, data FROM attachments"
        f" WHERE message_num = ? AND data IS {'NOT ' if with_data else ''}NULL",
        (num,),
    ).all()


def upgrade() -> None:
    conn = op.get_bind()
    condition = (
        "b.html_body IS NOT NULL OR EXISTS (SELECT 1 FROM attachments AS a"
        " WHERE a.message_num = b.message_num AND a.data IS NOT NULL)"
    )
    for rows in _messages_with_raw(conn, condition):
        html_once: list[tuple[int]] = []
        data_once: list[tuple[str]] = []
        for num, packed, html in rows:
            parsed = _parse(packed)
            if html is not None and parsed.html_body == html:
                html_once.append((num,))
            for part in _attachments(conn, num, with_data=True):
                found = _find(parsed, part)
                if found is not None and found.data == part.data:
                    data_once.append((part.id,))
        if html_once:
            conn.exec_driver_sql(
                "UPDATE message_bodies SET html_body = NULL WHERE message_num = ?", html_once
            )
        if data_once:
            conn.exec_driver_sql("UPDATE attachments SET data = NULL WHERE id = ?", data_once)


def downgrade() -> None:
    conn = op.get_bind()
    condition = (
        "b.html_body IS NULL OR EXISTS (SELECT 1 FROM attachments AS a"
        " WHERE a.message_num = b.message_num AND a.data IS NULL)"
    )
    for rows in _messages_with_raw(conn, condition):
        for num, packed, html in rows:
            parsed = _parse(packed)
            if html is None and parsed.html_body is not None:
                conn.exec_driver_sql(
                    "UPDATE message_bodies SET html_body = ? WHERE message_num = ?",
                    (parsed.html_body, num),
                )
            for part in _attachments(conn, num, with_data=False):
                found = _find(parsed, part)
                if found is not None:
                    conn.exec_driver_sql(
                        "UPDATE attachments SET data = ? WHERE id = ?", (found.data, part.id)
                    )
