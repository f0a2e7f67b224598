"""What a sync thread is made of: the engine and client factories (tests inject their own), and
how store notifications are merged before the views hear of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from mailapp.store import MailStore
from mailapp.store.replica import sync_account

# The HTTP stack (requests) and the engine are imported when an account's sync starts: a window
# without an account, which imports this module at start, needs neither (~5 MB).
if TYPE_CHECKING:
    from mailapp.sync.abortable import AbortableSession
    from mailapp.sync.client import ApiClient


class Engine(Protocol):
    def run_cycle(self, progress: Callable[[int, int], None] | None = None) -> Any: ...
    def flush_only(self) -> Any: ...
    def fetch_body(self, message_id: str) -> bool: ...
    def prefetch_bodies(self, limit: int = ...) -> int: ...
    def fetch_attachment(self, attachment_id: str) -> bytes | None: ...


# (the worker's own store, the account, the session to use, a fresh token or None for the saved
# one) -> a client for that account
ClientFactory = Callable[[MailStore, str, "AbortableSession", str | None], "ApiClient"]
EngineFactory = Callable[[MailStore, "ApiClient", str], Engine]


def default_client(
    store: MailStore, account_id: str, session: AbortableSession, token: str | None
) -> ApiClient:
    """The account's server with `token`, else its saved token (AuthError when that is gone)."""
    from mailapp.sync.account import client_for
    from mailapp.sync.client import ApiClient

    if token is None:
        return client_for(store, account_id, session=session)
    return ApiClient(sync_account(store, account_id).server_url, token=token, session=session)


# Records per change-feed page: each is applied in one transaction, so the views hear of a page
# at once. (Validating one takes ~2 ms of CPU at 200 records, and pydantic's calls into its
# Python validators let the GIL go meanwhile: the page is not what held the UI thread up.)
PAGE_SIZE = 200


def default_engine(store: MailStore, client: ApiClient, account_id: str) -> Engine:
    # Beside the window, a big first sync applies in a child process: its own GIL (see
    # mailapp.sync.feed_process).
    from mailapp.sync.engine import SyncEngine

    return SyncEngine(store, client, account_id, page_size=PAGE_SIZE, feed_in_child=True)
