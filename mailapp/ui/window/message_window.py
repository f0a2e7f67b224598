"""A message in a window of its own (double-click in the list), and the message features the main
window gets from here: Message Source, Save As, Print, Export as PDF, .eml files dropped on a
mailbox imported into it.

The window reuses the reading pane (`MessageView`: remote-content blocking, attachments, bodies
downloaded when not offline) and follows the store: it closes when its message is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

from mailapp.ui.common import icons
from mailapp.ui.reading.message_export import MessageExport
from mailapp.ui.reading.message_view import MessageView

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.store.rows import ChangeSet, MessageDetail
    from mailapp.ui.window.main_window import MainWindow

WINDOW_SIZE = (900, 700)
NOTICE_MS = 6000


def _menu(window: QMainWindow, source_title: str) -> QMenu | None:
    """The main window's menu titled `source_title` ("&File"), in English or translated."""
    # Through an alias: the title is not a literal for pyside6-lupdate to extract.
    lookup = QCoreApplication.translate
    titles = {source_title, lookup("MainWindow", source_title)}
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text() in titles:
            return menu
    return None


class MessageWindow(QMainWindow):
    """One message, read in its own window, with File and View menus of its own."""

    def __init__(
        self,
        store: MailStore,
        detail: MessageDetail,
        *,
        downloads: object | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("messageWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._store = store
        self.message_id = detail.summary.id
        self.view = MessageView(store)
        if downloads is not None:
            self.view.attach_downloads(downloads)
            if self.view.attachments is not None and hasattr(downloads, "fetch_attachment"):
                self.view.attachments.attach_downloads(downloads)  # type: ignore[arg-type]
        if self.view.attachments is not None:
            self.view.attachments.notice.connect(
                lambda text: self.statusBar().showMessage(text, NOTICE_MS)
            )
        self.setCentralWidget(self.view)
        subject = detail.summary.subject or self.tr("(no subject)")
        self.setWindowTitle(subject)
        self.view.show_message(detail)
        self.export = MessageExport(
            self,
            lambda: self._store,
            lambda: (self.message_id, subject),
            lambda: self.view.pane.document(),
        )
        self.export.notice.connect(lambda text: self.statusBar().showMessage(text, NOTICE_MS))
        close = QAction(self.tr("&Close"), self)
        close.setShortcut(QKeySequence(QKeySequence.StandardKey.Close))
        close.triggered.connect(self.close)
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        for action in (self.export.save_as, self.export.print_message, self.export.export_pdf):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(close)
        view_menu = self.menuBar().addMenu(self.tr("&View"))
        view_menu.addAction(self.export.view_source)
        self._mailbox_id = detail.summary.mailbox_id
        self.fetch_attachment: Callable[[str], None] | None = getattr(
            downloads, "fetch_attachment", None
        )
        message_menu = self.menuBar().addMenu(self.tr("&Message"))
        toolbar = self.addToolBar(self.tr("Message toolbar"))
        toolbar.setObjectName("messageToolbar")
        toolbar.setMovable(False)
        self.compose_actions: dict[str, QAction] = {}
        for mode, text, shortcuts, icon in (
            ("reply", self.tr("&Reply"), ["Ctrl+R"], "reply"),
            ("reply_all", self.tr("Reply &All"), ["Ctrl+Shift+R"], "reply-all"),
            ("forward", self.tr("&Forward"), ["Ctrl+L", "Ctrl+Shift+F"], "forward"),
        ):
            action = QAction(icons.icon(icon), text, self)
            action.setProperty(icons.ICON_PROPERTY, icon)
            action.setShortcuts([QKeySequence(key) for key in shortcuts])
            action.setToolTip(text.replace("&", ""))
            action.triggered.connect(lambda _=False, m=mode: self.compose(m))
            message_menu.addAction(action)
            toolbar.addAction(action)
            self.compose_actions[mode] = action
        self.resize(*WINDOW_SIZE)

    def compose(self, mode: str) -> QWidget | None:
        """Reply, reply to all or forward this message, in a composer of the main window."""
        from mailapp.store.settings import load_settings
        from mailapp.ui.composer.composer import open_composer

        mailbox = next((m for m in self._store.mailboxes() if m.id == self._mailbox_id), None)
        if mailbox is None:
            return None
        composer = open_composer(
            self._store,
            mailbox.account_id,
            mode=mode,
            parent_message_id=self.message_id,
            # The main window's, so that closing the main window saves and closes it too.
            parent=self.parentWidget() or self,
            undo_seconds=load_settings(self._store).undo_send_seconds,
            fetch_attachment=self.fetch_attachment,
        )
        composer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        composer.show()
        return composer

    def store_changed(self, changes: ChangeSet) -> None:
        if self.message_id not in changes.messages:
            return
        detail = self._store.message(self.message_id)
        if detail is None:
            self.close()  # deleted here or on another device: nothing left to read
        else:
            self.view.store_changed(changes)


class MainWindowMessages(QObject):
    """What the main window gets from this module; see the module docstring."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.export = MessageExport(
            window, lambda: window._store, self._current, lambda: window.reading_pane.document()
        )
        self.export.notice.connect(self._notice)
        window.message_list.selectionModel().selectionChanged.connect(self.export.update_enabled)
        window.storeAttached.connect(self._store_attached)
        window.mailbox_tree.emlFilesDropped.connect(self.import_files)
        self._add_to_menus()

    def _add_to_menus(self) -> None:
        window = self._window
        file_menu = _menu(window, "&File")
        if file_menu is not None:
            actions = file_menu.actions()
            # Before the separator over Quit, as in other mail apps.
            separators = [a for a in actions if a.isSeparator()]
            before = separators[-1] if separators else None
            for action in (self.export.save_as, self.export.print_message, self.export.export_pdf):
                file_menu.insertAction(before, action)  # type: ignore[arg-type]
            file_menu.insertSeparator(self.export.save_as)
        view_menu = _menu(window, "&View")
        if view_menu is not None:
            view_menu.addSeparator()
            view_menu.addAction(self.export.view_source)

    def _current(self) -> tuple[str, str] | None:
        window = self._window
        if window.message_model.drafts_account is not None:
            return None
        rows = window.message_list.selectionModel().selectedRows()
        if len(rows) != 1:
            return None
        summary = window.message_model.summary(rows[0].row())
        return summary.id, summary.subject or self.tr("(no subject)")

    @Slot()
    def _store_attached(self) -> None:
        self.export.update_enabled()
        changes = self._window.changes
        if changes is not None:
            changes.changed.connect(self._store_changed)

    @Slot(object)
    def _store_changed(self, changes: ChangeSet) -> None:
        for window in self.windows():
            window.store_changed(changes)

    @Slot(str)
    def _notice(self, text: str) -> None:
        self._window.statusBar().showMessage(text, NOTICE_MS)

    def windows(self) -> list[MessageWindow]:
        return self._window.findChildren(MessageWindow)

    def open_window(self, message_id: str) -> MessageWindow | None:
        """Opens the message in a window of its own (or raises the one already open)."""
        store = self._window._store
        if store is None:
            return None
        for window in self.windows():
            if window.message_id == message_id:
                # Activating raises it too (raise_() alone is not offered on every platform).
                window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
                window.activateWindow()
                return window
        detail = store.message(message_id)
        if detail is None:
            return None
        downloads = self._window._controller
        window = MessageWindow(
            store,
            detail,
            downloads=downloads if hasattr(downloads, "bodyOffline") else None,
            parent=self._window,
        )
        window.show()
        return window

    @Slot(list, str)
    def import_files(self, paths: list[str], mailbox_id: str) -> int:
        """Imports dropped .eml files into the mailbox; says how it went in the status bar.

        Into a mailbox that syncs with a server the messages show at once and go to the server
        (and every other device) with the next sync, through the Outbox like any change."""
        from mailapp.mime.headers import not_a_message
        from mailapp.store.imports import queue_imports
        from mailapp.store.message_source import MAX_EML_BYTES, import_eml, is_synced_mailbox

        store = self._window._store
        if store is None or not paths:
            return 0
        files: list[bytes] = []
        for name in paths:
            path = Path(name)
            try:
                if path.stat().st_size > MAX_EML_BYTES:
                    raise OSError(0, self.tr("the file is too large"))
                data = path.read_bytes()
            except OSError as error:
                self._notice(
                    self.tr("Could not read {file}: {reason}.").format(
                        file=path, reason=error.strerror or error
                    )
                )
                return 0
            if not_a_message(data) is not None:
                self._notice(
                    self.tr("{file} is not an email message; nothing was imported.").format(
                        file=path.name
                    )
                )
                return 0
            files.append(data)
        if is_synced_mailbox(store, mailbox_id):
            imported = len(queue_imports(store, mailbox_id, files))
        else:
            imported = import_eml(store, mailbox_id, files)
        name = self._window.mailbox_model.display_name(mailbox_id) or ""
        self._notice(self.tr("%n messages imported into %1.", "", imported).replace("%1", name))
        return imported
