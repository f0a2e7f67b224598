"""One sync cycle: push the queued mutations in batches, then pull the change feed.

Qt-free and synchronous for its caller (only the next change-feed page is fetched ahead, on a
helper thread); the Qt worker runs it on a thread and the headless command runs it directly.
Every network failure surfaces as a SyncError subtype; retrying is the caller's job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mailapp import wire
from mailapp.store import (
    ChangeSet,
    MailStore,
    identities,
    imports,
    replica,
    replica_blobs,
    replica_bodies,
)
from mailapp.store.replica_outbox import apply_push, settle_views, take_batch
from mailapp.store.rows import OutboxRow, OutboxState
from mailapp.sync.bodies import fetch_bodies
from mailapp.sync.client import ApiClient
from mailapp.sync.errors import OfflineError, PermanentError, ResyncRequired, SyncError
from mailapp.sync.quiet import summary

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# Upper bound on round trips per cycle, so a server that always says "hasMore" cannot spin us.
MAX_ROUND_TRIPS = 10_000
# Bodies per cycle: at bulk speed a few seconds at most, so local changes are not held up.
PREFETCH_PER_CYCLE = 2000
# How often a long-running engine asks the server again for the account's From addresses.
IDENTITY_REFRESH_S = 600.0


@dataclass
class CycleReport:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    failed: int = 0
    state: str | None = None
    resynced: bool = False
    bodies_fetched: int = 0
    # Collected in place: a first sync notes 100,000 message ids, and building a new union per
    # page would copy them all every time (quadratic, holding the GIL).
    _messages: set[str] = field(default_factory=set, repr=False)
    _mailboxes: set[str] = field(default_factory=set, repr=False)
    _drafts: set[str] = field(default_factory=set, repr=False)
    _outbox: bool = field(default=False, repr=False)
    _arrived: set[str] = field(default_factory=set, repr=False)

    def note(self, changes: ChangeSet) -> None:
        self._messages.update(changes.messages)
        self._mailboxes.update(changes.mailboxes)
        self._drafts.update(changes.drafts)
        self._outbox = self._outbox or changes.outbox
        self._arrived.update(changes.arrived)

    @property
    def changed(self) -> ChangeSet:
        """Everything the cycle changed in the store."""
        return ChangeSet(
            messages=frozenset(self._messages),
            mailboxes=frozenset(self._mailboxes),
            outbox=self._outbox,
            drafts=frozenset(self._drafts),
            arrived=frozenset(self._arrived),
        )

    def summary(self) -> str:
        return summary(self.pushed, self.pulled, self.conflicts, self.failed)


def _record_count(changes: wire.Changes) -> int:
    return sum(
        len(kind.created) + len(kind.updated) + len(kind.destroyed)
        for kind in (changes.mailboxes, changes.emails, changes.drafts, changes.submissions)
    )


class SyncEngine:
    def __init__(
        self,
        store: MailStore,
        client: ApiClient,
        account_id: str,
        *,
        batch_size: int = 1000,
        page_size: int = 500,
    ) -> None:
        self.store = store
        self.client = client
        self.account_id = account_id
        self.batch_size = batch_size
        self.page_size = page_size
        self._identities_at: float | None = None

    # -- public -----------------------------------------------------------------------------

    def run_cycle(self, progress: Progress | None = None, *, prefetch: bool = True) -> CycleReport:
        """Push everything queued, pull everything new, then fetch attachments of drafts and
        (with ``prefetch``) up to PREFETCH_PER_CYCLE missing bodies of recent mail.

        Raises SyncError subtypes; what was applied before the error stays applied.
        """
        report = CycleReport()
        try:
            self._push(report)
            self._pull(report, progress)
        except ResyncRequired:
            log.info("the server cannot compute changes since our state; resyncing")
            self._resync(report, progress)
            self._push(report)
            self._pull(report, progress)
        report.state = self._state()
        self._refresh_identities()
        try:
            self.fetch_draft_blobs()
            if prefetch:
                report.bodies_fetched = self.prefetch_bodies()
        except SyncError as exc:
            # Best effort: the sync itself succeeded; what is missing is fetched next cycle
            # or when the user opens the message.
            log.info("prefetch stopped: %s", exc.user_message)
        return report

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

    # -- push -------------------------------------------------------------------------------

    def _state(self) -> str | None:
        return self.store.sync_state(self.account_id)[0]

    def _with_server_blobs(self, batch: list[OutboxRow], report: CycleReport) -> list[OutboxRow]:
        """Upload local attachment blobs a draft change refers to; use the server's ids."""
        result: list[OutboxRow] = []
        for row in batch:
            if row.type == imports.IMPORT:
                uploaded = self._import_blob(row)
                if uploaded is None:
                    report.failed += 1
                    report.note(ChangeSet(outbox=True))
                else:
                    result.append(uploaded)
                continue
            attachments = (
                row.args.get("fields", {}).get("attachments")
                if row.type == "draft.upsert"
                else None
            )
            if not attachments:
                result.append(row)
                continue
            lists = [attachments.get("old") or [], attachments.get("new") or []]
            local_ids = {a["blobId"] for items in lists for a in items}
            mapping = replica_blobs.server_ids(self.store, self.account_id, local_ids)
            for items in lists:
                for item in items:
                    local_id = item["blobId"]
                    data = None if local_id in mapping else self.store.blob(local_id)
                    if data is None:
                        continue  # already the server's id (or mapped)
                    info = self.client.upload_blob(
                        data, item.get("contentType") or "application/octet-stream"
                    )
                    replica_blobs.remember(self.store, self.account_id, local_id, info.blob_id)
                    mapping[local_id] = info.blob_id
            fields = dict(row.args["fields"])
            fields["attachments"] = {
                key: None
                if value is None
                else [{**a, "blobId": mapping.get(a["blobId"], a["blobId"])} for a in value]
                for key, value in attachments.items()
            }
            args = {**row.args, "fields": fields}
            if args != row.args:
                replica_blobs.rewrite_mutation(self.store, row.mutation_id, row.type, args)
                row = dataclasses.replace(row, args=args)
            result.append(row)
        return result

    def _import_blob(self, row: OutboxRow) -> OutboxRow | None:
        """Upload an imported message's bytes (once) and name the server's blob; None when
        the server refused them (the import then fails with its reason in the Outbox)."""
        local_id = str(row.args.get("blobId"))
        mapping = replica_blobs.server_ids(self.store, self.account_id, [local_id])
        if local_id not in mapping:
            data = self.store.blob(local_id)
            if data is None:
                return row  # already the server's id (rewritten before a lost answer)
            try:
                info = self.client.upload_blob(data, "message/rfc822")
            except PermanentError as exc:
                reason = exc.user_message
                if exc.status == 413 and "overQuota" not in exc.problem_type:
                    reason = (
                        f"The message is too large for the server "
                        f"({len(data) / 2**20:.1f} MB). {exc.user_message}"
                    )
                imports.fail_upload(self.store, row, reason)
                return None
            replica_blobs.remember(self.store, self.account_id, local_id, info.blob_id)
            mapping[local_id] = info.blob_id
        args = {**row.args, "blobId": mapping[local_id]}
        if args != row.args:
            replica_blobs.rewrite_mutation(self.store, row.mutation_id, row.type, args)
            row = dataclasses.replace(row, args=args)
        return row

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

    def _send(self, batch: list[OutboxRow]) -> wire.SyncResponse:
        request = wire.SyncRequest(
            client_id=self.store.client_id,
            since_state=self._state(),
            # Built without validation: they come from our own queue, the server validates them
            # anyway (a batch it refuses is split until only the bad mutation fails), and
            # validating a thousand here holds the GIL long enough to stall the UI thread.
            mutations=[
                wire.Mutation.model_construct(
                    mutation_id=row.mutation_id, type=row.type, args=row.args
                )
                for row in batch
            ],
        )
        return self.client.sync(request)

    def _push(self, report: CycleReport, *, pull_pages: bool = True) -> None:
        for _ in range(MAX_ROUND_TRIPS):
            batch = take_batch(self.store, self.account_id, self.batch_size)
            if not batch:
                return
            batch = self._with_server_blobs(batch, report)
            try:
                answer = self._send(batch)
            except ResyncRequired:
                raise
            except PermanentError as exc:
                if exc.status == 413 and len(batch) > 1:
                    self.batch_size = max(1, len(batch) // 2)
                    continue
                self._isolate(batch, exc, report)
                continue
            self._take_answer(batch, answer, report, pull_pages=pull_pages)
            # An answered import lets the mutations held back behind it go (store/imports.py).
            more = any(row.type == imports.IMPORT for row in batch)
            if len(batch) < self.batch_size and not answer.changes.has_more and not more:
                return
        raise PermanentError("Too many round trips in one sync; try again later.")

    def _take_answer(
        self,
        batch: list[OutboxRow],
        answer: wire.SyncResponse,
        report: CycleReport,
        *,
        pull_pages: bool = True,
    ) -> None:
        outcome = apply_push(self.store, self.account_id, batch, answer)
        report.pushed += outcome.pushed
        report.conflicts += outcome.conflicts
        report.failed += outcome.failed
        report.pulled += _record_count(answer.changes)
        report.note(outcome.changed)
        if answer.changes.has_more and pull_pages:
            self._pull(report, None)
        if outcome.unsettled:
            # After the last page; or now when closing (flush_only), as no page will follow
            # before the next start and a view settled on an older base is only briefly old.
            report.note(settle_views(self.store, self.account_id, outcome.unsettled))

    def _isolate(self, batch: list[OutboxRow], error: PermanentError, report: CycleReport) -> None:
        """The server refused a whole batch: find the mutation it cannot read and fail only it."""
        if len(batch) == 1:
            self.store.set_mutation_state(
                [batch[0].mutation_id], OutboxState.FAILED, error=error.user_message
            )
            report.failed += 1
            return
        for row in batch:
            try:
                answer = self._send([row])
            except ResyncRequired:
                raise
            except PermanentError as exc:
                self._isolate([row], exc, report)
                continue
            self._take_answer([row], answer, report)

    # -- pull -------------------------------------------------------------------------------

    def _feed(self, since: str | None) -> Generator[wire.Changes, None, None]:
        """The change feed from ``since``, page by page, one page fetched ahead.

        The first page is fetched here: most cycles have one page, and a helper thread per
        cycle only adds latency. When there are more, the next page is requested (and computed
        by the server, and parsed) on a helper thread while the caller applies this one: its
        `newState` is all the request needs. An error fetching it surfaces after this page is
        applied, so what arrived stays applied.
        """
        changes = self.client.changes(since, self.page_size)
        if not changes.has_more:
            yield changes
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailapp-feed") as pool:
            ahead = pool.submit(self.client.changes, changes.new_state, self.page_size)
            try:
                for _ in range(MAX_ROUND_TRIPS):
                    yield changes
                    if not changes.has_more:
                        return
                    changes = ahead.result()
                    if changes.has_more:
                        ahead = pool.submit(self.client.changes, changes.new_state, self.page_size)
            finally:
                # Stopped early (an error applying a page): the page in flight is dropped; the
                # pool waits for its request, which the client's timeouts bound.
                ahead.cancel()
        raise PermanentError("The server kept sending changes; try again later.")

    def _pull(self, report: CycleReport, progress: Progress | None) -> None:
        target: int | None = None
        since = self._state()
        if progress is not None and since is None:
            # Only the first sync is long enough to be worth a progress bar.
            target = int(self.client.session_info().state)
        # An account's first sync brings its whole mailbox: none of it is announced as new.
        announce = since is not None
        with contextlib.closing(self._feed(since)) as pages:
            for changes in pages:
                changed = replica.apply_changes(
                    self.store, self.account_id, changes, announce=announce
                )
                report.note(changed)
                report.pulled += _record_count(changes)
                if progress is not None and target:
                    progress(min(int(changes.new_state), target), target)

    def _resync(self, report: CycleReport, progress: Progress | None) -> None:
        """Rebuild the copy from state 0; queued local mutations stay and are pushed after."""
        replica.reset_state(self.store, self.account_id)
        report.resynced = True
        seen: dict[str, set[str]] = {"emails": set(), "mailboxes": set(), "drafts": set()}
        target = int(self.client.session_info().state) if progress is not None else 0
        with contextlib.closing(self._feed(self._state())) as pages:
            for changes in pages:
                for name in seen:
                    kind = getattr(changes, name)
                    seen[name].update(record.id for record in [*kind.created, *kind.updated])
                    seen[name].difference_update(kind.destroyed)
                # A rebuild re-reads every message: nothing of it is announced as new.
                changed = replica.apply_changes(
                    self.store, self.account_id, changes, announce=False
                )
                report.note(changed)
                report.pulled += _record_count(changes)
                if progress is not None and target:
                    progress(min(int(changes.new_state), target), target)
        dropped = replica.drop_unseen(
            self.store,
            self.account_id,
            emails=seen["emails"],
            mailboxes_seen=seen["mailboxes"],
            drafts_seen=seen["drafts"],
        )
        report.note(dropped)


__all__ = ["CycleReport", "OfflineError", "SyncEngine"]
