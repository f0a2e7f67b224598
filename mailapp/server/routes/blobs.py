"""Uploaded blobs (draft attachments): POST the raw bytes, reference the id as `blobId`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mailapp.server.db import session_scope
from mailapp.server.models import Blob
from mailapp.server.problems import not_found
from mailapp.server.routes.deps import AuthDep, EngineDep, PathId
from mailapp.server.routes.responses import errors
from mailapp.wire import BlobInfo

router = APIRouter(prefix="/v1/blobs", tags=["blobs"])
BINARY = {"type": "string", "format": "binary"}


@router.post(
    "",
    status_code=201,
    responses=errors(401, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": BINARY}},
        }
    },
)
async def upload_blob(request: Request, auth: AuthDep, engine: EngineDep) -> BlobInfo:
    """The body is the attachment (size limited by maxAttachmentBytes, 413 beyond)."""
    data = await request.body()
    content_type = request.headers.get("content-type", "application/octet-stream")[:255]
    with session_scope(engine) as session:
        blob = Blob(
            account_id=auth.account_id, content_type=content_type, size=len(data), data=data
        )
        session.add(blob)
        session.flush()
        return BlobInfo(blob_id=blob.id, content_type=blob.content_type, size=blob.size)


@router.get(
    "/{blob_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **errors(401, 404)},
)
def get_blob(blob_id: PathId, auth: AuthDep, engine: EngineDep) -> Response:
    with session_scope(engine, write=False) as session:
        blob = session.get(Blob, blob_id)
        if blob is None or blob.account_id != auth.account_id:
            raise not_found("blob")
        return Response(bytes(blob.data), media_type=blob.content_type)
