"""The Content-Type of request bodies, checked before anything parses them.

A header that is not a media type (RFC 9110 §8.3) answers 400 `invalidContentType`, and a JSON
route given anything but UTF-8 JSON answers 415 `unsupportedMediaType`: both problem documents
like every other bad request, instead of a guess at what the body might be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from mailapp.server.problems import PROBLEM_JSON, ASGIApp, Receive, Scope, Send, problem_body

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
_PARAMETER = rf"({_TOKEN})=({_TOKEN}|{_QUOTED})"
_MEDIA_TYPE = re.compile(rf"({_TOKEN})/({_TOKEN})((?:[ \t]*;[ \t]*(?:{_PARAMETER})?)*)[ \t]*")
_PARAMETERS = re.compile(rf"[ \t]*;[ \t]*(?:{_PARAMETER})?")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def parse_media_type(value: str) -> tuple[str, dict[str, str]] | None:
    """(`type/subtype` in lower case, parameters with lower-case names), or None if malformed."""
    match = _MEDIA_TYPE.fullmatch(value)
    if match is None:
        return None
    parameters: dict[str, str] = {}
    for name, raw in _PARAMETERS.findall(match.group(3)):
        if name:
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            parameters[name.lower()] = raw
    return f"{match.group(1)}/{match.group(2)}".lower(), parameters


def is_json(media_type: str, parameters: dict[str, str]) -> bool:
    """application/json or a +json type, in UTF-8 (RFC 8259 §8.1: JSON is UTF-8)."""
    kind, _, subtype = media_type.partition("/")
    if kind != "application" or not (subtype == "json" or subtype.endswith("+json")):
        return False
    return parameters.get("charset", "utf-8").lower() in ("utf-8", "utf8")


class ContentTypeMiddleware:
    """400 for a malformed Content-Type, 415 for a JSON route sent something else.

    `takes_any_type(path)` names the routes whose body is raw bytes of any (well-formed) type,
    such as blob uploads. A body without Content-Type is left to the route (read as JSON).
    """

    def __init__(self, app: ASGIApp, takes_any_type: Callable[[str], bool]) -> None:
        self.app = app
        self.takes_any_type = takes_any_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        values = [v for k, v in scope.get("headers") or [] if k.lower() == b"content-type"]
        if not values:
            await self.app(scope, receive, send)
            return
        parsed = parse_media_type(values[0].decode("latin-1")) if len(values) == 1 else None
        if parsed is None:
            await _reply(
                send,
                problem_body(
                    400,
                    "invalidContentType",
                    title="Invalid Content-Type",
                    detail="The Content-Type header is not one media type (RFC 9110 §8.3).",
                ),
            )
            return
        if not self.takes_any_type(scope["path"]) and not is_json(*parsed):
            await _reply(
                send,
                problem_body(
                    415,
                    "unsupportedMediaType",
                    title="Unsupported media type",
                    detail="Send the body as application/json in UTF-8.",
                ),
            )
            return
        await self.app(scope, receive, send)


async def _reply(send: Send, body: dict[str, object]) -> None:
    payload = json.dumps(body).encode("utf-8")
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": body["status"], "headers": headers})
    await send({"type": "http.response.body", "body": payload})
