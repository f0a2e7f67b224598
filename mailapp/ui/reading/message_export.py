"""A message's source, and the message out of the app: View → Message Source, File → Save As
(.eml, its bytes as received), File → Print… and Export as PDF… (what the reading pane shows).

`MessageExport` makes those actions for a window: the main window (its selected message, its
reading pane) or a message's own window. The source of an imported message is in the store; a
synced message's is fetched from the server on a thread when first asked for, then kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence

# The dialogs' classes are imported where they are used: the main window makes these actions
# before its first paint, and each PySide class costs start-up time to create.
if TYPE_CHECKING:
    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

    from mailapp.store import MailStore
    from mailapp.ui.reading.message_source_dialog import SourceDialog


class SourceLoader(QObject):
    """`request(id)` answers with `ready(id, bytes)` or `failed(id, why)`, on this thread."""

    ready = Signal(str, bytes)
    failed = Signal(str, str)
    _fetched = Signal(str, object, str)  # (id, bytes or None, why): from the fetching thread

    def __init__(self, store: Callable[[], MailStore | None], parent: QObject) -> None:
        super().__init__(parent)
        self._store = store
        self._fetched.connect(self._answer, Qt.ConnectionType.QueuedConnection)

    def request(self, message_id: str) -> None:
        from mailapp.store.message_source import raw_source

        store = self._store()
        if store is None:
            return
        raw = raw_source(store, message_id)
        if raw is not None:
            self.ready.emit(message_id, raw)
            return
        account = self._account_of(store, message_id)
        if account is None:
            self.failed.emit(message_id, self.tr("this computer does not have it"))
            return
        threading.Thread(
            target=self._fetch,
            args=(store, account, message_id),
            name="mailapp-source",
            daemon=True,
        ).start()

    @staticmethod
    def _account_of(store: MailStore, message_id: str) -> str | None:
        """The synced account holding the message, or None."""
        from mailapp.store import views
        from mailapp.store.replica import synced_accounts

        found = views.summaries(store, [message_id]).get(message_id)
        if found is None:
            return None
        mailbox = next((m for m in store.mailboxes() if m.id == found.mailbox_id), None)
        synced = {a.account_id for a in synced_accounts(store)}
        return mailbox.account_id if mailbox is not None and mailbox.account_id in synced else None

    def _fetch(self, store: MailStore, account_id: str, message_id: str) -> None:
        from mailapp.store.message_source import keep_raw_source
        from mailapp.sync.account import client_for
        from mailapp.sync.errors import SyncError

        try:
            with client_for(store, account_id) as client:
                raw = client.raw_message(message_id)
            keep_raw_source(store, message_id, raw)
        except SyncError as error:
            self._fetched.emit(message_id, None, str(error))
        except Exception as error:  # reported to the user; the app goes on
            self._fetched.emit(message_id, None, str(error) or type(error).__name__)
        else:
            self._fetched.emit(message_id, raw, "")

    @Slot(str, object, str)
    def _answer(self, message_id: str, raw: bytes | None, why: str) -> None:
        if raw is None:
            self.failed.emit(message_id, why)
        else:
            self.ready.emit(message_id, raw)


def export_pdf(document: QTextDocument, path: Path) -> None:
    """Writes the document (a message as the reading pane shows it) as a PDF file."""
    from PySide6.QtPrintSupport import QPrinter  # only when printing: ~10 ms to import

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setDocName(path.stem)
    document.print_(printer)


class MessageExport(QObject):
    """The actions, for whatever message `current()` names, shown in `document()`.

    `notice(text)` reports what happened (a file written, a source that could not be loaded).
    """

    notice = Signal(str)

    def __init__(
        self,
        window: QWidget,
        store: Callable[[], MailStore | None],
        current: Callable[[], tuple[str, str] | None],  # (message id, subject)
        document: Callable[[], QTextDocument],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self._current = current
        self._document = document
        self._loader = SourceLoader(store, self)
        self._loader.ready.connect(self._source_ready)
        self._loader.failed.connect(self._source_failed)
        # What each requested source is for: a dialog to fill, or a file to write.
        self._waiting: dict[str, list[Callable[[bytes | None, str], None]]] = {}

        self.view_source = self._action(self.tr("Message &Source"), "Ctrl+U", self.show_source)
        self.save_as = self._action(
            self.tr("&Save As…"), QKeySequence.StandardKey.Save, self.choose_eml_file
        )
        self.print_message = self._action(
            self.tr("&Print…"), QKeySequence.StandardKey.Print, self.print_current
        )
        self.export_pdf = self._action(self.tr("E&xport as PDF…"), "", self.choose_pdf_file)
        self.actions = [self.view_source, self.save_as, self.print_message, self.export_pdf]
        self.update_enabled()

    def _action(
        self, text: str, shortcut: str | QKeySequence.StandardKey, slot: Callable[[], None]
    ) -> QAction:
        action = QAction(text, self._window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def update_enabled(self) -> None:
        enabled = self._store() is not None and self._current() is not None
        for action in self.actions:
            action.setEnabled(enabled)

    # -- the source ---------------------------------------------------------------------------
    def _with_source(self, message_id: str, then: Callable[[bytes | None, str], None]) -> None:
        waiting = self._waiting.setdefault(message_id, [])
        waiting.append(then)
        if len(waiting) == 1:
            self._loader.request(message_id)

    @Slot(str, bytes)
    def _source_ready(self, message_id: str, raw: bytes) -> None:
        for then in self._waiting.pop(message_id, []):
            then(raw, "")

    @Slot(str, str)
    def _source_failed(self, message_id: str, why: str) -> None:
        for then in self._waiting.pop(message_id, []):
            then(None, why)

    @Slot()
    def show_source(self) -> SourceDialog | None:
        current = self._current()
        if current is None:
            return None
        from mailapp.ui.reading.message_source_dialog import SourceDialog

        message_id, subject = current
        dialog = SourceDialog(subject, self._window)

        def fill(raw: bytes | None, why: str) -> None:
            if raw is not None:
                dialog.show_source(raw)
            else:
                dialog.show_failure(why)

        dialog.show()
        self._with_source(message_id, fill)
        return dialog

    # -- Save As .eml ---------------------------------------------------------------------------
    @Slot()
    def choose_eml_file(self) -> QFileDialog | None:
        from mailapp.ui.composer.composer_unsaved import eml_file_dialog

        current = self._current()
        if current is None:
            return None
        message_id, subject = current
        dialog = eml_file_dialog(self._window, subject)
        dialog.setObjectName("saveMessageDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda name: self.save_eml(message_id, Path(name)))
        dialog.open()
        return dialog

    def save_eml(self, message_id: str, path: Path) -> None:
        """Writes the message's bytes, exactly as received, to `path`."""

        def write(raw: bytes | None, why: str) -> None:
            from mailapp.ui.composer.composer_unsaved import write_file

            if raw is None:
                self.notice.emit(self.tr("Could not save the message: {why}.").format(why=why))
                return
            try:
                write_file(path, raw)
            except OSError as error:
                self.notice.emit(
                    self.tr("Could not write {file}: {reason}.").format(
                        file=path, reason=error.strerror or error
                    )
                )
                return
            self.notice.emit(self.tr("The message was saved as {file}.").format(file=path))

        self._with_source(message_id, write)

    # -- printing -----------------------------------------------------------------------------
    @Slot()
    def print_current(self) -> QDialog | None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        if self._current() is None:
            return None
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self._window)
        dialog.setObjectName("printDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        document = self._document()
        # The dialog keeps the printer; printing happens once the user chose where.
        dialog.accepted.connect(lambda: document.print_(printer))
        # What QDialog.open() does (PySide's QPrintDialog.open wants a receiver).
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        return dialog

    @Slot()
    def choose_pdf_file(self) -> QFileDialog | None:
        from PySide6.QtWidgets import QFileDialog

        from mailapp.mime.filenames import safe_filename

        current = self._current()
        if current is None:
            return None
        _message_id, subject = current
        dialog = QFileDialog(self._window, self.tr("Export as PDF"))
        dialog.setObjectName("exportPdfDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("PDF files (*.pdf)"))
        dialog.setDefaultSuffix("pdf")
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        ) or str(Path.home())
        dialog.setDirectory(folder)
        name = safe_filename(subject.strip() or self.tr("Message"), "application/pdf")
        dialog.selectFile(name if name.lower().endswith(".pdf") else f"{name}.pdf")
        dialog.fileSelected.connect(lambda name: self.write_pdf(Path(name)))
        dialog.open()
        return dialog

    def write_pdf(self, path: Path) -> None:
        export_pdf(self._document(), path)
        if path.is_file() and path.stat().st_size > 0:
            self.notice.emit(self.tr("The message was exported as {file}.").format(file=path))
        else:
            self.notice.emit(self.tr("Could not write {file}.").format(file=path))
