"""The statements requests run on the server's database, counted with a SQLAlchemy event.

The server's background steps (the delivery worker's poll, an event stream's state read) run
through `asyncio.to_thread`, in the event loop's default executor (threads named "uvloop_N"
under uvloop, which uvicorn picks when it is installed; "asyncio_N" without it), at any
moment, a request's included. They are left out here, or a count would depend on timing: the
delivery poll landing inside a GET /v1/session once made 7 statements of 5."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from tests.server.conftest import RunningServer

BACKGROUND_THREAD_PREFIXES = ("uvloop_", "asyncio_")


@contextmanager
def request_statements(server: RunningServer) -> Iterator[list[str]]:
    """Each statement (whitespace folded) run on `server`'s database inside the block, bar
    those of its background threads."""
    database = server.engine.url.database
    seen: list[str] = []

    def on_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.engine.url.database != database:
            return
        if threading.current_thread().name.startswith(BACKGROUND_THREAD_PREFIXES):
            return
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
