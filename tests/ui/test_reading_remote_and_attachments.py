"""The reading pane's bars: remote images per message, attachments saved under safe names."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from mailapp.mime.parse import Attachment
from mailapp.store import MailStore, open_store
from mailapp.ui.reading.message_view import MessageView
from tests.ui.conftest import ACCOUNT_EMAIL, demo_item

BANNER = "https://news.example.com/banner.png"
TRACKER = "https://tracker.example.com/pixel.png"
HOSTILE = "../../..\\evil\u202egpj.exe"
NOT_FETCHED: bytes = None  # type: ignore[assignment]  # the store keeps NULL until downloaded


def _store(path: Path) -> tuple[MailStore, list[str]]:
    store = open_store(path)
    account_id = store.create_account(ACCOUNT_EMAIL)
    remote_html = (
        f'<img src="{BANNER}" alt="banner" width="600"><p>Newsletter</p>'
        f'<img src="{TRACKER}" width="1" height="1">'
    )
    store.import_messages(
        account_id,
        [
            demo_item(1, subject="With images", html_body=remote_html, text_body=None),
            demo_item(2, subject="Also images", html_body=remote_html, text_body=None),
            demo_item(
                3,
                subject="Files",
                attachments=[
                    Attachment(HOSTILE, "application/octet-stream", 4, None, False, b"MZ\x90\x00"),
                    Attachment("CON.txt", "text/plain", 2, None, False, b"hi"),
                    Attachment(
                        "big.iso", "application/octet-stream", 10**9, None, False, NOT_FETCHED
                    ),
                ],
            ),
        ],
    )
    inbox = store.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    by_subject = {s.subject: s.id for s in store.page(inbox.id)}
    return store, [by_subject["With images"], by_subject["Also images"], by_subject["Files"]]


def _view(qtbot: QtBot, store: MailStore) -> MessageView:
    view = MessageView(store)
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    return view


def _show(view: MessageView, store: MailStore, message_id: str) -> None:
    detail = store.message(message_id)
    assert detail is not None
    view.show_message(detail)


def test_load_shows_remote_images_as_links_for_that_message_only(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store, (first, second, files) = _store(tmp_path / "mail.sqlite3")
    view = _view(qtbot, store)
    _show(view, store, first)
    assert view.remote_bar.isVisible()
    assert BANNER not in view.pane.toHtml() and TRACKER not in view.pane.toHtml()
    assert view.pane.toPlainText().endswith("[banner]\nNewsletter")  # no 600-pixel gap either
    assert 'width="600"' not in view.pane.toHtml()

    qtbot.mouseClick(view.load_remote_button, Qt.MouseButton.LeftButton)

    assert not view.remote_bar.isVisible()
    assert f'href="{BANNER}"' in view.pane.toHtml()  # a link the user may open
    assert "[banner]" in view.pane.toPlainText()
    assert TRACKER not in view.pane.toHtml()  # a tracking pixel is not worth a link
    assert all(url.scheme() != "https" for url in view.pane.refused_urls)  # nothing requested

    _show(view, store, second)
    assert view.remote_bar.isVisible()  # the choice was for the first message only
    assert BANNER not in view.pane.toHtml()
    _show(view, store, files)
    assert not view.remote_bar.isVisible()
    _show(view, store, first)
    assert not view.remote_bar.isVisible()  # remembered while the window lives
    store.close()


def test_saving_a_hostile_file_name_lands_safely_in_the_chosen_folder(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store, (_first, _second, files) = _store(tmp_path / "mail.sqlite3")
    view = _view(qtbot, store)
    _show(view, store, files)
    bar = view.attachments
    assert bar.isVisible() and bar.list.count() == 3
    chosen = tmp_path / "Downloads"
    chosen.mkdir()
    bar.choose_folder = lambda: chosen
    notices: list[str] = []
    bar.notice.connect(notices.append)

    qtbot.mouseClick(bar.save_all_button, Qt.MouseButton.LeftButton)

    saved = sorted(p.name for p in chosen.iterdir())
    assert saved == ["_CON.txt", "evilgpj.exe"]  # no path parts, no bidi override, no device
    assert (chosen / "evilgpj.exe").read_bytes() == b"MZ\x90\x00"
    for folder in list(chosen.parents)[:4]:  # where "../../.." would have led
        assert not list(folder.glob("evil*"))
    assert notices == [
        "big.iso is not available offline yet.",
        f"Saved 2 files in {chosen}. Careful: evilgpj.exe can run as a program; open it only if "
        "you trust the sender.",
    ]

    bar.save([bar.attachments[1]])  # again: a new name, never an overwrite
    assert (chosen / "_CON (2).txt").read_bytes() == b"hi"
    assert (chosen / "_CON.txt").read_bytes() == b"hi"
    store.close()


class _FileCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url)


def test_opening_hands_a_read_only_temp_copy_to_the_system(qtbot: QtBot, tmp_path: Path) -> None:
    store, (_first, _second, files) = _store(tmp_path / "mail.sqlite3")
    view = _view(qtbot, store)
    _show(view, store, files)
    catcher = _FileCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        item = view.attachments.list.item(1)
        view.attachments.list.itemActivated.emit(item)  # double-click / Enter
    finally:
        QDesktopServices.unsetUrlHandler("file")
    (url,) = catcher.opened
    path = Path(url.toLocalFile())
    assert path.name == "_CON.txt" and path.read_bytes() == b"hi"
    assert not path.stat().st_mode & 0o222  # read-only
    path.chmod(0o600)
    path.unlink()
    path.parent.rmdir()
    store.close()


def test_a_body_not_yet_downloaded_says_so(qtbot: QtBot, store: MailStore) -> None:
    view = _view(qtbot, store)
    (account_id, _), *_ = store.accounts()
    inbox = store.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    message_id = store.page(inbox.id)[0].id
    with store._write() as conn:  # what a header-only sync leaves: no body row yet
        conn.exec_driver_sql(
            "DELETE FROM message_bodies WHERE message_num = "
            "(SELECT num FROM messages WHERE id = ?)",
            (message_id,),
        )
    _show(view, store, message_id)
    assert "not available offline" in view.pane.toPlainText()
