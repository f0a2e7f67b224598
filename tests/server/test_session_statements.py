"""GET /v1/session reads the linked provider once, not once for `email` and again for
`addresses` (issue 11's per-request overhead). Counted with a SQLAlchemy event on the server's
database, on SQLite and PostgreSQL; no timing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from tests.server.conftest import RunningServer


def test_session_info_reads_the_provider_link_once(server: RunningServer) -> None:
    alice = server.new_user("alice")
    alice.client.get("/v1/session")  # warm: this worker has checked the token
    database = server.engine.url.database
    seen: list[str] = []

    def on_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = " ".join(statement.split())
        if conn.engine.url.database == database and not text.upper().startswith("BEGIN"):
            seen.append(text)

    event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        info = alice.client.get("/v1/session")
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
    assert info.status_code == 200
    body = info.json()
    assert body["email"] == f"{alice.name}@example.org"
    assert body["addresses"] == [body["email"]]
    reads = [s for s in seen if "FROM token" not in s]
    assert len([s for s in reads if "FROM upstream_account" in s]) == 1, reads
    # The account, its provider link, its mail bytes, its blobs, its drafts' attachments.
    assert len(reads) == 5, reads
