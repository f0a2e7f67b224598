"""GET /v1/changes and POST /v1/sync (push mutations and pull changes in one round trip)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic_core import to_json
from sqlalchemy import Engine

from mailapp.server.config import Settings
from mailapp.server.db import session_scope
from mailapp.server.modseq import lock_counter
from mailapp.server.problems import ProblemError
from mailapp.server.routes import push_flags_pg
from mailapp.server.routes.deps import Auth, AuthDep, EngineDep, SettingsDep
from mailapp.server.routes.feed import (
    FeedPage,
    changes_since,
    check_since,
    parse_since,
    read_connection,
)
from mailapp.server.routes.mutations import apply_batch
from mailapp.server.routes.mutations_flags import only_flags
from mailapp.server.routes.responses import errors
from mailapp.wire import STATE_PATTERN, Changes, SyncRequest, SyncResponse

router = APIRouter(prefix="/v1", tags=["sync"])


# The answers are built as JSON bytes from the rows (routes/feed.py) and returned as they are:
# no second thread-pool hop for FastAPI's validation of a model the server itself just built,
# and no model between the rows and the bytes. `response_model` still tells the OpenAPI
# document what they are (tests/server/test_feed_bytes.py holds them to the models).
JSON = "application/json"


@router.get("/changes", response_model=Changes, responses=errors(400, 401, 410, 422))
def get_changes(
    auth: AuthDep,
    engine: EngineDep,
    settings: SettingsDep,
    since: Annotated[str, Query(pattern=STATE_PATTERN)] = "0",
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    return Response(changes_json(auth, engine, settings, since, limit), media_type=JSON)


def changes_json(
    auth: Auth, engine: Engine, settings: Settings, since: str, limit: int | None
) -> bytes:
    """GET /v1/changes's answer for validated arguments (also server/fast_lane.py's)."""
    page = min(limit or settings.max_changes_per_page, settings.max_changes_per_page)
    state, floor = parse_since(since)
    with read_connection(engine) as conn:
        changes = changes_since(conn, auth.account_id, state, page, floor)
    return changes.json()


def sync_answer(results: list[dict[str, Any]], changes: FeedPage) -> bytes:
    """SyncResponse's JSON: results (in MutationResult's JSON form), the page, its state."""
    wire = {"results": results, "changes": changes.wire, "newState": changes.new_state}
    return to_json(wire)


@router.post("/sync", response_model=SyncResponse, responses=errors(400, 401, 410, 413, 422))
def sync(body: SyncRequest, auth: AuthDep, engine: EngineDep, settings: SettingsDep) -> Response:
    return Response(sync_json(body, auth, engine, settings), media_type=JSON)


def sync_json(body: SyncRequest, auth: Auth, engine: Engine, settings: Settings) -> bytes:
    """POST /v1/sync's answer for a validated request (also server/fast_lane.py's)."""
    if len(body.mutations) > settings.max_mutations_per_sync:
        raise ProblemError(
            413,
            "tooManyMutations",
            title="Too many mutations",
            detail=(
                f"{len(body.mutations)} mutations exceed maxMutationsPerSync "
                f"({settings.max_mutations_per_sync}); push them in several requests."
            ),
            limit="maxMutationsPerSync",
            limitValue=settings.max_mutations_per_sync,
        )
    since, floor = parse_since(body.since_state)
    if not body.mutations:
        # A pull (most syncs): read-only, like GET /v1/changes, so it neither takes the
        # account's lock nor waits behind another device's push of the same account.
        with read_connection(engine) as conn:
            changes = changes_since(
                conn, auth.account_id, since, settings.max_changes_per_page, floor
            )
        return sync_answer([], changes)
    if only_flags(body.mutations) and push_flags_pg.usable(engine):
        # Most pushes: flag changes alone, on PostgreSQL in two round trips under the lock.
        results = push_flags_pg.push_flags(
            engine, auth.account_id, body.client_id, body.mutations, since, floor
        )
    else:
        with session_scope(engine) as session:
            modseq, pruned_modseq = lock_counter(session, auth.account_id)
            # Checked before anything is applied: a client that must resync keeps its queue.
            check_since(since, modseq, pruned_modseq, floor)
            results = apply_batch(
                session, auth.account_id, body.client_id, body.mutations, settings
            )
    # Committed, so the account's lock is free again: the answer's page of changes (which may
    # hold a thousand records) is read as a pull reads it, while other devices push. It holds
    # this push's changes and any committed since; their results are stored, so a retry after
    # a failure from here on changes nothing twice.
    with read_connection(engine) as conn:
        changes = changes_since(conn, auth.account_id, since, settings.max_changes_per_page, floor)
    # The results are in MutationResult's JSON form already, as stored (mutations.py).
    return sync_answer(results, changes)
