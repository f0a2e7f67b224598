"""Uploaded blobs (draft attachments): POST the raw bytes, reference the id as `blobId`.

A blob counts against the account's storage quota and, until a live draft names it, against
the quota of blobs awaiting use; housekeeping deletes blobs no draft names after a grace period.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from sqlalchemy import Engine

from mailapp.server.config import Settings
from mailapp.server.db import lock_account, session_scope
from mailapp.server.limits import LimitExceeded, check_upload, usage
from mailapp.server.models import Blob
from mailapp.server.problems import ProblemError, not_found
from mailapp.server.routes.deps import AuthDep, EngineDep, PathId, SettingsDep
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
async def upload_blob(
    request: Request, auth: AuthDep, engine: EngineDep, settings: SettingsDep
) -> BlobInfo:
    """The body is the attachment (size limited by maxAttachmentBytes, 413 beyond; 413 too,
    `overQuota` when the account's storage or its uploads awaiting use are full)."""
    data = await request.body()
    content_type = request.headers.get("content-type", "application/octet-stream")[:255]
    # The database work runs in a worker thread: on the event loop, writing a large blob
    # would stall every other request of this process.
    return await anyio.to_thread.run_sync(
        store_blob, engine, settings, auth.account_id, content_type, data
    )


def store_blob(
    engine: Engine, settings: Settings, account_id: str, content_type: str, data: bytes
) -> BlobInfo:
    with session_scope(engine) as session:
        # Uploads of one account are checked one at a time, so two cannot both fit the quota.
        lock_account(session, account_id)
        try:
            check_upload(usage(session, account_id), len(data), settings)
        except LimitExceeded as exc:
            raise over_quota(exc) from None
        blob = Blob(account_id=account_id, content_type=content_type, size=len(data), data=data)
        session.add(blob)
        session.flush()
        return BlobInfo(blob_id=blob.id, content_type=blob.content_type, size=blob.size)


def over_quota(exc: LimitExceeded) -> ProblemError:
    return ProblemError(413, exc.reason, title="Quota exceeded", detail=exc.detail, **exc.extra)


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
