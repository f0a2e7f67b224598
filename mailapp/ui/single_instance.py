"""One running app per profile: a second `mailapp` hands its request (a mailto: link, or just
"show yourself") to the running one over a local socket (QLocalServer/QLocalSocket), then exits.

The socket is named after the profile, so two profiles still run side by side. On Unix it is a
file: in $XDG_RUNTIME_DIR (private to the user) where there is one, else in the temporary
folder with the user's id in its name; only the user may connect (UserAccessOption). A start
with no app running looks for that file first and so pays nothing for QtNetwork (~12 ms).

The request is one line of JSON, `{"mailto": "mailto:…"}` or `{"activate": true}`, answered
with `ok`; a running app that does not answer within a few seconds is taken for gone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDir, QObject, Signal, Slot

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 1000
ANSWER_TIMEOUT_MS = 3000
MAX_REQUEST_BYTES = 128 * 1024  # a mailto: link is at most 64 KiB (mailapp.core.mailto)
ACK = b"ok\n"


def instance_name(profile: Path) -> str:
    """The socket's name for this profile (a path on Unix, a pipe name on Windows)."""
    digest = hashlib.sha256(str(profile.resolve()).encode()).hexdigest()[:16]
    if sys.platform == "win32":
        return f"org.mailapp.MailApp-{os.environ.get('USERNAME', 'user')}-{digest}"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return str(Path(runtime) / f"org.mailapp.MailApp-{digest}.sock")
    return str(Path(QDir.tempPath()) / f"org.mailapp.MailApp-{os.getuid()}-{digest}.sock")


def _maybe_running(name: str) -> bool:
    return sys.platform == "win32" or Path(name).exists()


def send_to_running(name: str, request: dict[str, Any]) -> bool:
    """Hands `request` to the app running under `name`; False when none answered."""
    if not _maybe_running(name):
        return False
    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False  # a socket file left by an app that was killed
    socket.write(json.dumps(request).encode() + b"\n")
    socket.flush()
    answer = b""
    while ACK not in answer and socket.waitForReadyRead(ANSWER_TIMEOUT_MS):
        answer += bytes(socket.readAll().data())
    # The answer and the hang-up may come together: what arrived is read before the wait says
    # the socket closed.
    answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return ACK in answer


class InstanceServer(QObject):
    """Listens for the requests of later starts; `requested(dict)` carries each one."""

    requested = Signal(dict)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        from PySide6.QtNetwork import QLocalServer

        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # Left by an app that did not end cleanly (nobody answered on it before this start).
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("cannot listen on %s: %s", self.name, server.errorString())
                return False
        server.newConnection.connect(self._accept)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    @Slot()
    def _accept(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if len(data) > MAX_REQUEST_BYTES:
            socket.abort()
            return
        self._buffers[socket] = data
        if b"\n" not in data:
            return
        line = data.split(b"\n", 1)[0]
        try:
            request = json.loads(line)
        except ValueError:
            request = None
        if isinstance(request, dict):
            self.requested.emit(request)
            socket.write(ACK)
            socket.flush()
        socket.disconnectFromServer()

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()
