"""POST/GET/DELETE /v1/session: log in, describe the session, log out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from mailapp.server.auth import authenticate, issue_token, revoke_token
from mailapp.server.config import Settings
from mailapp.server.db import read_scope, session_scope
from mailapp.server.limits import usage
from mailapp.server.models import Account, Token
from mailapp.server.problems import ProblemError
from mailapp.server.routes.deps import AuthDep, EngineDep, SettingsDep, unauthorized
from mailapp.server.routes.responses import AUTH_ERRORS, errors
from mailapp.server.throttle import Throttle, ThrottleRule, forgive, reserve_check
from mailapp.server.upstream.submission import allowed_senders
from mailapp.wire import Limits, LoginRequest, LoginResponse, Quota, Quotas, SessionInfo

router = APIRouter(prefix="/v1/session", tags=["session"])


def limits(settings: Settings) -> Limits:
    return Limits(
        max_request_bytes=settings.max_body_bytes,
        max_attachment_bytes=settings.max_attachment_bytes,
        max_mutations_per_sync=settings.max_mutations_per_sync,
        max_changes_per_page=settings.max_changes_per_page,
        max_recipients_per_message=settings.max_recipients_per_message,
        max_attachments_per_message=settings.max_attachments_per_message,
        max_message_bytes=settings.max_message_bytes,
        max_sends_per_hour=settings.max_sends_per_hour,
    )


def quotas(session: Session, account_id: str, settings: Settings) -> Quotas:
    used = usage(session, account_id)
    return Quotas(
        storage_bytes=Quota(used=used.storage_bytes, limit=settings.storage_quota_bytes),
        pending_blob_bytes=Quota(
            used=used.pending_blob_bytes, limit=settings.pending_blob_quota_bytes
        ),
        pending_blobs=Quota(used=used.pending_blobs, limit=settings.pending_blob_quota_count),
    )


def session_info(session: Session, account: Account, settings: Settings) -> SessionInfo:
    # Every From address the account may use, its sending address first (the address its
    # mail goes out as: its provider's, when linked to one). One read of the linked provider,
    # not one for `email` and another for `addresses`.
    addresses = allowed_senders(session, account)
    return SessionInfo(
        account_id=account.id,
        name=account.name,
        email=addresses[0],
        addresses=addresses,
        state=str(account.modseq),
        limits=limits(settings),
        quotas=quotas(session, account.id, settings),
    )


def login_throttle(settings: Settings) -> Throttle:
    def rule(free: int) -> ThrottleRule:
        return ThrottleRule(
            free=free,
            base_delay=settings.login_base_delay,
            max_delay=settings.login_max_delay,
            window=settings.login_rate_window,
        )

    return Throttle(
        per_pair=rule(settings.login_rate_limit),
        per_address=rule(settings.ip_rate_limit),
        per_name=rule(settings.ip_rate_limit),
    )


@router.post("", responses=errors(401, 422, 429))
def login(
    body: LoginRequest, request: Request, engine: EngineDep, settings: SettingsDep
) -> LoginResponse:
    address = request.client.host if request.client else "unknown"
    throttle = login_throttle(settings)
    # Counted and decided under the throttle rows' lock, before the password check: parallel
    # guesses queue there instead of all passing one stale count.
    with session_scope(engine) as session:
        wait = reserve_check(session, throttle, name=body.name, address=address)
    if wait:
        raise ProblemError(
            429,
            "tooManyLogins",
            title="Too many login attempts",
            detail=f"Too many failed logins from this address; try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )
    # scrypt runs outside the write transaction so it never holds SQLite's write lock.
    with session_scope(engine, write=False) as session:
        account = authenticate(session, body.name, body.password)
    if account is None:
        raise unauthorized("Wrong name or password.")
    with session_scope(engine) as session:
        forgive(session, throttle, name=body.name, address=address)
        account = session.get(Account, account.id)
        assert account is not None
        secret = issue_token(session, account, settings.token_ttl)
        info = session_info(session, account, settings)
    return LoginResponse(token=secret, **info.model_dump())


@router.get("", response_model=SessionInfo, responses=AUTH_ERRORS)
def describe(auth: AuthDep, engine: EngineDep, settings: SettingsDep) -> Response:
    # Reads only: on PostgreSQL each statement on its own, no BEGIN and COMMIT round trips.
    with read_scope(engine) as session:
        account = session.get(Account, auth.account_id)
        assert account is not None
        info = session_info(session, account, settings)
    # Serialised here, as FastAPI would: returning the model cost a second thread-pool hop
    # for its validation of what the server itself just built.
    return Response(info.model_dump_json(by_alias=True), media_type="application/json")


@router.delete("", status_code=204, responses=AUTH_ERRORS)
def logout(auth: AuthDep, engine: EngineDep) -> Response:
    with session_scope(engine) as session:
        token = session.get(Token, auth.token_id)
        if token is not None:
            revoke_token(session, token)
    return Response(status_code=204)
