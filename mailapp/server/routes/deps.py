"""Request dependencies: engine, settings and the authenticated account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from mailapp.server.auth import account_for_token, needs_renewal, renew_token
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
    ttl = get_settings(request).token_ttl
    with session_scope(engine, write=False) as session:
        found = account_for_token(session, credentials.credentials)
        if found is None:
            raise unauthorized("The token is unknown, expired or revoked.")
        account, token = found
        renew = needs_renewal(token, ttl)
    if renew:  # rare: once per half lifetime, so requests stay read-only otherwise
        with session_scope(engine) as session:
            renew_token(session, token.id, ttl)
    return Auth(account_id=account.id, token_id=token.id)


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AuthDep = Annotated[Auth, Depends(current_auth)]
PathId = Annotated[str, Path(pattern=ID_PATTERN, description="A record id (UUID string).")]
