"""One message: its record (with ETag), conditional PATCH/DELETE, raw MIME, body, attachments."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.params import Path
from pydantic_core import to_json

from mailapp.mime.parse import attachment_at
from mailapp.server import merge
from mailapp.server.db import bump_modseq, session_scope
from mailapp.server.models import Email, EmailBlob, Mailbox
from mailapp.server.problems import ProblemError, not_found
from mailapp.server.routes.bodies import body_rows
from mailapp.server.routes.common import not_modified, owned, require_if_match, with_etag
from mailapp.server.routes.deps import AuthDep, EngineDep, PathId
from mailapp.server.routes.records import email_model
from mailapp.server.routes.responses import errors
from mailapp.wire import EmailPatch, EmailRecord, MessageBody

router = APIRouter(prefix="/v1/messages", tags=["messages"])
CONDITIONAL_ERRORS = errors(401, 404, 412, 422, 428)


def _raw(session: Any, email: Email) -> bytes:
    blob = session.get(EmailBlob, email.id)
    if blob is None:
        raise not_found("message content")
    return bytes(blob.raw)


@router.get("/{email_id}", responses={304: {"description": "Not modified"}, **errors(401, 404)})
def get_message(
    email_id: PathId, request: Request, response: Response, auth: AuthDep, engine: EngineDep
) -> Any:
    with session_scope(engine, write=False) as session:
        email = owned(session, Email, email_id, auth.account_id, "message")
        if not_modified(request, email):
            return Response(status_code=304, headers={"ETag": f'"{email.updated_modseq}"'})
        with_etag(response, email)
        return email_model(email)


@router.patch("/{email_id}", responses=CONDITIONAL_ERRORS)
def patch_message(
    email_id: PathId,
    body: EmailPatch,
    request: Request,
    response: Response,
    auth: AuthDep,
    engine: EngineDep,
) -> EmailRecord:
    """Add/remove keywords and/or move; needs If-Match (412 carries the current record)."""
    with session_scope(engine) as session:
        email = owned(session, Email, email_id, auth.account_id, "message")
        require_if_match(request, email)
        keywords = merge.apply_keywords(
            email.keywords or [], body.add_keywords, body.remove_keywords
        )
        changed = keywords != frozenset(email.keywords or [])
        if body.mailbox_id is not None and body.mailbox_id != email.mailbox_id:
            try:
                owned(session, Mailbox, body.mailbox_id, auth.account_id, "mailbox")
            except ProblemError as exc:
                raise ProblemError(
                    422, "mailboxNotFound", title="No such mailbox", detail=exc.detail
                ) from exc
            email.mailbox_id = body.mailbox_id
            changed = True
        if changed:
            email.keywords = sorted(keywords)
            email.updated_modseq = bump_modseq(session, auth.account_id)
            session.flush()
        with_etag(response, email)
        return email_model(email)


@router.delete("/{email_id}", status_code=204, responses=CONDITIONAL_ERRORS)
def delete_message(
    email_id: PathId, request: Request, auth: AuthDep, engine: EngineDep
) -> Response:
    with session_scope(engine) as session:
        email = owned(session, Email, email_id, auth.account_id, "message")
        require_if_match(request, email)
        modseq = bump_modseq(session, auth.account_id)
        email.updated_modseq = email.destroyed_modseq = modseq
        blob = session.get(EmailBlob, email.id)
        if blob is not None:
            session.delete(blob)
    return Response(status_code=204)


@router.get(
    "/{email_id}/raw",
    response_class=Response,
    responses={200: {"content": {"message/rfc822": {}}}, **errors(401, 404)},
)
def get_raw(email_id: PathId, auth: AuthDep, engine: EngineDep) -> Response:
    with session_scope(engine, write=False) as session:
        email = owned(session, Email, email_id, auth.account_id, "message")
        return Response(_raw(session, email), media_type="message/rfc822")


@router.get("/{email_id}/body", response_model=MessageBody, responses=errors(401, 404))
def get_body(email_id: PathId, auth: AuthDep, engine: EngineDep) -> Response:
    """The text and HTML bodies as sent; HTML is not sanitised here (the client does that).

    Worked out with the client's own parser (mailapp.mime) when the message arrived, so both
    find the same text. Read as POST /v1/bodies reads them: one Core query by primary key for
    the two bodies alone (not the ORM's email row and whole blob with its raw message)."""
    found = body_rows(engine, auth.account_id, [email_id]).get(email_id)
    if found is None:
        raise not_found("message")  # none, another account's, deleted, or without content
    # MessageBody's JSON, built here: no second thread-pool hop to validate it.
    return Response(to_json({"text": found[0], "html": found[1]}), media_type="application/json")


@router.get(
    "/{email_id}/attachments/{part_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **errors(401, 404)},
)
def get_attachment(
    email_id: PathId,
    part_id: Annotated[str, Path(pattern=r"^[0-9]{1,6}$")],
    auth: AuthDep,
    engine: EngineDep,
) -> Response:
    with session_scope(engine, write=False) as session:
        email = owned(session, Email, email_id, auth.account_id, "message")
        raw = _raw(session, email)
    attachment = attachment_at(raw, part_id)
    if attachment is None:
        raise not_found("attachment")
    return Response(
        attachment.data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
        },
    )
