"""The login throttle: failed password checks counted per (name, client address), per address
and per name.

Why these keys: counting per name alone let a stranger lock the real user out by failing ten
times; counting per (name, address) slows the stranger down and leaves every other address
alone, so correct credentials from an address that has not failed are never refused. The
per-address key (with a larger allowance) stops one address from spraying guesses over many
names. The per-name key counts over all addresses; once it is over its allowance, an address
that has failed for the name a few times (GUESSER_FAILURES: more than a typo) waits too, so a
crowd of addresses gets a few guesses each instead of the pair allowance each; an address that
has not failed still gets in.

Why counted before the check: the count and the decision happen in one transaction holding the
rows' locks (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), and the
attempt is counted as a failure right there. Parallel requests therefore queue on the row and
each sees the ones before it; a check that then succeeds is forgiven. A worker that dies
mid-check leaves a counted failure, never a free guess.

Delays grow: a key's first `free` checks may come back to back; the `free`-th failure makes it
wait `base_delay` seconds before its next check, and each further one twice as long as the
last, up to `max_delay`. A key that
stays quiet for `window` seconds after its wait is forgotten.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mailapp.server.models import LoginThrottle

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ThrottleRule:
    free: int  # failed checks that may come back to back
    base_delay: float  # seconds of wait after the first failure past `free`
    max_delay: float  # the wait never grows past this
    window: float  # a key quiet this long after its wait is forgotten

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        # 2 ** large would overflow float; the cap is reached long before 64 doublings.
        return min(self.max_delay, self.base_delay * 2.0 ** min(failures - self.free, 64))


# An address that has failed this often for a name is one that guesses, not one that mistyped.
GUESSER_FAILURES = 3


@dataclass(frozen=True)
class Throttle:
    per_pair: ThrottleRule
    per_address: ThrottleRule
    # Over all addresses; its wait holds only for addresses with GUESSER_FAILURES failures on the
    # name, so many addresses guessing one password get a few tries each, not `per_pair.free`.
    per_name: ThrottleRule

    def keys(self, name: str, address: str) -> dict[str, tuple[str, ThrottleRule]]:
        return {
            "pair": (_key("pair", name, address), self.per_pair),
            "address": (_key("address", "", address), self.per_address),
            "name": (_key("name", name, ""), self.per_name),
        }


def _key(kind: str, name: str, address: str) -> str:
    return hashlib.sha256(f"{kind}\0{name}\0{address}".encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _locked_rows(session: Session, keys: list[str]) -> dict[str, LoginThrottle]:
    """The rows of `keys` (created when missing), locked until the transaction ends.

    Housekeeping may delete a quiet row between its insert and the lock (a row a success left
    at the epoch is quiet at once): the lock then finds it gone, so it is made again, a bounded
    number of times (each round trip leaves the rows just made, which cannot all be quiet again
    before the next statement).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    rows: dict[str, LoginThrottle] = {}
    for _attempt in range(5):
        missing = [key for key in keys if key not in rows]
        session.execute(
            insert(LoginThrottle)
            .values([{"key": key, "failures": 0, "next_allowed_at": _EPOCH} for key in missing])
            .on_conflict_do_nothing(index_elements=["key"])
        )
        found = session.execute(
            select(LoginThrottle)
            .where(LoginThrottle.key.in_(keys))
            .order_by(LoginThrottle.key)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars()
        rows = {row.key: row for row in found}
        if len(rows) == len(keys):
            return rows
    raise RuntimeError("the login throttle's rows kept disappearing under their lock")


def _lock(
    session: Session, throttle: Throttle, name: str, address: str
) -> dict[str, tuple[LoginThrottle, ThrottleRule]]:
    keys = throttle.keys(name, address)
    # One statement locks the rows in key order, so two requests never wait on each other.
    rows = _locked_rows(session, sorted(key for key, _rule in keys.values()))
    return {kind: (rows[key], rule) for kind, (key, rule) in keys.items()}


def reserve_check(session: Session, throttle: Throttle, *, name: str, address: str) -> int:
    """Count one password check for (name, address) if it may run now.

    Returns 0 when the check may run (it is already counted as a failure: call `forgive` if it
    succeeds), else the seconds to wait, for Retry-After. Call inside a write transaction.
    """
    rows = _lock(session, throttle, name, address)
    now = datetime.now(UTC)  # read under the lock: a time from before the wait would be stale
    for row, rule in rows.values():
        if now >= _aware(row.next_allowed_at) + timedelta(seconds=rule.window):
            row.failures = 0  # quiet long enough: forgotten
    binding = ["pair", "address"]
    if rows["pair"][0].failures >= GUESSER_FAILURES:
        binding.append("name")
    wait = max((_aware(rows[kind][0].next_allowed_at) - now).total_seconds() for kind in binding)
    if wait > 0:
        return max(1, math.ceil(wait))
    for row, rule in rows.values():
        row.failures += 1
        row.next_allowed_at = now + timedelta(seconds=rule.delay(row.failures))
    session.flush()
    return 0


def forgive(session: Session, throttle: Throttle, *, name: str, address: str) -> None:
    """The reserved check succeeded: the pair starts clean, the address and the name get the
    counted failure back."""
    rows = _lock(session, throttle, name, address)
    for kind, (row, rule) in rows.items():
        row.failures = 0 if kind == "pair" else max(0, row.failures - 1)
        if rule.delay(row.failures) == 0:
            row.next_allowed_at = _EPOCH
    session.flush()


def prune_throttle(session: Session, older_than: float) -> int:
    """Drop keys whose wait ended more than `older_than` seconds ago (they are forgotten).

    Rows a login holds locked are skipped, not waited for: deleting in scan order while logins
    lock in key order deadlocked them on PostgreSQL (a login then answered 503). Skipped rows go
    the next time round. SQLite has one writer at a time and no row locks to skip.
    """
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
    quiet = (
        select(LoginThrottle.key)
        .where(LoginThrottle.next_allowed_at < cutoff)
        .with_for_update(skip_locked=True)
    )
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(quiet)))
    return int(getattr(result, "rowcount", 0) or 0)
