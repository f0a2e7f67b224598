"""Writes the provider refuses for a reason only the user can fix: the mailbox is full
(`[OVERQUOTA]` on APPEND or COPY) or a folder is read-only there (SELECT answers `[READ-ONLY]`,
or a write answers `[NOPERM]`).

Such a refusal is not a failed sync: reading goes on, the change stays pending where it always
is (the difference between the email and its `upstream_message` row, or a Sent copy's queue
row), and the client keeps showing it. The folder is marked `blocked` with the reason, and
the link's state becomes `quota_exceeded` or `read_only` with one sentence saying what waits
and what to do. The write is tried again once `blocked_retry_at` passes (not on every sync:
the provider has said no, and saying it again helps nobody) and, once it goes through, the
block is lifted and the link is `ok` again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from imapclient.exceptions import IMAPClientError, IMAPClientReadOnlyError
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.upstream.models import LinkState, UpstreamAccount, UpstreamFolder

# How long a refused write waits before it is tried again (SyncLimits.blocked_retry).
RETRY_SECONDS = 300.0
BLOCKED_STATES = (LinkState.quota_exceeded.value, LinkState.read_only.value)
# States a block may replace and a lifted block returns to `ok` (never a login failure).
_QUIET_STATES = (LinkState.ok.value, *BLOCKED_STATES)


class WriteBlocked(Exception):
    """The provider refused a write into `folder`: `state` for the link, `str()` for the user."""

    def __init__(self, state: LinkState, folder: str, what: str) -> None:
        self.state = state
        self.folder = folder
        if state is LinkState.quota_exceeded:
            text = (
                f"the mailbox at the provider is full (quota exceeded), so {what} ({folder}) "
                "cannot be written there: it is kept here and written back once there is room "
                "(empty Trash or Junk at the provider)"
            )
        else:
            text = (
                f"the folder {folder} is read-only at the provider, so {what} cannot be written "
                "there: it is kept here and written back once the folder can be changed again"
            )
        super().__init__(text)


def classify(exc: BaseException, folder: str, what: str) -> WriteBlocked | None:
    """The refusal as a block the user can act on, or None for any other failure."""
    if isinstance(exc, IMAPClientReadOnlyError):  # SELECT answered [READ-ONLY]
        return WriteBlocked(LinkState.read_only, folder, what)
    text = str(exc).upper()
    # RFC 5530 response codes; some servers say it only in words.
    if "[OVERQUOTA]" in text or "QUOTA EXCEEDED" in text or "OVER QUOTA" in text:
        return WriteBlocked(LinkState.quota_exceeded, folder, what)
    if "[NOPERM]" in text or "[READ-ONLY]" in text or "READ-ONLY" in text:
        return WriteBlocked(LinkState.read_only, folder, what)
    return None


@contextlib.contextmanager
def writing(folder: str, what: str) -> Iterator[None]:
    """Raise WriteBlocked for a refusal the user must fix; any other error as it was."""
    try:
        yield
    except IMAPClientError as exc:
        blocked = classify(exc, folder, what)
        if blocked is None:
            raise
        raise blocked from None


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def due(folder: UpstreamFolder, now: datetime) -> bool:
    """Whether writes into the folder may be tried (never blocked, or its retry time came)."""
    return (
        folder.blocked is None
        or folder.blocked_retry_at is None
        or _as_utc(folder.blocked_retry_at) <= now
    )


def block(
    engine: Engine,
    upstream_id: str,
    refused: WriteBlocked,
    *,
    now: datetime,
    retry_seconds: float = RETRY_SECONDS,
) -> None:
    """Mark the folder blocked and show it in the link's state."""
    retry_at = now + timedelta(seconds=retry_seconds)
    with session_scope(engine) as session:
        session.execute(
            update(UpstreamFolder)
            .where(UpstreamFolder.upstream_id == upstream_id, UpstreamFolder.name == refused.folder)
            .values(
                blocked=refused.state.value, blocked_reason=str(refused), blocked_retry_at=retry_at
            )
        )
    refresh_link(engine, upstream_id)


def lift(engine: Engine, upstream_id: str, folder: str) -> None:
    """The folder took a write again: no longer blocked."""
    with session_scope(engine) as session:
        result = session.execute(
            update(UpstreamFolder)
            .where(
                UpstreamFolder.upstream_id == upstream_id,
                UpstreamFolder.name == folder,
                UpstreamFolder.blocked.is_not(None),
            )
            .values(blocked=None, blocked_reason=None, blocked_retry_at=None)
        )
    if getattr(result, "rowcount", 1):
        refresh_link(engine, upstream_id)


def condition(engine: Engine, upstream_id: str) -> tuple[str, str] | None:
    """(state, message) of the link's blocked folders, or None when writes go through."""
    with session_scope(engine, write=False) as session:
        rows = session.execute(
            select(UpstreamFolder.blocked, UpstreamFolder.blocked_reason)
            .where(
                UpstreamFolder.upstream_id == upstream_id,
                UpstreamFolder.live.is_(True),
                UpstreamFolder.blocked.is_not(None),
            )
            .order_by(UpstreamFolder.blocked, UpstreamFolder.name)
        ).all()
    if not rows:
        return None
    # A full mailbox first (it blocks every folder's APPENDs), then read-only folders.
    return str(rows[0][0]), "; ".join(str(reason) for _, reason in rows)


def refresh_link(engine: Engine, upstream_id: str) -> None:
    """Put the blocked folders into the link's state, unless a connection failure (a refused
    password, no route) is what the user must see first; `ok` again once none is left."""
    found = condition(engine, upstream_id)
    state, message = found if found is not None else (LinkState.ok.value, None)
    with session_scope(engine) as session:
        session.execute(
            update(UpstreamAccount)
            .where(UpstreamAccount.id == upstream_id, UpstreamAccount.state.in_(_QUIET_STATES))
            .values(state=state, last_error=message)
        )
