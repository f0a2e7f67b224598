"""Helpers shared by the REST resource routes: account scoping, ETags and If-Match."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request, Response
from sqlalchemy.orm import Session

from mailapp.server.models import Synced, identity
from mailapp.server.problems import ProblemError, not_found
from mailapp.server.routes.records import record_dict

RowT = TypeVar("RowT", bound=Synced)


def owned(session: Session, model: type[RowT], record_id: str, account_id: str, what: str) -> RowT:
    """A live record of this account; 404 for missing, destroyed and other accounts' ids."""
    row = session.get(model, identity(model, account_id, record_id))
    if row is None or row.account_id != account_id or row.destroyed:  # type: ignore[attr-defined]
        raise not_found(what)
    return row


def etag(row: Synced) -> str:
    return f'"{row.updated_modseq}"'


def with_etag(response: Response, row: Synced) -> None:
    response.headers["ETag"] = etag(row)


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def require_if_match(request: Request, row: Synced) -> None:
    """428 without If-Match, 412 (with the current record) when it is stale."""
    header = request.headers.get("if-match")
    if header is None:
        raise ProblemError(
            428,
            "preconditionRequired",
            title="Precondition required",
            detail="Send If-Match with the record's ETag (its updatedModseq in quotes).",
        )
    if header.strip() == "*" or etag(row) in _tags(header):
        return
    raise stale(row)


def stale(row: Synced) -> ProblemError:
    return ProblemError(
        412,
        "preconditionFailed",
        title="Precondition failed",
        detail="The record changed since that ETag; here is the current one.",
        headers={"ETag": etag(row)},
        currentRecord=record_dict(row),
    )


def not_modified(request: Request, row: Synced) -> bool:
    header = request.headers.get("if-none-match")
    return header is not None and (header.strip() == "*" or etag(row) in _tags(header))
