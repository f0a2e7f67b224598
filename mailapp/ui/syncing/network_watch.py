"""The operating system's word on the network (QNetworkInformation), for every account's sync.

Only a hint: the truth is whether the sync server answers its health check, which the sync
thread probes at once when the OS reports a change. Where no backend loads (a container, a
platform without one) nothing is reported and the sync thread polls instead; where one does,
"disconnected" lets the sync thread poll slowly, since the OS will say when the network is back.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QNetworkInformation

Reachability = QNetworkInformation.Reachability


def online_from(reachability: QNetworkInformation.Reachability) -> bool | None:
    """True: a network is up; False: none is; None: the OS does not know (or only a LAN is up,
    where a server on that LAN may still answer)."""
    if reachability in (Reachability.Online, Reachability.Site):
        return True
    if reachability is Reachability.Disconnected:
        return False
    return None


class NetworkWatch(QObject):
    """One per application (QNetworkInformation is a singleton too); `changed` carries
    `online_from()` of each report."""

    changed = Signal(object)  # bool | None

    _instance: NetworkWatch | None = None

    def __init__(self) -> None:
        super().__init__()
        self._info: QNetworkInformation | None = None
        with contextlib.suppress(Exception):  # no backend here: polling it is
            if QNetworkInformation.loadDefaultBackend():
                self._info = QNetworkInformation.instance()
        if self._info is not None:
            self._info.reachabilityChanged.connect(self._on_reachability)

    @classmethod
    def shared(cls) -> NetworkWatch:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    @property
    def has_backend(self) -> bool:
        return self._info is not None

    def online(self) -> bool | None:
        if self._info is None:
            return None
        return online_from(self._info.reachability())

    @Slot(QNetworkInformation.Reachability)
    def _on_reachability(self, reachability: QNetworkInformation.Reachability) -> None:
        self.changed.emit(online_from(reachability))
