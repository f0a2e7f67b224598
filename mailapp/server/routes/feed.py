"""The change feed: what changed in an account since a state, in modseq order, paged."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Connection, Engine

from mailapp.server.db import is_sqlite, statement_engine
from mailapp.server.problems import ProblemError
from mailapp.server.routes.feed_rows import (
    ACCOUNT_STATE,
    CREATED,
    DESTROYED,
    ID,
    READERS,
    UPDATED,
    Decoded,
    Row,
)


@dataclass
class FeedPage:
    """A page of the change feed in wire form: `wire` is the JSON-ready dict of the `Changes`
    model (what `Changes.model_dump(mode="json", by_alias=True)` gives), built straight from
    the rows; `json()` serialises it once."""

    old_state: str
    new_state: str
    has_more: bool
    kinds: dict[str, dict[str, list[Any]]] = field(
        default_factory=lambda: {
            kind: {"created": [], "updated": [], "destroyed": []} for kind in READERS
        }
    )

    @property
    def wire(self) -> dict[str, Any]:
        return {
            "oldState": self.old_state,
            "newState": self.new_state,
            "hasMore": self.has_more,
            **self.kinds,
        }

    def json(self) -> bytes:
        return to_json(self.wire)


def cannot_calculate(since: int, detail: str) -> ProblemError:
    return ProblemError(
        410,
        "cannotCalculateChanges",
        title="Cannot calculate changes",
        detail=f"{detail} Discard the local copy and resync from state 0.",
        sinceState=str(since),
    )


def check_since(since: int, top: int, pruned: int, floor: int | None = None) -> None:
    """410 when changes since `since` cannot be listed: tombstones pruned, or a future state.

    `floor` comes with a state in the middle of a first listing (see `changes_since`): every
    message that client holds was live at state `floor`, so a deletion it has not seen yet is
    newer than that, and its tombstone is still kept while the watermark is not above it.
    """
    if since > top or (floor is not None and floor > top):
        raise cannot_calculate(since, f"State {since} is newer than the server's ({top}).")
    # State 0 is a client starting empty: it has nothing the pruned tombstones would delete.
    if 0 < max(since, floor or 0) < pruned:
        raise cannot_calculate(since, f"Deletions up to state {pruned} were pruned.")


def parse_since(value: str | None) -> tuple[int, int | None]:
    """A state a client sent back: its modseq, and the floor of a listing's page state."""
    modseq, dot, floor = (value or "").partition(".")
    if not dot:
        return parse_state(value), None
    if not floor:
        parse_state("-")  # "12." is not a state: the same 400 as any other malformed one
    return parse_state(modseq), parse_state(floor)


def page_state(modseq: int, floor: int | None) -> str:
    """The state of a page cut at `modseq`: with the listing's floor while that is above it."""
    return f"{modseq}.{floor}" if floor is not None and floor > modseq else str(modseq)


def parse_state(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isdigit() or len(value) > 18:
        raise ProblemError(
            400, "invalidState", title="Invalid state", detail="A state is a decimal number."
        )
    return int(value)


@contextlib.contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """`db.read_scope` on a bare connection: the feed reads no ORM objects, so it skips the
    Session (one deferred read transaction on SQLite, autocommit statements on PostgreSQL)."""
    with statement_engine(engine).connect() as conn:
        if is_sqlite(engine):
            with conn.begin():
                yield conn
        else:
            yield conn


def changes_since(
    conn: Connection, account_id: str, since: int, limit: int, floor: int | None = None
) -> FeedPage:
    """Changes after `since`, at most `limit` records (more when one modseq spans the cut).

    The account's modseq is read first and rows are bounded by it: a write committing meanwhile
    has a higher modseq (commit order == modseq order), so the page never skips one.

    A first listing (from state 0) is cut at modseqs that soon fall below the pruning watermark
    (state - retention, raised by housekeeping), so a plain state would make its next page a
    410, and the rebuild after it the same, forever. What that client holds was live at the
    state its listing began at, though: its page states carry that floor ("<modseq>.<floor>"),
    and the listing goes on while the watermark stays at or below it (check_since).
    """
    top, pruned, *changed = ACCOUNT_STATE.rows(conn, account=account_id, since=since)[0]
    top = int(top)
    check_since(since, top, int(pruned), floor)
    if since == 0:
        floor = top  # whatever this listing returns is live at `top`
    if since == top:
        # Nothing changed (most syncs): no record can lie in (since, top], so the per-type
        # queries are skipped; the answer costs this one primary-key read whatever the size.
        return FeedPage(old_state=page_state(since, floor), new_state=str(top), has_more=False)

    candidates: list[tuple[str, Row]] = []
    for (kind, reader), has_rows in zip(READERS.items(), changed, strict=True):
        if not has_rows:  # the state read saw no row of this kind in (since, top]
            continue
        rows = reader.page.rows(conn, account=account_id, since=since, top=top, limit=limit + 1)
        candidates.extend((kind, row) for row in rows)
    candidates.sort(key=lambda item: item[1][UPDATED])

    has_more = len(candidates) > limit
    if has_more:
        boundary = candidates[limit - 1][1][UPDATED]
        if candidates[limit][1][UPDATED] != boundary:
            page = candidates[:limit]
        else:
            # Never split one modseq across pages: cut before it, or when it alone fills the
            # page, take every record carrying it.
            page = [c for c in candidates if c[1][UPDATED] < boundary]
            if not page:
                page = [c for c in candidates if c[1][UPDATED] == boundary]
                page.extend(_rest_at(conn, account_id, boundary, page))
        new_state = max(c[1][UPDATED] for c in page)
    else:
        page = candidates
        new_state = top

    changes = FeedPage(
        old_state=page_state(since, floor),
        new_state=page_state(new_state, floor) if has_more else str(new_state),
        has_more=has_more,
    )
    dialect = conn.dialect
    decoded = Decoded()
    for kind, row in page:
        bucket = changes.kinds[kind]
        if row[DESTROYED] is not None:
            bucket["destroyed"].append(row[ID])
        elif row[CREATED] > since:
            bucket["created"].append(READERS[kind].wire(row, dialect, decoded))
        else:
            bucket["updated"].append(READERS[kind].wire(row, dialect, decoded))
    return changes


def _rest_at(
    conn: Connection, account_id: str, modseq: int, have: list[tuple[str, Row]]
) -> list[tuple[str, Row]]:
    seen = {(kind, row[ID]) for kind, row in have}
    extra: list[tuple[str, Row]] = []
    for kind, reader in READERS.items():
        rows = reader.at.rows(conn, account=account_id, modseq=modseq)
        extra.extend((kind, row) for row in rows if (kind, row[ID]) not in seen)
    return extra
