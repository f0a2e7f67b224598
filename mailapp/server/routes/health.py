"""GET /v1/health: is the server there? What clients probe while they wait to reconnect.

Unauthenticated and answered from memory (no database, no write): a client polls it about
few times a second while its server is away, so it must cost next to nothing and must not fill the
server's log with refused sign-ins, as probing an authenticated resource did.
"""

from __future__ import annotations

from fastapi import APIRouter

from mailapp.wire import Health

router = APIRouter(prefix="/v1/health", tags=["health"])


@router.get("")
async def get_health() -> Health:
    """200 while the server runs; no sign-in needed."""
    return Health()
