"""One sync cycle: push the queued mutations in batches, then pull the change feed.

The push (mailapp.sync.push) and the pull (mailapp.sync.pull) are mixed in; this module runs
the cycle and downloads what the user opens or the prefetch window wants.

Qt-free and synchronous for its caller (only the next change-feed page is fetched ahead, on a
helper thread); the Qt worker runs it on a thread and the headless command runs it directly.
Every network failure surfaces as a SyncError subtype; retrying is the caller's job.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta

from mailapp.store import MailStore, identities, replica, replica_blobs, replica_bodies
from mailapp.sync.bodies import fetch_bodies
from mailapp.sync.client import ApiClient
from mailapp.sync.cycle import CycleReport, Progress
from mailapp.sync.errors import OfflineError, PermanentError, ResyncRequired, SyncError
from mailapp.sync.pull import PullMixin
from mailapp.sync.push import PushMixin

log = logging.getLogger(__name__)

# Bodies per cycle: at bulk speed a few seconds at most, so local changes are not held up.
PREFETCH_PER_CYCLE = 2000
# How often a long-running engine asks the server again for the account's From addresses.
IDENTITY_REFRESH_S = 600.0


class SyncEngine(PushMixin, PullMixin):
    def __init__(
        self,
        store: MailStore,
        client: ApiClient,
        account_id: str,
        *,
        batch_size: int = 1000,
        page_size: int = 500,
        feed_in_child: bool = False,
    ) -> None:
        self.store = store
        self.client = client
        self.account_id = account_id
        self.batch_size = batch_size
        self.page_size = page_size
        # Beside a window: a big first sync applies in a process of its own (feed_process.py).
        self.feed_in_child = feed_in_child
        self._identities_at: float | None = None
        # Whether a push answer brought the change feed up to date this cycle (mailapp.sync.push).
        self._fed = False
        self._sent_since: str | None = None
        self._applied_state: str | None = None  # what this cycle's last apply stored
        self._draft_blobs_checked = False  # every draft attachment was here (or not on the server)

    # -- public -----------------------------------------------------------------------------

    def run_cycle(self, progress: Progress | None = None, *, prefetch: bool = True) -> CycleReport:
        """Push everything queued, pull everything new, then fetch attachments of drafts and
        (with ``prefetch``) up to PREFETCH_PER_CYCLE missing bodies of recent mail.

        Raises SyncError subtypes; what was applied before the error stays applied.
        """
        report = CycleReport()
        self._applied_state = None
        try:
            self._push_then_pull(report, progress)
        except ResyncRequired:
            log.info("the server cannot compute changes since our state; resyncing")
            self._resync(report, progress)
            self._push_then_pull(report, progress)
        # The state the last page or push answer stored (each stores its newState): read
        # again only if neither ran.
        report.state = self._applied_state if self._applied_state is not None else self._state()
        self._refresh_identities()
        try:
            # A draft's attachments can only be missing after a draft came from the server
            # (a pull, a push answer or a rebuild), or when fetching them failed: not read
            # again every cycle (it parses every draft's fields).
            if report.pulled or report.resynced or not self._draft_blobs_checked:
                self._draft_blobs_checked = False
                self.fetch_draft_blobs()
                self._draft_blobs_checked = True
            if prefetch:
                report.bodies_fetched = self.prefetch_bodies()
        except SyncError as exc:
            # Best effort: the sync itself succeeded; what is missing is fetched next cycle
            # or when the user opens the message.
            log.info("prefetch stopped: %s", exc.user_message)
        return report

    def _push_then_pull(self, report: CycleReport, progress: Progress | None) -> None:
        """Push, then pull what the push's answers did not bring.

        Each push answer carries the change feed from the state it was sent with (the
        server's state after the push, other devices' changes included), and the push pulls
        any further pages itself: after a push the feed has caught up, and asking again at
        once costs a round trip and a write that find nothing (a third of a 100-flag push's
        client CPU).
        """
        self._fed = False
        # Pushed first even during a first sync (none yet, or one cut off midway): what the
        # user queued, a message sent above all, must not wait minutes behind a big mailbox's
        # listing, nor for ever behind one that keeps failing. The push's answer then applies
        # one page of the listing, announcing none of it, and leaves the rest to the pull (in
        # the feed child when big, with progress: push.py, pull.py).
        self._push(report)
        if not self._fed:
            self._pull(report, progress)

    def _refresh_identities(self) -> None:
        """The account's From addresses can change upstream (an IMAP account linked after this
        profile signed in): the store keeps what the server says, for the composer. Asked on
        an engine's first cycle and then every IDENTITY_REFRESH_S, not every cycle: it is one
        more round trip (80-160 ms measured) on a sync that otherwise changes nothing."""
        now = time.monotonic()
        if self._identities_at is not None and now - self._identities_at < IDENTITY_REFRESH_S:
            return
        session = self.client.session_info()
        identities.record_session(self.store, self.account_id, session.email, session.addresses)
        self._identities_at = now

    def flush_only(self) -> CycleReport:
        """Push without pulling further pages (on shutdown)."""
        report = CycleReport()
        # On 410 the queue stays intact; the next full cycle resyncs first.
        with contextlib.suppress(ResyncRequired):
            self._push(report, pull_pages=False)
        report.state = self._state()
        return report

    def fetch_body(self, message_id: str) -> bool:
        """Download one message's body for reading; False when the server no longer has it.

        Raises OfflineError (show "not available offline") and other SyncErrors.
        """
        try:
            body = self.client.message_body(message_id)
        except PermanentError as exc:
            if exc.status == 404:
                replica_bodies.defer_bodies(self.store, [message_id])  # prefetch: not soon
                return False
            raise
        return replica_bodies.store_body(self.store, message_id, body)

    def fetch_attachment(self, attachment_id: str) -> bytes | None:
        """Download (and keep) one attachment of a synced message; None when unknown here."""
        cached = self.store.attachment_data(attachment_id)
        if cached is not None:
            return cached
        part = replica_bodies.attachment_part(self.store, attachment_id)
        if part is None:
            return None
        data = self.client.attachment(*part)
        replica_bodies.store_attachment(self.store, attachment_id, data)
        return data

    def prefetch_bodies(self, limit: int = PREFETCH_PER_CYCLE) -> int:
        """Fetch missing bodies of mail inside the prefetch window (all mail with ALL_MAIL),
        newest first, in bulk requests."""
        account = replica.sync_account(self.store, self.account_id)
        if account.prefetch_days == 0:
            return 0
        newer_than = (
            None
            if account.prefetch_days <= replica_bodies.ALL_MAIL
            else datetime.now(UTC) - timedelta(days=account.prefetch_days)
        )
        wanted = replica_bodies.missing_bodies(self.store, self.account_id, newer_than, limit)
        return self.fetch_bodies(wanted)

    def fetch_bodies(self, message_ids: list[str]) -> int:
        """Download and keep many bodies, in bulk requests (see mailapp.sync.bodies)."""
        return fetch_bodies(self.store, self.client, message_ids)

    def fetch_draft_blobs(self) -> int:
        """Download attachments of drafts that came from the server (for the composer)."""
        fetched = 0
        for blob_id in replica_blobs.missing_draft_blobs(self.store, self.account_id):
            try:
                data = self.client.blob(blob_id)
            except PermanentError as exc:
                if exc.status == 404:
                    continue
                raise
            replica_blobs.keep_server_blob(self.store, self.account_id, blob_id, data)
            fetched += 1
        return fetched


__all__ = ["CycleReport", "OfflineError", "SyncEngine"]
