"""One sync of one linked account, with its outcome recorded on the link for `status`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from sqlalchemy import update
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.upstream import blocked, connection, folder_gone, secrets
from mailapp.server.upstream.connection import Endpoint, UpstreamError
from mailapp.server.upstream.models import LinkState, UpstreamAccount
from mailapp.server.upstream.syncer import AccountSync, BatchHook, SyncLimits, SyncStats

log = logging.getLogger(__name__)


MAX_ERROR = 1000


def _record(engine: Engine, upstream_id: str, **values: object) -> None:
    if isinstance(values.get("last_error"), str):
        values["last_error"] = str(values["last_error"])[:MAX_ERROR]  # bounded, like all input
    with session_scope(engine) as session:
        session.execute(
            update(UpstreamAccount).where(UpstreamAccount.id == upstream_id).values(**values)
        )


def credentials(engine: Engine, key: Fernet, upstream_id: str) -> tuple[str, Endpoint, str, str]:
    """(account id, endpoint, password, state) of a link."""
    with session_scope(engine, write=False) as session:
        row = session.get(UpstreamAccount, upstream_id)
        if row is None:
            raise LookupError(upstream_id)
        endpoint = Endpoint(row.host, row.port, row.tls, row.username)
        return row.account_id, endpoint, secrets.decrypt(key, row.password_enc), row.state


def sync_link(
    engine: Engine,
    key: Fernet,
    upstream_id: str,
    *,
    limits: SyncLimits | None = None,
    after_batch: BatchHook | None = None,
) -> SyncStats | None:
    """Sync one link; None when it failed (its state and last_error say why).

    An error never escapes (so one broken account cannot stop the others), except the hook's:
    tests raise there to simulate a worker dying mid-import.
    """
    try:
        account_id, endpoint, password, state = credentials(engine, key, upstream_id)
    except LookupError:
        return None  # unlinked meanwhile
    except secrets.ServerKeyError as exc:
        _record(engine, upstream_id, state=LinkState.error.value, last_error=str(exc))
        return None
    if state in (LinkState.pending.value,):
        _record(engine, upstream_id, state=LinkState.importing.value)
    try:
        with connection.session(endpoint, password) as client:
            stats = AccountSync(
                engine, account_id, upstream_id, client, limits=limits, after_batch=after_batch
            ).run()
    except UpstreamError as exc:
        log.warning("upstream %s: %s", endpoint.describe(), exc)
        if exc.state is LinkState.error and folder_gone.vanished_meanwhile(exc):
            # A folder deleted by another client while this sync wrote into it: the change
            # stays queued; the next sync (after the usual backoff) lists the folders again.
            failed, message = LinkState.folder_deleted, folder_gone.mid_sync_note(exc)
        else:
            failed, message = exc.state, str(exc)
        _record(engine, upstream_id, state=failed.value, last_error=message)
        return None
    except secrets.ServerKeyError as exc:
        _record(engine, upstream_id, state=LinkState.error.value, last_error=str(exc))
        return None
    # In sync, but writes the provider refused (a full mailbox, a read-only folder) wait: the
    # link says so until they go through. Folders deleted upstream lately, and folder changes
    # the server refused, are told too.
    waiting = blocked.condition(engine, upstream_id)
    gone = folder_gone.recent_notes(engine, upstream_id)
    notes = [waiting[1]] if waiting else []
    notes += [*gone, *stats.notices]
    settled = LinkState.folder_deleted.value if gone else LinkState.ok.value
    _record(
        engine,
        upstream_id,
        state=waiting[0] if waiting else settled,
        last_error=" ".join(notes) or None,
        last_sync_at=datetime.now(UTC),
    )
    return stats
