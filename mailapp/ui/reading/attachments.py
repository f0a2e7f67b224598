"""A message's attachments: listed under the reading pane, opened or saved under safe names.

Opening hands a file to the system, which runs programs, scripts, shortcuts and launchers rather
than showing them; such files (by content and by every extension, see core.file_risk) are never
opened from here: the user is told why and may save them instead. Every file written is marked as
coming from the Internet where the system has such a mark (Windows' Mark-of-the-Web).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, QPoint, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QWidget,
)

from mailapp.core.file_risk import Risk, RiskKind, assess, mark_of_the_web
from mailapp.mime.filenames import safe_filename
from mailapp.store import MailStore
from mailapp.store.rows import AttachmentInfo
from mailapp.ui.common import icons

_MAX_SAME_NAME = 1000


class AttachmentUnavailable(Exception):
    """The attachment's bytes have not been downloaded to this computer."""


def _unique_file(folder: Path, name: str, data: bytes) -> Path:
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    root = folder.resolve()
    for number in range(1, _MAX_SAME_NAME + 1):
        candidate = root / (name if number == 1 else f"{stem} ({number}){suffix}")
        if candidate.parent != root:  # safe_filename already prevents this; stay sure
            raise ValueError(f"refusing to write outside {root}")
        try:
            # "x": never overwrite a file that is already there, even one created meanwhile.
            with open(candidate, "xb") as handle:
                handle.write(data)
        except FileExistsError:
            continue
        mark_of_the_web(candidate)
        return candidate
    raise FileExistsError(f"too many files named like {name} in {root}")


def save_attachment(store: MailStore, attachment: AttachmentInfo, folder: Path) -> Path:
    """Writes the attachment into ``folder`` under a safe, new name; returns the file written."""
    data = store.attachment_data(attachment.id)
    if data is None:
        raise AttachmentUnavailable(attachment.filename)
    return _unique_file(Path(folder), safe_filename(attachment.filename, attachment.content_type),
                        data)  # fmt: skip


def temp_copy(store: MailStore, attachment: AttachmentInfo, data: bytes | None = None) -> Path:
    """A read-only copy in a private temporary folder, for the system's handler to open."""
    if data is None:
        data = store.attachment_data(attachment.id)
    if data is None:
        raise AttachmentUnavailable(attachment.filename)
    folder = Path(tempfile.mkdtemp(prefix="mailapp-open-"))
    path = _unique_file(folder, safe_filename(attachment.filename, attachment.content_type), data)
    # Read-only, so an edit in the opened program is not mistaken for changing the mail.
    os.chmod(path, stat.S_IRUSR)
    return path


def attachment_risk(attachment: AttachmentInfo, data: bytes | None) -> Risk | None:
    """Why this attachment must not be handed to the system, by every name it goes by."""
    names = [attachment.filename, safe_filename(attachment.filename, attachment.content_type)]
    return assess(names, attachment.content_type, data)


def _size(size: int) -> str:
    return QLocale().formattedDataSize(size, 1)


class AttachmentBar(QWidget):
    """Lists attachments; double-click opens one, the menu or "Save all" saves them.

    Bytes not downloaded yet are asked of the sync thread (`downloadRequested`, see
    `attach_downloads`); the open or save completes when it announces them: the UI itself never
    touches the network.
    """

    notice = Signal(str)  # a sentence for the status bar: saved, or why not
    downloadRequested = Signal(str)  # an attachment id whose bytes are wanted

    def __init__(self, store: MailStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._attachments: list[AttachmentInfo] = []
        self._can_download = False
        # attachment id -> (the attachment, what to do once it is here: None opens, a folder saves)
        self._waiting: dict[str, tuple[AttachmentInfo, list[Path | None]]] = {}
        # Replaced in tests: a native folder dialog cannot be answered there.
        self.choose_folder: Callable[[], Path | None] = self._ask_folder
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Attachments"))
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setWrapping(True)
        self.list.setFixedHeight(max(self.fontMetrics().height(), 16) + 14)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.itemActivated.connect(self._open_item)
        self.save_all_button = QPushButton(self.tr("Save All…"))
        self.save_all_button.clicked.connect(self.save_all)
        self.status_label = QLabel()
        self.status_label.setObjectName("attachmentStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)  # names are the sender's text
        self.status_label.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        label = QLabel()
        label.setPixmap(icons.icon(icons.ATTACHMENT).pixmap(16, 16))
        label.setAccessibleName(self.tr("Attachments"))
        layout.addWidget(label)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(self.save_all_button)
        self.set_attachments([])

    def set_attachments(self, attachments: list[AttachmentInfo]) -> None:
        self._attachments = [a for a in attachments if not a.inline]
        self.list.clear()
        for attachment in self._attachments:
            text = f"{attachment.filename} ({_size(attachment.size)})"
            item = QListWidgetItem(icons.icon(icons.ATTACHMENT), text)
            item.setData(Qt.ItemDataRole.UserRole, attachment.id)
            if attachment_risk(attachment, None) is not None:  # by name; content is read on open
                item.setToolTip(self.tr("Can run as a program: it will not be opened, only saved"))
            self.list.addItem(item)
        self.setVisible(bool(self._attachments))

    @property
    def attachments(self) -> list[AttachmentInfo]:
        return list(self._attachments)

    def attach_downloads(self, downloader: object) -> None:
        """Let ``downloader`` (a SyncController) fetch missing bytes: its fetch_attachment slot
        is asked, its attachmentReady/Offline/Retrying/Failed signals answer."""
        self.downloadRequested.connect(downloader.fetch_attachment)  # type: ignore[attr-defined]
        downloader.attachmentReady.connect(self.attachment_ready)  # type: ignore[attr-defined]
        downloader.attachmentOffline.connect(self.attachment_offline)  # type: ignore[attr-defined]
        downloader.attachmentRetrying.connect(self.attachment_retrying)  # type: ignore[attr-defined]
        downloader.attachmentFailed.connect(self.attachment_failed)  # type: ignore[attr-defined]
        self._can_download = True

    def _download(self, attachment: AttachmentInfo, then: Path | None) -> None:
        """Ask for the bytes; ``then`` is None to open, else the folder to save in."""
        first = attachment.id not in self._waiting
        _info, wishes = self._waiting.setdefault(attachment.id, (attachment, []))
        if then not in wishes:
            wishes.append(then)
        self._show_status(self.tr("Downloading %1…").replace("%1", attachment.filename))
        if first:
            self.downloadRequested.emit(attachment.id)

    def _show_status(self, text: str | None) -> None:
        self.status_label.setText(text or "")
        self.status_label.setVisible(bool(text))

    @Slot(str)
    def attachment_ready(self, attachment_id: str) -> None:
        """The sync thread stored the bytes: finish what the user asked for."""
        waiting = self._waiting.pop(attachment_id, None)
        if not self._waiting:
            self._show_status(None)
        if waiting is None:
            return
        attachment, wishes = waiting
        for then in wishes:
            if then is None:
                self.open(attachment)
            else:
                self._save_into(then, [attachment])

    @Slot(str)
    def attachment_offline(self, attachment_id: str) -> None:
        """Not reachable now; the sync thread keeps the wish and downloads it on reconnecting."""
        waiting = self._waiting.get(attachment_id)
        if waiting is None:
            return
        text = self.tr(
            "%1 is not available offline — it will download when you're back online."
        ).replace("%1", waiting[0].filename)
        self._show_status(text)
        self.notice.emit(text)

    @Slot(str, str)
    def attachment_retrying(self, attachment_id: str, why: str) -> None:
        """Online, but the server did not answer in time: the sync thread tries again shortly."""
        waiting = self._waiting.get(attachment_id)
        if waiting is None:
            return
        text = (
            self.tr("%1 could not be downloaded yet (%2) — trying again shortly.")
            .replace("%1", waiting[0].filename)
            .replace("%2", why.rstrip("."))
        )
        self._show_status(text)
        self.notice.emit(text)

    @Slot(str, str)
    def attachment_failed(self, attachment_id: str, why: str) -> None:
        waiting = self._waiting.pop(attachment_id, None)
        if waiting is None:
            return
        text = (
            self.tr("Could not download %1: %2")
            .replace("%1", waiting[0].filename)
            .replace("%2", why)
        )
        self._show_status(text)
        self.notice.emit(text)

    def open(self, attachment: AttachmentInfo) -> Path | None:
        """Hands a temporary copy to the system, unless the file would run as a program."""
        data = self._store.attachment_data(attachment.id)
        risk = attachment_risk(attachment, data)
        if risk is not None:
            self.notice.emit(
                self.tr("Opening %1 was blocked: %2").replace("%1", attachment.filename)
                .replace("%2", self._risk_text(risk))
            )  # fmt: skip
            if self._ask_blocked(attachment, risk):
                self.save([attachment])
            return None
        if data is None and self._can_download:
            self._download(attachment, None)  # opened (checked by content) once it is here
            return None
        try:
            path = temp_copy(self._store, attachment, data)
        except AttachmentUnavailable:
            self.notice.emit(self._unavailable(attachment))
            return None
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        return path

    def _risk_text(self, risk: Risk) -> str:
        texts = {
            RiskKind.WINDOWS_PROGRAM: self.tr("it is a Windows program"),
            RiskKind.LINUX_PROGRAM: self.tr("it is a Linux program"),
            RiskKind.MAC_PROGRAM: self.tr("it is a macOS program"),
            RiskKind.SCRIPT: self.tr("it is a script"),
            RiskKind.SHORTCUT: self.tr("it is a shortcut to another file or site"),
            RiskKind.LAUNCHER: self.tr("it is a launcher that runs a command"),
        }
        if risk.kind in texts:
            return texts[risk.kind]
        return self.tr("files of type %1 can run programs").replace("%1", risk.detail)

    def _ask_blocked(self, attachment: AttachmentInfo, risk: Risk) -> bool:
        """Tells why the file was not opened; True when the user chose to save it instead."""
        box = self.blocked_dialog(attachment, risk)
        box.exec()
        clicked = box.clickedButton()
        box.deleteLater()
        return clicked is not None and box.buttonRole(clicked) == QMessageBox.ButtonRole.AcceptRole

    def blocked_dialog(self, attachment: AttachmentInfo, risk: Risk) -> QMessageBox:
        """The dialog saying why a file is not opened, with "Save As…" and "Cancel"."""
        box = QMessageBox(self)
        box.setObjectName("blockedAttachment")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Opening Blocked"))
        box.setTextFormat(Qt.TextFormat.PlainText)  # the file name is the sender's text
        box.setText(
            self.tr("%1 was not opened: %2.").replace("%1", attachment.filename)
            .replace("%2", self._risk_text(risk))
        )  # fmt: skip
        box.setInformativeText(
            self.tr(
                "Opening it could let its sender take over this computer. If you trust the "
                "sender and expected this file, you can save it and open it yourself."
            )
        )
        box.addButton(self.tr("Save As…"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)  # Enter must not save a program by accident
        box.setEscapeButton(cancel)
        return box

    def save(self, attachments: list[AttachmentInfo]) -> list[Path]:
        """Asks for a folder once, then saves each attachment in it under a safe name."""
        if not attachments:
            return []
        folder = self.choose_folder()
        if folder is None:
            return []
        if self._can_download:
            missing = [a for a in attachments if self._store.attachment_data(a.id) is None]
            for attachment in missing:
                self._download(attachment, folder)  # saved there once it is here
            attachments = [a for a in attachments if a not in missing]
        return self._save_into(folder, attachments)

    def _save_into(self, folder: Path, attachments: list[AttachmentInfo]) -> list[Path]:
        saved: list[Path] = []
        risky: list[str] = []
        for attachment in attachments:
            try:
                saved.append(save_attachment(self._store, attachment, folder))
                if attachment_risk(attachment, self._store.attachment_data(attachment.id)):
                    risky.append(saved[-1].name)
            except AttachmentUnavailable:
                self.notice.emit(self._unavailable(attachment))
            except OSError as error:
                self.notice.emit(
                    self.tr("Could not save %1: %2")
                    .replace("%1", attachment.filename)
                    .replace("%2", error.strerror or str(error))
                )
        if saved:
            text = self.tr("Saved %n files in %1", "", len(saved))
            text = text.replace("%1", str(folder))
            if risky:
                text += ". " + self.tr(
                    "Careful: %1 can run as programs; open them only if you trust the sender.",
                    "",
                    len(risky),
                ).replace("%1", ", ".join(risky))
            self.notice.emit(text)
        return saved

    @Slot()
    def save_all(self) -> None:
        self.save(self._attachments)

    def _unavailable(self, attachment: AttachmentInfo) -> str:
        return self.tr("%1 is not available offline yet.").replace("%1", attachment.filename)

    def _attachment_for(self, item: QListWidgetItem | None) -> AttachmentInfo | None:
        if item is None:
            return None
        wanted = item.data(Qt.ItemDataRole.UserRole)
        return next((a for a in self._attachments if a.id == wanted), None)

    @Slot(QListWidgetItem)
    def _open_item(self, item: QListWidgetItem) -> None:
        attachment = self._attachment_for(item)
        if attachment is not None:
            self.open(attachment)

    @Slot(QPoint)
    def _context_menu(self, position: QPoint) -> None:
        attachment = self._attachment_for(self.list.itemAt(position))
        if attachment is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr("&Open"), lambda: self.open(attachment))
        menu.addAction(self.tr("&Save As…"), lambda: self.save([attachment]))
        menu.exec(self.list.viewport().mapToGlobal(position))

    def _ask_folder(self) -> Path | None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Save Attachments In"))
        return Path(folder) if folder else None
