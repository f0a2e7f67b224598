"""Request dependencies: engine, settings and the authenticated account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

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
from mailapp.server.db import session_scope
from mailapp.server.problems import ProblemError
from mailapp.wire import ID_PATTERN

bearer = HTTPBearer(auto_error=False, description="The token from POST /v1/session.")


@dataclass(frozen=True)
class Auth:
    account_id: str
    token_id: str


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
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


def current_auth(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Auth:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized("A bearer token is required.")
    engine = get_engine(request)
    settings = get_settings(request)
    ttl = settings.token_ttl
    hashed = token_hash(credentials.credentials)
    # The common case: a token checked a moment ago by this worker costs no database session.
    cached = token_cache.lookup(hashed, settings.token_cache_seconds)
    if cached is not None and cached.expires_at - datetime.now(UTC) >= ttl / 2:
        return Auth(account_id=cached.account_id, token_id=cached.token_id)
    seen = token_cache.generation()
    with session_scope(engine, write=False) as session:
        found = account_for_token(session, credentials.credentials)
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
