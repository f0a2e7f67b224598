"""MailStore: the repository the UI and the sync engine call; one SQLite file per profile.

Put together by responsibility: store_base.py (engine, transactions, notifications),
store_reads.py (accounts, mailboxes, pages, a message, search, bulk import), store_actions.py
(keywords, move, delete with their outbox mutations), store_drafts.py (drafts, sending, the
outbox, sync bookkeeping, conflicts).
"""

from __future__ import annotations

from pathlib import Path

from mailapp.store.diagnose import set_aside_if_empty
from mailapp.store.engine import make_engine, probe
from mailapp.store.errors import StoreDiskFullError, StoreTooNewError
from mailapp.store.files import discard_new, make_private, make_private_dir
from mailapp.store.migrate import Progress, is_known_revision, upgrade
from mailapp.store.store_actions import StoreActions
from mailapp.store.store_base import AnyRow, Subscriber
from mailapp.store.store_drafts import StoreDrafts
from mailapp.store.store_reads import (
    _SUMMARY_COLUMNS,
    STANDARD_MAILBOXES,
    StoreReads,
    _summary,
    mailbox_counts_in,
)

__all__ = [
    "STANDARD_MAILBOXES",
    "_SUMMARY_COLUMNS",
    "AnyRow",
    "MailStore",
    "Subscriber",
    "_summary",
    "mailbox_counts_in",
    "open_store",
]


def open_store(path: Path, progress: Progress | None = None) -> MailStore:
    """Create or open the store at ``path``, migrating it (after a backup) if it is older,
    reporting to ``progress`` as the upgrade goes (see migrate.Progress).

    Raises a StoreError subtype (disk full, I/O, read-only, locked, not a database, damaged,
    too new) with a message for the user; never resets or overwrites an existing database. A
    zero-length file is set aside and a new store created: `MailStore.notices` says so.
    """
    path = Path(path)
    make_private_dir(path.parent)
    notice = set_aside_if_empty(path)
    created = not path.exists()
    try:
        revision = probe(path)
    except StoreDiskFullError:
        if created:
            discard_new(path)
        raise
    make_private(path)  # before the -wal and -shm files exist, which take its mode
    if revision is not None and not is_known_revision(revision):
        raise StoreTooNewError(path, revision)
    engine = make_engine(path)
    try:
        upgrade(engine, path, progress)
        store = MailStore(path, engine)
    except BaseException as error:
        engine.dispose()
        if created and isinstance(error, StoreDiskFullError):
            # Ours and unfinished: leaving it would greet the next start with an empty or
            # half-made file. Only for a full disk: after a lock, say, another process may be
            # creating the same new file and must keep it.
            discard_new(path)
        raise
    if notice is not None:
        store.notices = (notice,)
    return store


class MailStore(StoreReads, StoreActions, StoreDrafts):
    """Safe for one thread at a time per instance; open one per thread for concurrency."""
