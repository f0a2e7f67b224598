"""The change feed: what changed in an account since a state, in modseq order, paged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Label, Row, inspect, select
from sqlalchemy.orm import Session

from mailapp.server.models import SYNCED_MODELS, Account
from mailapp.server.problems import ProblemError
from mailapp.server.routes.records import RECORD_BUILDERS
from mailapp.wire import Changes

# The feed reads plain rows, not ORM objects: a page is read once and turned into wire records,
# so the identity map, change tracking and instance states of the ORM were pure overhead (about
# half of a 100-record page's server time). Each column is labelled with its attribute's name
# (`from_`, not `from`), so the record builders read a row as they read an ORM object.
_COLUMNS: dict[str, list[Label[Any]]] = {
    kind: [getattr(model, attr.key).label(attr.key) for attr in inspect(model).column_attrs]
    for kind, model in SYNCED_MODELS.items()
}


def cannot_calculate(since: int, detail: str) -> ProblemError:
    return ProblemError(
        410,
        "cannotCalculateChanges",
        title="Cannot calculate changes",
        detail=f"{detail} Discard the local copy and resync from state 0.",
        sinceState=str(since),
    )


def check_since(since: int, top: int, pruned: int) -> None:
    """410 when changes since `since` cannot be listed: tombstones pruned, or a future state."""
    # State 0 is a client starting empty: it has nothing the pruned tombstones would delete.
    if 0 < since < pruned:
        raise cannot_calculate(since, f"Deletions up to state {pruned} were pruned.")
    if since > top:
        raise cannot_calculate(since, f"State {since} is newer than the server's ({top}).")


def parse_state(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isdigit() or len(value) > 18:
        raise ProblemError(
            400, "invalidState", title="Invalid state", detail="A state is a decimal number."
        )
    return int(value)


def changes_since(session: Session, account_id: str, since: int, limit: int) -> Changes:
    """Changes after `since`, at most `limit` records (more when one modseq spans the cut).

    The account's modseq is read first and rows are bounded by it: a write committing meanwhile
    has a higher modseq (commit order == modseq order), so the page never skips one.
    """
    account = session.execute(
        select(Account.modseq, Account.pruned_modseq).where(Account.id == account_id)
    ).one()
    top = int(account.modseq)
    check_since(since, top, int(account.pruned_modseq))
    if since == top:
        # Nothing changed (most syncs): no record can lie in (since, top], so the per-type
        # queries are skipped; the answer costs this one primary-key read whatever the size.
        return Changes(old_state=str(since), new_state=str(top), has_more=False)

    candidates: list[tuple[str, Row[Any]]] = []
    for kind, model in SYNCED_MODELS.items():
        rows = session.execute(
            select(*_COLUMNS[kind])
            .where(
                model.account_id == account_id,  # type: ignore[attr-defined]
                model.updated_modseq > since,
                model.updated_modseq <= top,
            )
            .order_by(model.updated_modseq)
            .limit(limit + 1)
        ).all()
        candidates.extend((kind, row) for row in rows)
    candidates.sort(key=lambda item: item[1].updated_modseq)

    has_more = len(candidates) > limit
    if has_more:
        boundary = candidates[limit - 1][1].updated_modseq
        if candidates[limit][1].updated_modseq != boundary:
            page = candidates[:limit]
        else:
            # Never split one modseq across pages: cut before it, or when it alone fills the
            # page, take every record carrying it.
            page = [c for c in candidates if c[1].updated_modseq < boundary]
            if not page:
                page = [c for c in candidates if c[1].updated_modseq == boundary]
                page.extend(_rest_at(session, account_id, boundary, page))
        new_state = max(c[1].updated_modseq for c in page)
    else:
        page = candidates
        new_state = top

    changes = Changes(old_state=str(since), new_state=str(new_state), has_more=has_more)
    for kind, row in page:
        bucket: Any = getattr(changes, kind)
        if row.destroyed_modseq is not None:
            bucket.destroyed.append(row.id)
        elif row.created_modseq > since:
            bucket.created.append(RECORD_BUILDERS[kind](row))
        else:
            bucket.updated.append(RECORD_BUILDERS[kind](row))
    return changes


def _rest_at(
    session: Session, account_id: str, modseq: int, have: list[tuple[str, Row[Any]]]
) -> list[tuple[str, Row[Any]]]:
    seen = {(kind, row.id) for kind, row in have}
    extra: list[tuple[str, Row[Any]]] = []
    for kind, model in SYNCED_MODELS.items():
        rows = session.execute(
            select(*_COLUMNS[kind]).where(
                model.account_id == account_id,  # type: ignore[attr-defined]
                model.updated_modseq == modseq,
            )
        ).all()
        extra.extend((kind, row) for row in rows if (kind, row.id) not in seen)
    return extra
