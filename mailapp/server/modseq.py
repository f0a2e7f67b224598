"""The per-account modification counter (modseq): locking the account row, bumping and
allocating modseqs, and the change notification that goes with each write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Table, bindparam, cast, event, func, literal, select, update
from sqlalchemy.orm import Session, SessionTransaction

from mailapp.server.models import Account
from mailapp.server.notify import CHANNEL, notify_in_transaction

_LOCKED_KEY = "mailapp_locked_accounts"
# account ids whose row lock_counter locked in this transaction (no ORM object).
_COUNTERS_KEY = "mailapp_locked_counters"
# account id -> its modseq as this transaction knows it while it holds the row's lock.
_MODSEQ_KEY = "mailapp_locked_modseqs"


def _root_transaction(session: Session) -> SessionTransaction | None:
    trans = session.get_transaction()
    while trans is not None and trans.parent is not None:
        trans = trans.parent
    return trans


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_LOCKED_KEY, None)
        session.info.pop(_COUNTERS_KEY, None)
    # A savepoint rolled back may have undone a bump: read the counter again after any.
    session.info.pop(_MODSEQ_KEY, None)


# The hot path's statements are built once: building a select or update costs more Python than
# executing a cached one (issue 11, the per-push overhead).
_ACCOUNT = Account.__table__
assert isinstance(_ACCOUNT, Table)
_LOCK = select(Account).where(Account.id == bindparam("account_id")).with_for_update()
_LOCK_COUNTER = (
    select(_ACCOUNT.c.modseq, _ACCOUNT.c.pruned_modseq)
    .where(_ACCOUNT.c.id == bindparam("account_id"))
    .with_for_update()
)
_READ_MODSEQ = select(_ACCOUNT.c.modseq).where(_ACCOUNT.c.id == bindparam("account_id"))
_BUMP = (
    update(_ACCOUNT)
    .where(_ACCOUNT.c.id == bindparam("account_id"))
    .values(modseq=_ACCOUNT.c.modseq + 1)
    .returning(_ACCOUNT.c.modseq)
)
_SET = (
    update(_ACCOUNT)
    .where(_ACCOUNT.c.id == bindparam("account_id"))
    .values(modseq=bindparam("modseq"))
)


# PostgreSQL: the change notification rides in the UPDATE's RETURNING (pg_notify, delivered at
# commit like a separate `SELECT pg_notify` would be): one round trip fewer per write.
_BUMP_PG = _BUMP.returning(
    func.pg_notify(
        literal(CHANNEL),
        bindparam("prefix", type_=String) + cast(_ACCOUNT.c.modseq, String),
    )
)
_SET_PG = _SET.returning(func.pg_notify(literal(CHANNEL), bindparam("payload")))


def lock_account(session: Session, account_id: str) -> Account:
    """The account row, locked until commit (FOR UPDATE on PG; SQLite holds the write lock)."""
    # Strong references: the identity map alone is weak and would re-select on every call.
    locked: dict[str, Account] = session.info.setdefault(_LOCKED_KEY, {})
    account = locked.get(account_id)
    if account is not None and account in session:
        return account
    account = session.execute(_LOCK, {"account_id": account_id}).scalar_one()
    locked[account_id] = account
    # Not remembered as the counter: an Account already in the identity map keeps the modseq it
    # was loaded with (the SELECT ... FOR UPDATE does not refresh it), so current_modseq reads.
    return account


def lock_counter(session: Session, account_id: str) -> tuple[int, int]:
    """Lock the account row as lock_account does and read (modseq, pruned_modseq): one Core
    statement, no ORM object, and the counter known for the transaction (a push's
    ModseqAllocator then neither locks nor reads again)."""
    row = session.connection().execute(_LOCK_COUNTER, {"account_id": account_id}).one()
    modseq = int(row[0])
    session.info.setdefault(_MODSEQ_KEY, {})[account_id] = modseq
    session.info.setdefault(_COUNTERS_KEY, set()).add(account_id)
    return modseq, int(row[1])


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def bump_modseq(session: Session, account_id: str) -> int:
    """Give the next change of this account its modseq, inside the caller's transaction.

    `UPDATE … RETURNING` both increments and row-locks the account until commit, so commit
    order == modseq order and a client that read state S can never miss a change <= S.
    (The Account object of the session, if loaded, keeps its old `modseq`; read
    `current_modseq` instead.)
    """
    # Core, not ORM: no autoflush and no ORM bookkeeping on this hot path.
    connection = session.connection()
    if _is_postgresql(session):
        row = connection.execute(
            _BUMP_PG, {"account_id": account_id, "prefix": f"{account_id}:"}
        ).one()
        new_modseq = int(row[0])
    else:
        new_modseq = int(connection.execute(_BUMP, {"account_id": account_id}).scalar_one())
        _notify(session, account_id, new_modseq)
    session.info.setdefault(_MODSEQ_KEY, {})[account_id] = new_modseq
    return new_modseq


class ModseqAllocator:
    """Hands out an account's modseqs from memory for a batch of changes in one transaction.

    The account row is locked first (so commit order == modseq order still holds) and
    `finish()` stores the counter with one UPDATE and notifies once. Modseqs handed to a
    savepoint that is rolled back are simply skipped. Nothing else may bump this account's
    modseq in the same transaction until `finish()`.
    """

    def __init__(self, session: Session, account_id: str) -> None:
        self.session = session
        self.account_id = account_id
        if account_id not in session.info.get(_COUNTERS_KEY, ()):
            lock_account(session, account_id)
        self.start = self.value = current_modseq(session, account_id)

    def next(self) -> int:
        self.value += 1
        return self.value

    def finish(self) -> int:
        if self.value != self.start:
            connection = self.session.connection()
            params: dict[str, Any] = {"account_id": self.account_id, "modseq": self.value}
            if _is_postgresql(self.session):
                params["payload"] = f"{self.account_id}:{self.value}"
                connection.execute(_SET_PG, params).all()
            else:
                connection.execute(_SET, params)
                _notify(self.session, self.account_id, self.value)
            self.session.info.setdefault(_MODSEQ_KEY, {})[self.account_id] = self.value
            self.start = self.value
        return self.value


def current_modseq(session: Session, account_id: str) -> int:
    known: dict[str, int] | None = session.info.get(_MODSEQ_KEY)
    if known is not None and account_id in known:
        return known[account_id]  # this transaction holds the row's lock: nobody changed it
    return int(session.execute(_READ_MODSEQ, {"account_id": account_id}).scalar_one())


def _notify(session: Session, account_id: str, modseq: int) -> None:
    notify_in_transaction(session, account_id, modseq)
