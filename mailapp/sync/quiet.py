"""`mailapp sync --once` when nothing changed, with the standard library alone.

A cycle with nothing to do is one request (GET /v1/changes since our state) and a few reads;
loading the full engine for it (SQLAlchemy, pydantic, requests: ~400 ms of imports) cost several
times the cycle itself. So the command first asks the store (mailapp.store.quiet) whether any
account has local work, and the server, with one `http.client` request per account, whether
anything changed since. Only an unambiguous "nothing" is answered here; anything else (a change,
an error, an unexpected answer) returns None and the full cycle runs, which applies the changes
and reports problems in its own words.
"""

from __future__ import annotations

import http.client
import json
import ssl
from pathlib import Path
from urllib.parse import quote, urlsplit

from mailapp import paths
from mailapp.store.quiet import QuietAccount, note_synced, quiet_accounts
from mailapp.sync.credentials import account_key, load_token
from mailapp.sync.errors import SyncError
from mailapp.sync.urls import check_url

CONNECT_TIMEOUT = 5.0  # as ApiClient's defaults
READ_TIMEOUT = 30.0
MAX_ANSWER = 1 << 20  # an empty change page is a few hundred bytes


def summary(pushed: int = 0, pulled: int = 0, conflicts: int = 0, failed: int = 0) -> str:
    """A cycle's summary line (CycleReport.summary), shared by both paths."""
    return f"pushed {pushed}, pulled {pulled}, conflicts {conflicts}, failed {failed}"


def sync_once_if_quiet(profile: Path, *, insecure: bool) -> str | None:
    """The summary line when no account has anything to sync, here or on the server; None when
    the full cycle must run."""
    store_path = paths.store_path(profile)
    accounts = quiet_accounts(store_path)
    if not accounts:
        return None
    for account in accounts:
        if not _server_unchanged(account, insecure=insecure):
            return None
    note_synced(store_path, accounts)
    return f"synced: {summary()}"


def _server_unchanged(account: QuietAccount, *, insecure: bool) -> bool:
    """Whether the server's change feed has nothing after the account's state."""
    try:
        base = check_url(account.server_url, allow_insecure_http=insecure)
    except SyncError:
        return False
    token = load_token(account_key(base, account.username))
    if token is None:
        return False
    parts = urlsplit(base)
    host, port = parts.hostname or "", parts.port
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        connection = http.client.HTTPSConnection(
            host, port, timeout=CONNECT_TIMEOUT, context=context
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=CONNECT_TIMEOUT)
    path = f"{parts.path}/v1/changes?since={quote(account.state)}&limit=1"
    try:
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(READ_TIMEOUT)
        connection.request(
            "GET", path, headers={"Accept": "application/json", "Authorization": f"Bearer {token}"}
        )
        response = connection.getresponse()
        if response.status != 200:
            return False
        body = response.read(MAX_ANSWER + 1)
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    try:
        page = json.loads(body)
    except ValueError:
        return False
    return (
        isinstance(page, dict)
        and page.get("newState") == account.state
        and page.get("hasMore") is False
    )
