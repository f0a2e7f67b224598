"""The push half of a sync cycle: queued mutations go to the server in batches.

Attachment blobs a draft refers to and imported messages' bytes are uploaded first, so that
mutations name the server's blob ids; a batch the server refuses is split until only the
mutation it cannot read fails. Mixed into SyncEngine (mailapp.sync.engine).
"""

from __future__ import annotations

import dataclasses

from mailapp import wire
from mailapp.store import imports, replica_blobs
from mailapp.store.replica_outbox import apply_push, settle_views
from mailapp.store.replica_take import take_batch
from mailapp.store.rows import OutboxRow, OutboxState
from mailapp.sync.cycle import MAX_ROUND_TRIPS, CycleReport, EngineParts, record_count
from mailapp.sync.errors import PermanentError, ResyncRequired


class PushMixin(EngineParts):
    def _with_server_blobs(self, batch: list[OutboxRow], report: CycleReport) -> list[OutboxRow]:
        """Upload local attachment blobs a draft change refers to; use the server's ids."""
        result: list[OutboxRow] = []
        for row in batch:
            if row.type == imports.IMPORT:
                uploaded = self._import_blob(row)
                if uploaded is None:
                    report.failed += 1
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

    def _send(self, batch: list[OutboxRow]) -> wire.SyncResponse:
        # Built without validation, the request too: it is made of our own store's values, the
        # server validates it anyway (a batch it refuses is split until only the bad mutation
        # fails), and validating a thousand mutations (each args walked for NULs) holds the GIL
        # long enough to stall the UI thread; it was a fifth of a 100-flag push's client CPU.
        self._sent_since = self._state()
        request = wire.SyncRequest.model_construct(
            client_id=self.store.client_id,
            since_state=self._sent_since,
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
        # The answer's page is the feed from the state sent. A first sync, from no state or
        # cut off midway (its state carries the listing's floor, docs/protocol.md), is left to
        # the pull: it shows progress, runs a big one in a child and announces nothing; nor
        # is the old mail on this page announced as new.
        sent = self._sent_since
        listing = wire.in_first_sync(sent)
        outcome = apply_push(self.store, self.account_id, batch, answer, announce=not listing)
        self._applied_state = answer.new_state
        self._fed = self._fed or not listing
        report.pushed += outcome.pushed
        report.conflicts += outcome.conflicts
        report.failed += outcome.failed
        report.pulled += record_count(answer.changes)
        if answer.changes.has_more and pull_pages and not listing:
            self._pull(report, None)
        if outcome.unsettled:
            # After the last page; or now when closing (flush_only), as no page will follow
            # before the next start and a view settled on an older base is only briefly old.
            settle_views(self.store, self.account_id, outcome.unsettled)

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
