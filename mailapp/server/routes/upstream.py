"""The account's upstream IMAP link, read-only: what the desktop's account settings show."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from mailapp.server.db import session_scope
from mailapp.server.routes.deps import AuthDep, EngineDep
from mailapp.server.routes.responses import errors
from mailapp.server.upstream.models import UpstreamAccount
from mailapp.wire import UpstreamLink

router = APIRouter(prefix="/v1/upstream", tags=["upstream"])


@router.get("", responses=errors(401))
def get_upstream(auth: AuthDep, engine: EngineDep) -> UpstreamLink:
    """Linked or not; where to; the sync state, the last sync and the last error. Never the
    password (linking is an administrator's `mailapp-server link-imap`)."""
    with session_scope(engine, write=False) as session:
        row = session.scalars(
            select(UpstreamAccount).where(UpstreamAccount.account_id == auth.account_id)
        ).first()
        if row is None:
            return UpstreamLink(linked=False)
        return UpstreamLink(
            linked=True,
            host=row.host,
            port=row.port,
            tls=row.tls,
            username=row.username,
            address=row.address,
            state=row.state,
            last_sync_at=row.last_sync_at,
            last_error=row.last_error,
        )
