"""A message's own window (double-click), its source, Save As .eml, Export as PDF, Print, and
.eml files dropped on a mailbox: real widgets, a real store, the real server for synced mail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore, open_store
from mailapp.store.message_source import raw_source
from mailapp.ui.reading.message_source_dialog import SourceDialog
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.message_window import MessageWindow
from tests.server.conftest import RunningServer
from tests.ui import test_e2e_sync as e2e
from tests.ui.test_e2e_sync import WAIT_MS, DesktopFactory

server, proxy, desktop, file_keyring = e2e.server, e2e.proxy, e2e.desktop, e2e.file_keyring

# Bytes as a mail server would hand them over: CRLF, an encoded header, 8-bit UTF-8 text.
EML = (
    "From: Ada Lovelace <ada@example.net>\r\n"
    "To: me@example.org\r\n"
    "Subject: =?utf-8?q?Notes_on_the_Engine_=E2=80=94_draft?=\r\n"
    "Date: Tue, 02 Dec 2025 10:00:00 +0000\r\n"
    "Message-ID: <notes-engine@example.net>\r\n"
    "X-Mailer: Difference Engine 1.0\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "The engine weaves algebraic patterns — as the loom weaves flowers.\r\n"
).encode()
SUBJECT = "Notes on the Engine — draft"


@pytest.fixture
def local(tmp_path: Path) -> Iterator[MailStore]:
    """A local account (no server) with an empty Inbox and a folder."""
    store = open_store(tmp_path / "mail.sqlite3")
    store.create_account("me@example.org", display_name="Me")
    yield store
    store.close()


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    return window


def _drop_files(window: MainWindow, mailbox_id: str, files: list[Path]) -> None:
    """Drops files on a mailbox of the tree, as a file manager's drag does."""
    tree = window.mailbox_tree
    item = window.mailbox_model.item_for(mailbox_id)
    assert item is not None
    point = tree.visualRect(item.index()).center()
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path)) for path in files])
    for event_class in (QDragEnterEvent, QDragMoveEvent, QDropEvent):
        event = event_class(
            point,
            Qt.DropAction.CopyAction,
            data,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(tree.viewport(), event)
        assert event.isAccepted(), event_class


def _imported(qtbot: QtBot, window: MainWindow, local: MailStore, tmp_path: Path) -> str:
    """The fixture message, imported by dropping its .eml file on the Inbox; its id."""
    file = tmp_path / "notes.eml"
    file.write_bytes(EML)
    inbox = window.mailbox_model.first_mailbox_with_role("inbox")
    assert inbox is not None
    _drop_files(window, inbox, [file])
    qtbot.waitUntil(lambda: window.message_model.rowCount() == 1)
    assert window.statusBar().currentMessage() == "1 message imported into Inbox."
    window.select_message_row(0)
    message_id = window.message_model.summary(0).id
    assert window.message_model.summary(0).subject == SUBJECT
    return message_id


def test_dropping_eml_files_on_a_mailbox_imports_them(
    qtbot: QtBot, local: MailStore, tmp_path: Path
) -> None:
    window = _window(qtbot, local)
    message_id = _imported(qtbot, window, local, tmp_path)
    assert "algebraic patterns" in window.reading_pane.toPlainText()
    assert raw_source(local, message_id) == EML  # kept as received, for its source


def test_double_click_opens_the_message_in_its_own_window(
    qtbot: QtBot, local: MailStore, tmp_path: Path
) -> None:
    window = _window(qtbot, local)
    message_id = _imported(qtbot, window, local, tmp_path)
    index = window.message_model.index(0, 1)
    rect = window.message_list.visualRect(index)
    viewport = window.message_list.viewport()
    # A double click is a press and release, then the double-click event (as a mouse sends it).
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())

    (opened,) = window.findChildren(MessageWindow)
    qtbot.waitExposed(opened)
    assert opened.isWindow() and opened.windowTitle() == SUBJECT
    assert opened.view.message_id == message_id
    assert "algebraic patterns" in opened.view.pane.toPlainText()
    assert window.reading_pane.message_id == message_id  # the main window still shows it too
    # Opening it again raises that window rather than making another.
    assert window.messages.open_window(message_id) is opened
    assert len(window.findChildren(MessageWindow)) == 1

    # Reply from it: a composer of the main window, answering this message.
    composer = opened.compose("reply")
    assert composer is not None and composer.parentWidget() is window
    assert composer.subject_field.text() == f"Re: {SUBJECT}"
    assert "ada@example.net" in composer.to_field.text()
    assert opened.compose_actions["forward"].shortcut().toString() == "Ctrl+L"
    composer.close()

    # Moved to Trash, it is still there to read; deleted for good, its window closes.
    local.delete([message_id])
    qtbot.waitUntil(lambda: window.message_model.rowCount() == 0)  # the change has arrived
    assert window.findChildren(MessageWindow) == [opened]
    local.delete([message_id])
    qtbot.waitUntil(lambda: not window.findChildren(MessageWindow))


def test_message_source_shows_the_bytes_as_received(
    qtbot: QtBot, local: MailStore, tmp_path: Path
) -> None:
    window = _window(qtbot, local)
    _imported(qtbot, window, local, tmp_path)
    action = window.messages.export.view_source
    assert action.isEnabled() and action in window.menuBar().actions()[2].menu().actions()
    action.trigger()
    dialog = window.findChild(SourceDialog)
    assert dialog is not None and dialog.isVisible()
    shown = dialog.text.toPlainText()
    assert "X-Mailer: Difference Engine 1.0" in shown
    assert "=?utf-8?q?Notes_on_the_Engine_=E2=80=94_draft?=" in shown  # not decoded: the source
    assert shown.replace("\n", "\r\n") == EML.decode()


def test_save_as_writes_the_raw_bytes(qtbot: QtBot, local: MailStore, tmp_path: Path) -> None:
    window = _window(qtbot, local)
    _imported(qtbot, window, local, tmp_path)
    window.messages.export.save_as.trigger()
    dialog = window.findChild(QFileDialog, "saveMessageDialog")
    assert dialog is not None
    target = tmp_path / "saved.eml"
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(target.is_file)
    assert target.read_bytes() == EML
    assert window.statusBar().currentMessage() == f"The message was saved as {target}."


def test_export_as_pdf_writes_a_pdf(qtbot: QtBot, local: MailStore, tmp_path: Path) -> None:
    window = _window(qtbot, local)
    _imported(qtbot, window, local, tmp_path)
    window.messages.export.export_pdf.trigger()
    dialog = window.findChild(QFileDialog, "exportPdfDialog")
    assert dialog is not None
    assert dialog.selectedFiles()[0].endswith("Notes on the Engine — draft.pdf")
    target = tmp_path / "notes.pdf"
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(target.is_file)
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
    assert window.statusBar().currentMessage() == f"The message was exported as {target}."


def test_print_prints_the_message_where_the_dialog_says(
    qtbot: QtBot, local: MailStore, tmp_path: Path
) -> None:
    window = _window(qtbot, local)
    _imported(qtbot, window, local, tmp_path)
    dialog = window.messages.export.print_current()
    assert dialog is not None and dialog.isVisible()
    # No printer here: the dialog's printer prints into a file instead (done(), not accept(),
    # which would set it back to the printer chosen in the dialog: none).
    target = tmp_path / "printed.pdf"
    dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    dialog.printer().setOutputFileName(str(target))
    dialog.done(QDialog.DialogCode.Accepted)
    qtbot.waitUntil(target.is_file)
    assert target.read_bytes().startswith(b"%PDF-")


def test_the_actions_wait_for_one_message(qtbot: QtBot, local: MailStore) -> None:
    window = _window(qtbot, local)
    assert not any(action.isEnabled() for action in window.messages.export.actions)


def test_files_dropped_on_a_synced_mailbox_show_at_once_and_reach_the_other_device(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory, tmp_path: Path
) -> None:
    user = server.new_user("dropper")
    laptop = desktop(user)
    laptop.wait_online(qtbot)
    file = tmp_path / "notes.eml"
    file.write_bytes(EML)
    inbox = laptop.mailbox("inbox")
    laptop.window.select_mailbox(inbox)

    _drop_files(laptop.window, inbox, [file])

    # Shown at once, read, in the list, before the server has answered.
    assert laptop.window.statusBar().currentMessage() == "1 message imported into Inbox."
    qtbot.waitUntil(lambda: laptop.window.message_model.rowCount() == 1)
    assert laptop.window.message_model.summary(0).subject == SUBJECT
    # Synced: nothing left queued, and the other device gets it with its text.
    qtbot.waitUntil(lambda: laptop.store.pending_mutations() == [], timeout=WAIT_MS)
    phone = desktop(user)
    phone.wait_for_inbox(qtbot, [SUBJECT])
    phone.window.select_mailbox(phone.mailbox("inbox"))
    # wait_for_inbox reads the store: the sync thread tells the window a moment later (a
    # queued, coalesced change), and a row not listed yet cannot be selected.
    qtbot.waitUntil(lambda: phone.window.message_model.rowCount() == 1, timeout=WAIT_MS)
    phone.window.select_message_row(0)
    qtbot.waitUntil(
        lambda: "algebraic patterns" in phone.window.reading_pane.toPlainText(), timeout=WAIT_MS
    )
    assert laptop.subjects("inbox") == [SUBJECT]  # one message, under the server's id
    assert phone.window.message_model.summary(0).id == laptop.store.page(inbox)[0].id


def test_a_file_that_is_no_message_is_refused_at_the_drop(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory, tmp_path: Path
) -> None:
    me = desktop(server.new_user("dropper"))
    file = tmp_path / "shopping.eml"
    file.write_bytes(b"milk, eggs, flour\n")
    _drop_files(me.window, me.mailbox("inbox"), [file])
    assert me.window.statusBar().currentMessage() == (
        "shopping.eml is not an email message; nothing was imported."
    )
    assert me.store.count(me.mailbox("inbox")) == 0 and me.store.pending_mutations() == []


def test_source_of_a_synced_message_comes_from_the_server_and_is_kept(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory
) -> None:
    user = server.new_user("reader")
    server.deliver(user.account_id, EML)
    me = desktop(user)
    me.wait_for_inbox(qtbot, [SUBJECT])
    me.window.select_mailbox(me.mailbox("inbox"))
    me.window.select_message_row(0)
    message_id = me.window.message_model.summary(0).id
    qtbot.waitUntil(
        lambda: "algebraic patterns" in me.window.reading_pane.toPlainText(), timeout=WAIT_MS
    )
    assert raw_source(me.store, message_id) is None  # sync keeps what the pane needs only

    dialog = me.window.messages.export.show_source()
    assert dialog is not None
    qtbot.waitUntil(
        lambda: "X-Mailer: Difference Engine" in dialog.text.toPlainText(), timeout=WAIT_MS
    )
    raw = raw_source(me.store, message_id)
    assert raw is not None and raw.endswith(EML)  # the server may add a Received line on top
