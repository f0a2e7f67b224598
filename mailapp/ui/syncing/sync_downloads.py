"""What the user opens before it is stored: bodies and attachments, fetched by the sync thread.

`Downloads` lives on the sync thread beside its `SyncWorker` and answers through the worker's
signals: a body arrives as a store change (bodyOffline / bodyRetrying / bodyFailed otherwise), an
attachment as attachmentReady (attachmentOffline / attachmentRetrying / attachmentFailed
otherwise). What is asked for while offline is kept, in order, and fetched after the next good
cycle.

A request that fails for the network while the app is online (it timed out on a slow or hung
server, the connection broke) is kept likewise, and a cycle is asked for within seconds, backing
off while it keeps failing: waiting for the next periodic cycle (minutes) or for a reconnect that
never comes (the server stays reachable) would leave the message unreadable for no reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import SignalInstance

from mailapp.sync.backoff import Backoff, RetryCounter
from mailapp.sync.errors import PermanentError
from mailapp.sync.scheduler import FailureKind, classify
from mailapp.ui.syncing.sync_factories import Engine

if TYPE_CHECKING:
    from mailapp.sync.abortable import AbortableSession


class DownloadingWorker(Protocol):
    """What `Downloads` uses of its `SyncWorker` (sync_thread.py, which imports this module)."""

    engine: Engine | None
    work_offline: bool
    session: AbortableSession
    attachmentReady: SignalInstance
    attachmentOffline: SignalInstance
    attachmentRetrying: SignalInstance
    attachmentFailed: SignalInstance
    bodyOffline: SignalInstance
    bodyRetrying: SignalInstance
    bodyFailed: SignalInstance

    def network_hint(self) -> None: ...
    def seems_online(self) -> bool: ...
    def retry_downloads_in(self, seconds: float) -> None: ...


class Downloads:
    def __init__(self, worker: DownloadingWorker) -> None:
        self._worker = worker
        self._wanted_attachments: list[str] = []  # asked for while offline, in order
        self._wanted_bodies: list[str] = []  # message ids, likewise
        # Network failures of downloads in a row: the retry cycle backs off (2 s, 4 s, ... 1 min).
        self._failures = RetryCounter(Backoff(base=2.0, cap=60.0))

    def _network_failed(self) -> None:
        """A download failed for the network; the wish is kept: probe, and cycle soon."""
        self._worker.network_hint()
        self._worker.retry_downloads_in(self._failures.failed())

    def _can_fetch(self) -> bool:
        return self._worker.engine is not None and not self._worker.work_offline

    # -- bodies --------------------------------------------------------------------------------

    def fetch_body(self, message_id: str) -> None:
        """Offline (or working offline) the wish is kept and bodyOffline answers: it is fetched
        after the next good cycle. bodyFailed answers what retrying would not fix."""
        if not self._can_fetch():
            self._want_body_later(message_id)
            return
        self._fetch_body(message_id)

    def _want_body_later(self, message_id: str) -> None:
        if message_id not in self._wanted_bodies:
            self._wanted_bodies.append(message_id)
        self._worker.bodyOffline.emit(message_id)

    def _fetch_body(self, message_id: str) -> bool:
        """False when offline (the wish is kept); True when answered either way."""
        worker = self._worker
        assert worker.engine is not None
        try:
            found = worker.engine.fetch_body(message_id)
        except Exception as exc:
            failure = classify(exc)
            if failure.kind is FailureKind.OFFLINE and not worker.session.aborted:
                if worker.seems_online():  # say so: "when you're back online" would be untrue
                    if message_id not in self._wanted_bodies:
                        self._wanted_bodies.append(message_id)
                    worker.bodyRetrying.emit(message_id, failure.message)
                else:
                    self._want_body_later(message_id)
                self._network_failed()
                return False
            if worker.session.aborted:  # work offline or shutdown cut it: keep the wish
                self._want_body_later(message_id)
                return False
            worker.bodyFailed.emit(message_id, failure.message)
            return True
        self._failures.reset()
        if not found:
            worker.bodyFailed.emit(message_id, "The server no longer has this message.")
        return True

    # -- attachments ---------------------------------------------------------------------------

    def fetch_attachment(self, attachment_id: str) -> None:
        if not self._can_fetch():
            self._want_attachment_later(attachment_id)
            return
        self._fetch_attachment(attachment_id)

    def _want_attachment_later(self, attachment_id: str) -> None:
        if attachment_id not in self._wanted_attachments:
            self._wanted_attachments.append(attachment_id)
        self._worker.attachmentOffline.emit(attachment_id)

    def _fetch_attachment(self, attachment_id: str) -> bool:
        """False when offline (the wish is kept); True when answered either way."""
        worker = self._worker
        assert worker.engine is not None
        try:
            data = worker.engine.fetch_attachment(attachment_id)
        except Exception as exc:
            failure = classify(exc)
            if failure.kind is FailureKind.OFFLINE and not worker.session.aborted:
                if worker.seems_online():  # say so: "when you're back online" would be untrue
                    if attachment_id not in self._wanted_attachments:
                        self._wanted_attachments.append(attachment_id)
                    worker.attachmentRetrying.emit(attachment_id, failure.message)
                else:
                    self._want_attachment_later(attachment_id)
                self._network_failed()
                return False
            if worker.session.aborted:  # work offline or shutdown cut it: keep the wish
                self._want_attachment_later(attachment_id)
                return False
            if isinstance(exc, PermanentError) and exc.status == 404:
                message = "The server no longer has this attachment."
            else:
                message = failure.message
            worker.attachmentFailed.emit(attachment_id, message)
            return True
        self._failures.reset()
        if data is None:
            worker.attachmentFailed.emit(
                attachment_id, "This attachment was never synced, so it cannot be downloaded."
            )
        else:
            worker.attachmentReady.emit(attachment_id)
        return True

    # -- after a good cycle --------------------------------------------------------------------

    def fetch_wanted(self) -> None:
        """The bodies, then the attachments, asked for while offline; stops when offline again
        (the rest stays wanted, in order)."""
        bodies, self._wanted_bodies = self._wanted_bodies, []
        for index, message_id in enumerate(bodies):
            if self._worker.engine is None or not self._fetch_body(message_id):
                self._wanted_bodies.extend(
                    m for m in bodies[index + 1 :] if m not in self._wanted_bodies
                )
                return
        attachments, self._wanted_attachments = self._wanted_attachments, []
        for index, attachment_id in enumerate(attachments):
            if self._worker.engine is None or not self._fetch_attachment(attachment_id):
                self._wanted_attachments.extend(
                    a for a in attachments[index + 1 :] if a not in self._wanted_attachments
                )
                return
