"""Reading the POST /v1/bodies stream: NDJSON lines, each checked against the wire schema.

What arrived before a cut (a broken connection, a deadline, a garbled line) is kept, so the
engine stores it and asks again only for the ids still missing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import requests
from pydantic import ValidationError

from mailapp import wire
from mailapp.sync.errors import OfflineError, ProtocolError, SyncError

log = logging.getLogger(__name__)


@dataclass
class BodiesBatch:
    bodies: dict[str, wire.MessageBody] = field(default_factory=dict)
    not_found: set[str] = field(default_factory=set)
    # The stream ended with its end line: every id asked for is in bodies, not_found or omitted.
    complete: bool = False
    error: SyncError | None = None


def _record(line: bytes) -> wire.BodyRecord | wire.BodiesEnd:
    if line.startswith(b'{"id"'):
        # The common line, parsed and validated in one step (pydantic's own JSON parser).
        try:
            return wire.BodyRecord.model_validate_json(line)
        except ValidationError:
            raise ProtocolError("The server's bodies do not match the protocol.") from None
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("The server's bodies are not valid JSON lines.") from None
    try:
        if isinstance(data, dict) and "end" in data:
            return wire.BodiesEnd.model_validate(data)
        return wire.BodyRecord.model_validate(data)
    except ValidationError:
        raise ProtocolError("The server's bodies do not match the protocol.") from None


def _take(batch: BodiesBatch, line: bytes) -> None:
    if not line.strip() or batch.complete:
        return
    record = _record(line)
    if isinstance(record, wire.BodiesEnd):
        batch.not_found.update(record.not_found)
        batch.complete = True
    else:
        # Already validated as a BodyRecord (the same fields and checks).
        batch.bodies[record.id] = wire.MessageBody.model_construct(
            text=record.text, html=record.html
        )


def read_bodies(
    response: requests.Response, batch: BodiesBatch, max_bytes: int, base_url: str
) -> None:
    """Fill ``batch`` from a 200 answer; on a cut, keep what arrived and set ``batch.error``."""
    size = 0
    partial: list[bytes] = []  # pieces of a line still arriving (a big body spans many)
    try:
        # chunk_size=None: each piece as it arrives, so a cut loses only the piece in flight.
        for chunk in response.iter_content(chunk_size=None):
            size += len(chunk)
            if size > max_bytes:
                raise ProtocolError("The server sent an answer larger than mailapp accepts.")
            *lines, rest = chunk.split(b"\n")
            if lines:
                lines[0] = b"".join([*partial, lines[0]])
                partial.clear()
            partial.append(rest)
            for line in lines:
                _take(batch, line)
        if b"".join(partial).strip():
            _take(batch, b"".join(partial))  # a last line without its newline
    except ProtocolError as exc:
        batch.error = exc
    except requests.exceptions.Timeout:
        batch.error = OfflineError(f"{base_url} stopped answering.")
    except (
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
        requests.exceptions.ConnectionError,
    ):
        batch.error = OfflineError(f"The connection to {base_url} broke while sending bodies.")
    if batch.error is None and not batch.complete:
        batch.error = OfflineError(f"The connection to {base_url} broke while sending bodies.")
    if batch.error is not None:
        log.info("bodies stream cut after %d bodies: %s", len(batch.bodies), batch.error)
