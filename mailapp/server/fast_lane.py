"""The sync cycle's two routes, answered without FastAPI's per-request machinery when plain.

GET /v1/changes and POST /v1/sync are nearly every request of a syncing client (issue 11's
50-client load). For them FastAPI matches the path against every route, builds a Request,
solves the dependency graph (the bearer scheme, the engine, the settings, the query) and only
then runs the route, in the thread pool: about half of the server's CPU for a pull with
nothing new. This middleware, the innermost of the app's own, answers those two routes itself
when the request is plain: a bearer token this worker checked lately (the token cache), query
arguments in their usual form, a JSON body that the wire model accepts. It runs the routes'
own code (routes/sync.py: `changes_json`, `sync_json`) in the same thread pool, and answers
their errors with the app's own problem documents (problems.handled_response).

Anything else goes on to FastAPI untouched, body included: a token to look up, an unusual or
invalid argument, a body the model refuses. So every error answer, the 422s of validation in
particular, is FastAPI's as before, and the lane only ever answers what the route would have
answered the same way. The routes stay declared in FastAPI for the OpenAPI document and the
requests the lane passes on.
"""

from __future__ import annotations

import json
import re
from typing import Any

import anyio.to_thread
from pydantic import ValidationError
from sqlalchemy import Engine

from mailapp.server.auth import token_hash
from mailapp.server.config import Settings
from mailapp.server.media_types import is_json, parse_media_type
from mailapp.server.problems import ASGIApp, Message, Receive, Scope, Send, handled_response
from mailapp.server.routes.deps import Auth, cached_auth
from mailapp.server.routes.sync import changes_json, sync_json
from mailapp.wire import STATE_PATTERN, SyncRequest

# wire.STATE_PATTERN itself, matched whole-string: Python's `$` would also accept a trailing
# newline (which FastAPI's check refuses).
_STATE = re.compile(STATE_PATTERN.removeprefix("^").removesuffix("$").encode())
_LIMIT = re.compile(rb"[1-9][0-9]{0,8}")
# RFC 6750's b64token: the form the cache holds; any other value is FastAPI's to judge.
_BEARER = re.compile(rb"[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9\-._~+/]+=*)")
_HEADERS = [(b"content-type", b"application/json")]


class FastLane:
    def __init__(self, app: ASGIApp, settings: Settings, engine: Engine) -> None:
        self.app = app
        self.settings = settings
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            route = (scope["method"], scope["path"])
            if route == ("GET", "/v1/changes"):
                if await self._changes(scope, send):
                    return
            elif route == ("POST", "/v1/sync"):
                receive = await self._sync(scope, receive, send)
                if receive is None:
                    return
        await self.app(scope, receive, send)

    async def _changes(self, scope: Scope, send: Send) -> bool:
        auth = self._auth(scope)
        arguments = _query(scope["query_string"]) if auth is not None else None
        if auth is None or arguments is None:
            return False
        since, limit = arguments
        work = (changes_json, auth, self.engine, self.settings, since, limit)
        await _answer(scope, send, work)
        return True

    async def _sync(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answers and returns None, or returns the receive FastAPI reads the body from."""
        auth = self._auth(scope)
        if auth is None or not _json_body(scope):
            return receive
        chunks: list[bytes] = []
        while True:  # BodyLimitMiddleware (outside) has bounded and buffered it already
            message = await receive()
            if message["type"] != "http.request":
                return _replay(chunks, receive, message)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = _sync_request(b"".join(chunks))
        if body is None:
            return _replay(chunks, receive)
        await _answer(scope, send, (sync_json, body, auth, self.engine, self.settings))
        return None

    def _auth(self, scope: Scope) -> Auth | None:
        values = [value for name, value in scope["headers"] if name == b"authorization"]
        if len(values) != 1:
            return None
        match = _BEARER.fullmatch(values[0])
        if match is None:
            return None
        return cached_auth(self.settings, token_hash(match.group(1).decode("ascii")))


def _query(raw: bytes) -> tuple[str, int | None] | None:
    """(since, limit) of a query in its usual form (each at most once, plain digits), else None."""
    since, limit = "0", None
    if not raw:
        return since, limit
    seen: set[bytes] = set()
    for part in raw.split(b"&"):
        name, equals, value = part.partition(b"=")
        if not equals or name in seen:
            return None
        seen.add(name)
        if name == b"since" and _STATE.fullmatch(value):
            since = value.decode("ascii")
        elif name == b"limit" and _LIMIT.fullmatch(value):
            limit = int(value)
        else:  # another argument, an escape, a value FastAPI would refuse: FastAPI's call
            return None
    return since, limit


def _json_body(scope: Scope) -> bool:
    values = [value for name, value in scope["headers"] if name == b"content-type"]
    if len(values) != 1:
        return False
    parsed = parse_media_type(values[0].decode("latin-1"))
    return parsed is not None and is_json(*parsed)


def _sync_request(body: bytes) -> SyncRequest | None:
    """The request as FastAPI reads it (json.loads, then the model's strict validation of the
    Python value), or None when that fails: FastAPI then answers its own 400 or 422."""
    try:
        value = json.loads(body)
        if type(value) is not dict:
            return None
        return SyncRequest.model_validate(value)
    except (ValueError, ValidationError):  # JSONDecodeError and UnicodeDecodeError included
        return None


def _replay(chunks: list[bytes], receive: Receive, last: Message | None = None) -> Receive:
    """A receive that gives FastAPI the body read so far, then whatever follows."""
    pending: list[Message] = [
        {"type": "http.request", "body": b"".join(chunks), "more_body": last is not None}
    ]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _answer(scope: Scope, send: Send, work: tuple[Any, ...]) -> None:
    """Run the route's code in the thread pool (as FastAPI runs a plain function) and send
    its JSON, or the problem document FastAPI's handlers would make of its error."""
    function, *arguments = work
    try:
        payload: bytes = await anyio.to_thread.run_sync(function, *arguments)
    except Exception as exc:
        response = handled_response(exc)
        if response is None:
            raise  # to the last-resort handler's 500, as from the route

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, nothing, send)
        return
    headers = [(b"content-length", str(len(payload)).encode()), *_HEADERS]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
