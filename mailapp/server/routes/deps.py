"""Request dependencies: engine, settings and the authenticated account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from mailapp.server import token_cache
from mailapp.server.auth import (
    account_for_token,
    aware,
    needs_renewal,
    renew_token,
    token_hash,
)
from mailapp.server.config import Settings
from mailapp.server.db import read_scope, session_scope
from mailapp.server.problems import ProblemError
from mailapp.wire import ID_PATTERN

bearer = HTTPBearer(auto_error=False, description="The token from POST /v1/session.")


@dataclass(frozen=True)
class Auth:
    account_id: str
    token_id: str


# The dependencies are coroutines: FastAPI runs a plain function in the thread pool, a hop
# to another thread and back for each of them on every request. Only a token this worker has
# not checked lately costs a database read, in the pool.


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401,
        "unauthorized",
        title="Unauthorized",
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="mailapp"'},
    )


async def current_auth(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Auth:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized("A bearer token is required.")
    settings: Settings = request.app.state.settings
    hashed = token_hash(credentials.credentials)
    # The common case: a token checked a moment ago by this worker costs no database session.
    cached = cached_auth(settings, hashed)
    if cached is not None:
        return cached
    return await anyio.to_thread.run_sync(
        _auth_from_database, request.app.state.engine, settings, credentials.credentials, hashed
    )


def cached_auth(settings: Settings, hashed: str) -> Auth | None:
    """The account of a token this worker checked lately, while far from its expiry (then it
    is renewed, which takes the database); None when the database must be asked."""
    cached = token_cache.lookup(hashed, settings.token_cache_seconds)
    if cached is not None and cached.expires_at - datetime.now(UTC) >= settings.token_ttl / 2:
        return Auth(account_id=cached.account_id, token_id=cached.token_id)
    return None


def _auth_from_database(engine: Engine, settings: Settings, secret: str, hashed: str) -> Auth:
    ttl = settings.token_ttl
    seen = token_cache.generation()
    with read_scope(engine) as session:
        found = account_for_token(session, secret)
        if found is None:
            raise unauthorized("The token is unknown, expired or revoked.")
        account, token = found
        renew = needs_renewal(token, ttl)
        expires_at = token.expires_at
    if renew:  # rare: once per half lifetime, so requests stay read-only otherwise
        with session_scope(engine) as session:
            renew_token(session, token.id, ttl)
        expires_at = datetime.now(UTC) + ttl
    token_cache.store(hashed, account.id, token.id, aware(expires_at), seen)
    return Auth(account_id=account.id, token_id=token.id)


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AuthDep = Annotated[Auth, Depends(current_auth)]
PathId = Annotated[str, Path(pattern=ID_PATTERN, description="A record id (UUID string).")]
