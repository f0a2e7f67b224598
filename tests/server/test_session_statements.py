"""GET /v1/session reads the linked provider once, not once for `email` and again for
`addresses` (issue 11's per-request overhead). Counted at the server database's driver
(tests/server/statements.py), on SQLite and PostgreSQL; no timing."""

from __future__ import annotations

from tests.server.conftest import RunningServer
from tests.server.statements import request_statements


def test_session_info_reads_the_provider_link_once(server: RunningServer) -> None:
    alice = server.new_user("alice")
    alice.client.get("/v1/session")  # warm: this worker has checked the token
    with request_statements(server) as seen:
        info = alice.client.get("/v1/session")
    assert info.status_code == 200
    body = info.json()
    assert body["email"] == f"{alice.name}@example.org"
    assert body["addresses"] == [body["email"]]
    reads = [s for s in seen if "FROM token" not in s and not s.upper().startswith("BEGIN")]
    assert len([s for s in reads if "FROM upstream_account" in s]) == 1, reads
    # The account, its provider link, its mail bytes, its blobs, its drafts' attachments.
    assert len(reads) == 5, reads
