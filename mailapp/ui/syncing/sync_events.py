"""The server's event stream (`GET /v1/events`): listened to while the server is up, so
another device's change starts a sync at once instead of at the next periodic one.

A mixin of `SyncWorker` (mailapp.ui.syncing.sync_thread), whose scheduler, client and signals it
uses. The listener reads on a thread of its own and reports through the worker's private
signals (`_serverState`, `_streamUp`), which bring the reports to the sync thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot

from mailapp.sync.connectivity import Reachability
from mailapp.sync.scheduler import FailureKind

if TYPE_CHECKING:
    from mailapp.sync.client import ApiClient
    from mailapp.sync.scheduler import SyncScheduler
    from mailapp.sync.server_events import ServerEventListener


class ServerEvents:
    if TYPE_CHECKING:  # provided by SyncWorker
        work_offline: bool
        _scheduler: SyncScheduler | None
        _client: ApiClient | None
        _listener: ServerEventListener | None
        _use_server_events: bool
        _known_state: str | None
        _serverState: Any
        _streamUp: Any

        def _reschedule(self, delay_ms: int | None = None) -> None: ...
        def network_hint(self) -> None: ...

    def _after_connectivity(self) -> None:
        """Listen to server events while the server is up; stop while it is not."""
        scheduler = self._scheduler
        if scheduler is None or self._client is None:
            return
        up = scheduler.connectivity.state is Reachability.UP
        wanted = up and not self.work_offline and scheduler.failure is not FailureKind.AUTH
        if wanted and self._listener is None and self._use_server_events:
            from mailapp.sync.server_events import ServerEventListener  # requests: see SyncWorker

            self._listener = ServerEventListener(
                self._client.base_url,
                self._client.token,
                self._serverState.emit,
                on_connected=self._streamUp.emit,
            )
            self._listener.start()
        elif not wanted and self._listener is not None:
            self._stop_listener()

    def _stop_listener(self) -> None:
        if self._listener is not None:
            self._listener.stop(timeout=1.0)
            self._listener = None

    @Slot(str)
    def _on_server_state(self, state: str) -> None:
        if self._scheduler is None or self.work_offline or state == self._known_state:
            return
        self._scheduler.server_event()
        self._reschedule(0)

    @Slot(bool)
    def _on_stream_up(self, _up: bool) -> None:
        # Either way the network may have changed: a probe (not the stream itself) tells.
        self.network_hint()
