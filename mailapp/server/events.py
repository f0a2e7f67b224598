"""`GET /v1/events`: a server-sent event stream telling a client its account's state changed.

Each event is `event: state`, `id: <modseq>`, `data: {"state": "<modseq>"}`: the client then
pulls the change feed. Reconnecting with `Last-Event-ID` older than the current state gets the
current state at once, so nothing is missed across a dropped connection. A comment line every
`sse_heartbeat` seconds keeps proxies from closing an idle stream and lets dead clients be
noticed; before each, the stream's token is checked again, and a revoked or expired token ends
the stream.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.server.auth import token_is_live
from mailapp.server.db import read_scope
from mailapp.server.models import Account
from mailapp.server.notify import BusClosed, ChangeBus, TooManyStreams
from mailapp.server.problems import problem_response
from mailapp.server.routes.deps import AuthDep

router = APIRouter()

DEFAULT_HEARTBEAT = 15.0
DEFAULT_MAX_STREAMS = 8
RECONNECT_MS = 3000


def setting(settings: Any, key: str, env: str, default: float) -> float:
    """`settings.<key>` when Settings has it, else the environment variable, else `default`."""
    value = getattr(settings, key, None)
    if value is None:
        value = os.environ.get(env) or None
    return float(value) if value is not None else default


def read_state(engine: Engine, account_id: str) -> int | None:
    with read_scope(engine) as session:
        value = session.execute(select(Account.modseq).where(Account.id == account_id)).scalar()
    return None if value is None else int(value)


def read_state_if_authorised(engine: Engine, account_id: str, token_id: str) -> int | None:
    """The account's state, or None once the stream's token is revoked or expired (or the
    account is gone): a stream lives no longer than the token that opened it."""
    with read_scope(engine) as session:
        if not token_is_live(session, token_id):
            return None
        value = session.execute(select(Account.modseq).where(Account.id == account_id)).scalar()
    return None if value is None else int(value)


async def start_change_bus(app: Any, engine: Engine, settings: Any) -> ChangeBus:
    bus = ChangeBus(
        engine,
        lambda account_id: read_state(engine, account_id),
        max_streams_per_account=int(
            setting(settings, "sse_max_streams", "MAILAPP_SSE_MAX_STREAMS", DEFAULT_MAX_STREAMS)
        ),
        poll_interval=setting(settings, "sse_poll", "MAILAPP_SSE_POLL", 1.0),
    )
    await bus.start()
    _end_streams_on_exit_signal(bus)
    app.state.change_bus = bus
    app.state.sse_heartbeat = setting(
        settings, "sse_heartbeat", "MAILAPP_SSE_HEARTBEAT", DEFAULT_HEARTBEAT
    )
    return bus


def _end_streams_on_exit_signal(bus: ChangeBus) -> None:
    """Close the streams as soon as SIGTERM/SIGINT arrives.

    uvicorn waits for open responses before it runs the app's shutdown, and an event stream
    never ends by itself: without this, every stop would wait for the graceful-shutdown timeout
    and then cancel the streams. The handler wraps uvicorn's own, which it installed before
    start-up; clients reconnect with Last-Event-ID and lose nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # embedded servers (tests) are stopped by their owner, not by signals
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue

        def handler(number: int, frame: Any, previous: Callable[..., Any] = previous) -> None:
            bus.close_streams_threadsafe()
            previous(number, frame)

        signal.signal(signum, handler)


async def stop_change_bus(app: Any) -> None:
    bus: ChangeBus | None = getattr(app.state, "change_bus", None)
    if bus is not None:
        await bus.stop()
        app.state.change_bus = None


def format_event(state: int) -> str:
    return f"event: state\nid: {state}\ndata: {json.dumps({'state': str(state)})}\n\n"


# Not in the OpenAPI schema: an endless stream would hang schema-driven fuzzers; the contract
# is in docs/protocol.md.
@router.get("/v1/events", response_model=None, include_in_schema=False)
async def events(
    request: Request,
    auth: AuthDep,
    last_event_id: str | None = Header(default=None, alias="Last-Event-ID"),
) -> Response:
    """Server-sent events: `state` whenever the account's state changes."""
    engine: Engine = request.app.state.engine
    bus: ChangeBus | None = getattr(request.app.state, "change_bus", None)
    account_id = auth.account_id
    if bus is None:
        return problem_response(503, detail="The event stream is not running.")
    try:
        subscription = bus.subscribe(account_id)
    except BusClosed:
        return problem_response(503, detail="The server is shutting down.")
    except TooManyStreams:
        return problem_response(
            429,
            "tooManyStreams",
            detail=f"At most {bus.max_streams_per_account} event streams per account.",
            headers={"Retry-After": "30"},
        )
    heartbeat: float = getattr(request.app.state, "sse_heartbeat", DEFAULT_HEARTBEAT)
    try:
        last_sent: int | None = int(last_event_id) if last_event_id else None
    except ValueError:
        last_sent = None

    async def stream() -> AsyncIterator[str]:
        nonlocal last_sent
        checked = -math.inf  # when the token was last found live
        # Subscribed before the first read, so a commit in between still wakes us.
        with subscription:
            yield f"retry: {RECONNECT_MS}\n\n"
            while not subscription.closed:
                state = subscription.take_state()
                # The token is checked at least once a heartbeat, however busy the account: a
                # revoked (e.g. stolen) token's streams end within one heartbeat and free their
                # places for the owner. In between, a change announced with its state is
                # passed on without a read: 50 streams must not each query for every change.
                if state is None or time.monotonic() - checked >= heartbeat:
                    state = await asyncio.to_thread(
                        read_state_if_authorised, engine, account_id, auth.token_id
                    )
                    if state is None:  # token revoked or expired, or the account deleted
                        return
                    checked = time.monotonic()
                if last_sent is None or state > last_sent:
                    last_sent = state
                    yield format_event(state)
                woke = await subscription.wait(heartbeat)
                if not woke and not subscription.closed:
                    yield ": heartbeat\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
