"""A short-lived, per-process cache of bearer tokens: token hash -> (account, token, expiry).

Checking the token used to cost every request its own database session before the route's
own. A cached entry is trusted for `token_cache_seconds` (a few seconds), so:
- a token revoked through this process (logout, `revoke-tokens`, `set-password` run in-process)
  is dropped from the cache when that transaction commits: refused on the very next request;
- a token revoked by another worker or process is refused here within `token_cache_seconds`
  (each worker has its own cache; long-lived event streams re-check the database anyway);
- the cached expiry is checked on every use, so an expired token never passes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

# Bounded: at most this many live entries; the least recently used go first.
MAX_ENTRIES = 10_000
_PENDING_KEY = "mailapp.token_cache.forget"


@dataclass(frozen=True)
class CachedToken:
    account_id: str
    token_id: str
    expires_at: datetime  # aware
    cached_at: float  # time.monotonic()


_lock = threading.Lock()
_entries: OrderedDict[str, CachedToken] = OrderedDict()
# Bumped by every forget(): an entry read from the database before a revocation committed
# must not be stored after it (it could carry the revoked token's old, live state).
_generation = 0


def generation() -> int:
    return _generation


def lookup(hashed: str, max_age: float) -> CachedToken | None:
    """The cached token when fresh (younger than `max_age` seconds) and not expired."""
    if max_age <= 0:
        return None
    with _lock:
        entry = _entries.get(hashed)
        if entry is None:
            return None
        if time.monotonic() - entry.cached_at >= max_age or entry.expires_at <= datetime.now(UTC):
            del _entries[hashed]
            return None
        _entries.move_to_end(hashed)
        return entry


def store(hashed: str, account_id: str, token_id: str, expires_at: datetime, seen: int) -> None:
    """Remember a token read from the database, unless a revocation happened since `seen`."""
    with _lock:
        if seen != _generation:
            return
        _entries[hashed] = CachedToken(account_id, token_id, expires_at, time.monotonic())
        _entries.move_to_end(hashed)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def forget(*, token_id: str | None = None, account_id: str | None = None) -> None:
    """Drop the matching entries now (a revocation or password change)."""
    global _generation
    with _lock:
        _generation += 1
        for key, entry in list(_entries.items()):
            if entry.token_id == token_id or entry.account_id == account_id:
                del _entries[key]


def forget_after_commit(
    session: Session, *, token_id: str | None = None, account_id: str | None = None
) -> None:
    """Forget now and again when `session` commits: a request that read the token's old state
    while the revoking transaction was still open cannot leave it cached afterwards."""
    forget(token_id=token_id, account_id=account_id)
    session.info.setdefault(_PENDING_KEY, []).append((token_id, account_id))


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    for token_id, account_id in session.info.pop(_PENDING_KEY, ()):
        forget(token_id=token_id, account_id=account_id)


def clear() -> None:
    forget()
    with _lock:
        _entries.clear()
