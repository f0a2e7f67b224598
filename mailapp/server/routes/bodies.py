"""POST /v1/bodies: many messages' bodies in one streamed, compressed answer.

The answer is NDJSON (one `BodyRecord` per line, then one `BodiesEnd`), gzip-compressed when
the client accepts it, and flushed every few messages so the client stores what arrived even if
the connection breaks later. Bodies come from what the server worked out when the message
arrived (`EmailBlob.text_body/html_body`); only rows from before that parse their raw message.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic_core import to_json
from sqlalchemy import Engine, bindparam, select

from mailapp.mime.parse import parse_message
from mailapp.server.db import statement_engine
from mailapp.server.models import Email, EmailBlob
from mailapp.server.problems import ProblemError
from mailapp.server.routes.deps import AuthDep, EngineDep
from mailapp.server.routes.responses import errors
from mailapp.wire import BODIES_RESPONSE_BYTES, MAX_BODIES_PER_REQUEST, BodiesRequest

router = APIRouter(prefix="/v1", tags=["messages"])
# Messages read per query: a few hundred keep the per-query cost small beside the rows'.
CHUNK = 250
# The stream is flushed every this many bytes of lines (and at the end of each query's rows):
# the client keeps what arrived before a cut, and each flush (a compressor sync, a thread-pool
# hop of the streamed response) stays small beside the bytes it sends.
PIECE_BYTES = 64 << 10
MEDIA_TYPE = "application/x-ndjson"


# Built once: the per-request cost is then the rows', not the statements' construction.
_BODIES = (
    select(
        EmailBlob.email_id,
        Email.account_id,
        Email.destroyed_modseq,
        EmailBlob.bodies_parsed,
        EmailBlob.text_body,
        EmailBlob.html_body,
    )
    .join(Email, Email.id == EmailBlob.email_id)
    .where(EmailBlob.email_id.in_(bindparam("ids", expanding=True)))
)
_RAWS = select(EmailBlob.email_id, EmailBlob.raw).where(
    EmailBlob.email_id.in_(bindparam("ids", expanding=True))
)


def body_rows(
    engine: Engine, account_id: str, ids: list[str]
) -> dict[str, tuple[str | None, str | None]]:
    """(text, html) of those of `ids` that are live messages of the account.

    One Core query by primary key (no ORM objects: each row is read once and sent). The account
    and the tombstone are checked here, not in SQL: with `account_id` in the WHERE clause SQLite
    may walk ix_email_feed (every message of the account) instead of looking the ids up.
    """
    found: dict[str, tuple[str | None, str | None]] = {}
    unparsed: list[str] = []
    with statement_engine(engine).connect() as conn:
        for row in conn.execute(_BODIES, {"ids": ids}):
            if row.account_id != account_id or row.destroyed_modseq is not None:
                continue
            if row.bodies_parsed:
                found[row.email_id] = (row.text_body, row.html_body)
            else:
                unparsed.append(row.email_id)
        if unparsed:
            # Rows stored before bodies were worked out on arrival (migration 0009).
            for email_id, raw in conn.execute(_RAWS, {"ids": unparsed}):
                parsed = parse_message(bytes(raw))
                found[email_id] = (parsed.text_body, parsed.html_body)
    return found


def _lines(engine: Engine, account_id: str, ids: list[str]) -> Iterator[bytes]:
    """NDJSON lines, one chunk of messages per yielded piece, then the end line."""
    not_found: list[str] = []
    sent = 0
    answered = 0
    while answered < len(ids) and (answered == 0 or sent < BODIES_RESPONSE_BYTES):
        chunk = ids[answered : answered + CHUNK]
        rows = body_rows(engine, account_id, chunk)
        out: list[bytes] = []
        size = 0
        for email_id in chunk:
            bodies = rows.get(email_id)
            if bodies is None:
                not_found.append(email_id)
                continue
            # pydantic-core's encoder: about 2.5x faster than json's on long texts, and bytes.
            line = to_json({"id": email_id, "text": bodies[0], "html": bodies[1]})
            out.append(line + b"\n")
            size += len(line) + 1
            if size >= PIECE_BYTES:
                sent += size
                yield b"".join(out)
                out.clear()
                size = 0
        answered += len(chunk)
        sent += size
        yield b"".join(out)
    end = {"end": True, "notFound": not_found, "omitted": ids[answered:]}
    yield to_json(end) + b"\n"


def _gzipped(pieces: Iterator[bytes]) -> Iterator[bytes]:
    # Level 1: most of the gain for a fraction of the CPU; a sync flush per piece lets the
    # client decode (and keep) each chunk as it arrives.
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    for piece in pieces:
        yield compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH)
    yield compressor.flush()


@router.post(
    "/bodies",
    response_class=StreamingResponse,
    responses={
        200: {"content": {MEDIA_TYPE: {}}, "description": "BodyRecord lines, then BodiesEnd"},
        **errors(401, 413, 422),
    },
)
def post_bodies(
    body: BodiesRequest, request: Request, auth: AuthDep, engine: EngineDep
) -> StreamingResponse:
    """Bodies of up to MAX_BODIES_PER_REQUEST of the account's messages, streamed as NDJSON."""
    if len(body.ids) > MAX_BODIES_PER_REQUEST:
        raise ProblemError(
            413,
            "tooManyIds",
            title="Too many ids",
            detail=(
                f"{len(body.ids)} ids exceed maxBodiesPerRequest ({MAX_BODIES_PER_REQUEST}); "
                "ask for them in several requests."
            ),
            limit="maxBodiesPerRequest",
            limitValue=MAX_BODIES_PER_REQUEST,
        )
    ids = list(dict.fromkeys(body.ids))  # each once, in the order asked
    pieces = _lines(engine, auth.account_id, ids)
    headers = {"Cache-Control": "no-store"}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        pieces = _gzipped(pieces)
    return StreamingResponse(pieces, media_type=MEDIA_TYPE, headers=headers)
