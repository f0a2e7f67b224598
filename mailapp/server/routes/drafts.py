"""Drafts over plain REST: list, get (ETag), PUT (create with If-None-Match: *, else replace),
PATCH (the fields given), DELETE. Writes need If-Match (428 without, 412 when stale)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from mailapp.server.db import bump_modseq, current_modseq, session_scope
from mailapp.server.models import Draft, identity
from mailapp.server.problems import ProblemError, not_found
from mailapp.server.routes.common import (
    not_modified,
    owned,
    require_if_match,
    stale,
    with_etag,
)
from mailapp.server.routes.deps import AuthDep, EngineDep, PathId
from mailapp.server.routes.mutations_sending import pending_submission_exists
from mailapp.server.routes.records import DRAFT_COLUMNS, draft_model
from mailapp.server.routes.responses import errors
from mailapp.wire import DraftFields, DraftList, DraftRecord

router = APIRouter(prefix="/v1/drafts", tags=["drafts"])
WRITE_ERRORS = errors(401, 404, 409, 412, 422, 428)


def _canonical(fields: DraftFields, only_set: bool) -> dict[str, Any]:
    values = fields.model_dump(mode="json", by_alias=True)
    if only_set:
        declared = type(fields).model_fields
        chosen = {declared[name].alias or name for name in fields.model_fields_set}
        values = {name: value for name, value in values.items() if name in chosen}
    return values


def _apply(draft: Draft, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        column = DRAFT_COLUMNS[name]
        if getattr(draft, column) != value:
            setattr(draft, column, value)
            changed = True
    return changed


@router.get("", responses=errors(401))
def list_drafts(auth: AuthDep, engine: EngineDep) -> DraftList:
    with session_scope(engine, write=False) as session:
        state = current_modseq(session, auth.account_id)
        rows = session.scalars(
            select(Draft)
            .where(
                Draft.account_id == auth.account_id,
                Draft.destroyed_modseq.is_(None),
                Draft.updated_modseq <= state,
            )
            .order_by(Draft.updated_modseq.desc())
        ).all()
        return DraftList(state=str(state), items=[draft_model(row) for row in rows])


@router.get("/{draft_id}", responses={304: {"description": "Not modified"}, **errors(401, 404)})
def get_draft(
    draft_id: PathId, request: Request, response: Response, auth: AuthDep, engine: EngineDep
) -> Any:
    with session_scope(engine, write=False) as session:
        draft = owned(session, Draft, draft_id, auth.account_id, "draft")
        if not_modified(request, draft):
            return Response(status_code=304, headers={"ETag": f'"{draft.updated_modseq}"'})
        with_etag(response, draft)
        return draft_model(draft)


@router.put("/{draft_id}", responses={201: {"model": DraftRecord}, **WRITE_ERRORS})
def put_draft(
    draft_id: PathId,
    body: DraftFields,
    request: Request,
    response: Response,
    auth: AuthDep,
    engine: EngineDep,
) -> DraftRecord:
    """Replace a draft (If-Match), or create it with `If-None-Match: *` (201)."""
    values = _canonical(body, only_set=False)
    with session_scope(engine) as session:
        # Keyed per account: another account's draft with this id is simply not found here.
        existing = session.get(Draft, identity(Draft, auth.account_id, draft_id))
        if existing is None or existing.destroyed:
            if request.headers.get("if-none-match", "").strip() != "*":
                if existing is None and request.headers.get("if-match") is None:
                    raise ProblemError(
                        428,
                        "preconditionRequired",
                        title="Precondition required",
                        detail="Create with If-None-Match: *, replace with If-Match.",
                    )
                raise not_found("draft")
            if existing is not None:
                raise ProblemError(
                    409, "idInUse", title="Id in use", detail="That draft was destroyed."
                )
            modseq = bump_modseq(session, auth.account_id)
            draft = Draft(
                id=draft_id,
                account_id=auth.account_id,
                created_modseq=modseq,
                updated_modseq=modseq,
            )
            _apply(draft, values)
            session.add(draft)
            session.flush()
            response.status_code = 201
        else:
            draft = existing
            if request.headers.get("if-none-match", "").strip() == "*":
                raise stale(draft)
            require_if_match(request, draft)
            if _apply(draft, values):
                draft.updated_modseq = bump_modseq(session, auth.account_id)
                session.flush()
        with_etag(response, draft)
        return draft_model(draft)


@router.patch("/{draft_id}", responses=WRITE_ERRORS)
def patch_draft(
    draft_id: PathId,
    body: DraftFields,
    request: Request,
    response: Response,
    auth: AuthDep,
    engine: EngineDep,
) -> DraftRecord:
    """Change only the fields present in the body."""
    values = _canonical(body, only_set=True)
    with session_scope(engine) as session:
        draft = owned(session, Draft, draft_id, auth.account_id, "draft")
        require_if_match(request, draft)
        if _apply(draft, values):
            draft.updated_modseq = bump_modseq(session, auth.account_id)
            session.flush()
        with_etag(response, draft)
        return draft_model(draft)


@router.delete("/{draft_id}", status_code=204, responses=WRITE_ERRORS)
def delete_draft(draft_id: PathId, request: Request, auth: AuthDep, engine: EngineDep) -> Response:
    with session_scope(engine) as session:
        draft = owned(session, Draft, draft_id, auth.account_id, "draft")
        require_if_match(request, draft)
        if pending_submission_exists(session, auth.account_id, draft.id):
            raise ProblemError(
                409,
                "draftHasSubmission",
                title="Draft is being sent",
                detail="Cancel the scheduled submission first.",
            )
        draft.updated_modseq = draft.destroyed_modseq = bump_modseq(session, auth.account_id)
    return Response(status_code=204)
