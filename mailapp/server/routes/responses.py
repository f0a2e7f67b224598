"""OpenAPI descriptions of the problem+json error responses routes can give."""

from __future__ import annotations

from typing import Any

from mailapp.wire import Problem

_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, unknown or revoked token",
    404: "No such record in this account",
    409: "Conflict",
    410: "The state is too old: resync",
    412: "If-Match is stale; the body carries the current record",
    413: "Request body too large",
    422: "Validation error",
    428: "If-Match is required",
    429: "Too many requests",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, "Error"),
            "model": Problem,
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }


AUTH_ERRORS = errors(401)
