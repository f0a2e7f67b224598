"""RFC 9457 problem details: every error response of the server is `application/problem+json`."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, routing
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from mailapp.server.db import is_busy_error
from mailapp.wire import PROBLEM_BASE

PROBLEM_JSON = "application/problem+json"
# Seconds a client waits before retrying a request that found the database busy.
BUSY_RETRY_AFTER = 2
log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def problem_body(
    status: int,
    slug: str | None = None,
    *,
    title: str | None = None,
    detail: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_BASE}{slug}" if slug else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


def problem_response(
    status: int,
    slug: str | None = None,
    *,
    title: str | None = None,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, slug, title=title, detail=detail, **extra),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str | None = None,
        *,
        title: str | None = None,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title or slug or str(status))
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extra = extra

    def response(self) -> JSONResponse:
        return problem_response(
            self.status,
            self.slug,
            title=self.title,
            detail=self.detail,
            headers=self.headers,
            **self.extra,
        )


def not_found(what: str = "record") -> ProblemError:
    # Identical for "does not exist" and "belongs to another account".
    return ProblemError(404, "notFound", title="Not found", detail=f"No such {what}.")


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    cleaned = []
    for error in errors:
        cleaned.append(
            {
                "loc": [part if isinstance(part, int) else str(part) for part in error["loc"]],
                "msg": str(error.get("msg", "")),
                "type": str(error.get("type", "")),
            }
        )
    return cleaned


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route serves at the request's path."""
    path = request.url.path
    methods: set[str] = set()
    # Included routers are nested; iter_route_contexts gives each route with its full path.
    for context in routing.iter_route_contexts(app.routes):
        regex, _format, _convertors = compile_path(context.path)
        if regex.match(path):
            methods |= set(context.methods or ())
    return sorted(methods)


def data_error_response(exc: DataError) -> JSONResponse:
    # Input the database cannot store (out-of-range numbers, odd characters) is the client's
    # problem, not a server failure.
    log.info("refused data the database cannot store: %s", exc.orig)
    return problem_response(
        400, "invalidData", title="Invalid data", detail="The database cannot store a value."
    )


def operational_error_response(exc: OperationalError) -> JSONResponse:
    if not is_busy_error(exc):
        log.exception("unhandled database error", exc_info=exc)
        return problem_response(500, "serverFail", title="Internal server error")
    # Another account's long write (or a lost connection) is not this request's fault and must
    # not look like a server crash: the client retries after Retry-After.
    log.warning("database busy, answering 503: %s", exc.orig)
    return problem_response(
        503,
        "serverBusy",
        title="Server busy",
        detail="The server is busy with other writes; try again in a moment.",
        headers={"Retry-After": str(BUSY_RETRY_AFTER)},
    )


def handled_response(exc: Exception) -> JSONResponse | None:
    """The problem document the app's exception handlers answer `exc` with, or None for an
    exception left to the last-resort handler (a 500): for code answering outside FastAPI's
    routing (server/fast_lane.py)."""
    if isinstance(exc, ProblemError):
        return exc.response()
    if isinstance(exc, DataError):
        return data_error_response(exc)
    if isinstance(exc, OperationalError):
        return operational_error_response(exc)
    return None


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def on_problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            # Starlette names only the methods of the first route matching the path; a path
            # served by several routes (GET, PUT, PATCH, DELETE) must list all of them.
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(app, request))}
        return problem_response(exc.status_code, detail=detail, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_errors(exc.errors())
        if any(error["type"] == "json_invalid" for error in errors):
            return problem_response(
                400,
                "malformedJson",
                title="Malformed JSON",
                detail="The request body is not valid JSON.",
                errors=errors,
            )
        return problem_response(
            422,
            "invalidArguments",
            title="Invalid request",
            detail="The request does not match the schema; see errors.",
            errors=errors,
        )

    @app.exception_handler(DataError)
    async def on_data_error(_request: Request, exc: DataError) -> JSONResponse:
        return data_error_response(exc)

    @app.exception_handler(OperationalError)
    async def on_operational_error(_request: Request, exc: OperationalError) -> JSONResponse:
        return operational_error_response(exc)

    @app.exception_handler(Exception)
    async def on_crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem_response(500, "serverFail", title="Internal server error")


class BodyLimitMiddleware:
    """Refuse request bodies over the limit before anything parses them (413).

    Counts the bytes actually received, so a chunked body without Content-Length is limited too;
    the accepted body is buffered (at most `limit` bytes) and replayed to the app.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], tuple[str, int]]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        name, limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await self._reply(send, problem_body(400, detail="Invalid Content-Length."))
                return
            if too_big:
                await self._too_large(send, name, limit)
                return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            received += len(body)
            if received > limit:
                await self._too_large(send, name, limit)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, name: str, limit: int) -> None:
        await self._reply(
            send,
            problem_body(
                413,
                "requestTooLarge",
                title="Request body too large",
                detail=f"The request body exceeds {name} ({limit} bytes).",
                limit=name,
                limitBytes=limit,
            ),
            close=True,
        )

    @staticmethod
    async def _reply(send: Send, body: dict[str, Any], *, close: bool = False) -> None:
        payload = json.dumps(body).encode("utf-8")
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(payload)).encode()),
        ]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": body["status"], "headers": headers})
        await send({"type": "http.response.body", "body": payload})
