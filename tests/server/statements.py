"""The statements requests run on the server's database, counted at the driver.

Counted where the driver runs them, not through SQLAlchemy's events: the server runs some of
its statements on the driver's own cursor or connection (the feed's state read, feed_rows.py;
the pipelined flag push on PostgreSQL, push_flags_pg.py), which SQLAlchemy's events never see.
Counting at the driver sees the path production runs, whatever it goes through:
- SQLite: `sqlite3.Connection.set_trace_callback` on each pooled connection a `Connection`
  takes while counting (it gets the SQL with its parameters written in);
- psycopg: `Cursor.execute`/`executemany` (its `Connection.execute` goes through them) and
  `Connection.commit`, patched for the duration.

The server's background steps (the delivery worker's poll, an event stream's state read) run
through `asyncio.to_thread`, in the event loop's default executor (threads named "uvloop_N"
under uvloop, which uvicorn picks when it is installed; "asyncio_N" without it), at any
moment, a request's included. They are left out here, or a count would depend on timing: the
delivery poll landing inside a GET /v1/session once made 7 statements of 5."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Engine, event

from tests.server.conftest import RunningServer

BACKGROUND_THREAD_PREFIXES = ("uvloop_", "asyncio_")
# The driver's own transaction control (sqlite3's implicit BEGIN, COMMIT): not statements a
# request asks for; `driver_trace` reports commits as "COMMIT" on both drivers.
_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "END")


def _fold(sql: str | bytes) -> str:
    text = sql.decode() if isinstance(sql, bytes) else str(sql)
    return " ".join(text.split())


@contextmanager
def driver_trace(
    server: RunningServer, *, background: bool = False
) -> Iterator[list[tuple[int, str]]]:
    """(id of the DBAPI connection, statement with whitespace folded) for each statement the
    driver runs on `server`'s database inside the block, and (id, "COMMIT") for each commit,
    in order; bar those of the server's background threads unless `background`."""
    database = server.engine.url.database
    seen: list[tuple[int, str]] = []
    active = True

    def counted() -> bool:
        if not active:
            return False
        return background or not threading.current_thread().name.startswith(
            BACKGROUND_THREAD_PREFIXES
        )

    if server.engine.dialect.name == "sqlite":
        traced: list[sqlite3.Connection] = []

        def on_connect(conn: Any) -> None:
            if conn.engine.url.database != database:
                return
            raw = conn.connection.dbapi_connection
            if not isinstance(raw, sqlite3.Connection) or any(raw is t for t in traced):
                return
            key = id(raw)

            def trace(sql: str) -> None:
                if counted():
                    folded = _fold(sql)
                    if folded.upper().startswith(("COMMIT", "END")):
                        folded = "COMMIT"
                    seen.append((key, folded))

            raw.set_trace_callback(trace)
            traced.append(raw)

        event.listen(Engine, "engine_connect", on_connect)
        try:
            yield seen
        finally:
            active = False
            event.remove(Engine, "engine_connect", on_connect)
            for raw in traced:
                # Closed meanwhile: nothing to undo (`active` silences the rest).
                with contextlib.suppress(sqlite3.Error):
                    raw.set_trace_callback(None)
        return

    execute, executemany, commit = (
        psycopg.Cursor.execute,
        psycopg.Cursor.executemany,
        psycopg.Connection.commit,
    )

    def ours(conn: psycopg.Connection[Any]) -> bool:
        return counted() and conn.info.dbname == database

    def traced_execute(self: psycopg.Cursor[Any], query: Any, *args: Any, **kw: Any) -> Any:
        if ours(self.connection):
            seen.append((id(self.connection), _fold(_text(query, self.connection))))
        return execute(self, query, *args, **kw)

    def traced_executemany(self: psycopg.Cursor[Any], query: Any, *args: Any, **kw: Any) -> Any:
        if ours(self.connection):
            seen.append((id(self.connection), _fold(_text(query, self.connection))))
        return executemany(self, query, *args, **kw)

    def traced_commit(self: psycopg.Connection[Any]) -> None:
        if ours(self):
            seen.append((id(self), "COMMIT"))
        commit(self)

    psycopg.Cursor.execute = traced_execute  # type: ignore[method-assign]
    psycopg.Cursor.executemany = traced_executemany  # type: ignore[method-assign]
    psycopg.Connection.commit = traced_commit  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        active = False
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        psycopg.Cursor.executemany = executemany  # type: ignore[method-assign]
        psycopg.Connection.commit = commit  # type: ignore[method-assign]


def _text(query: Any, conn: psycopg.Connection[Any]) -> str | bytes:
    if isinstance(query, str | bytes):
        return query
    return query.as_string(conn)  # a psycopg.sql.Composable


@contextmanager
def request_statements(server: RunningServer, *, background: bool = False) -> Iterator[list[str]]:
    """Each statement (whitespace folded) the driver runs on `server`'s database inside the
    block, bar the driver's own transaction control and, unless `background`, those of the
    server's background threads. Filled in when the block ends."""
    seen: list[str] = []
    with driver_trace(server, background=background) as trace:
        try:
            yield seen
        finally:
            seen.extend(
                sql for _conn, sql in trace if not sql.upper().startswith(_TRANSACTION_CONTROL)
            )
