"""A full disk while a composer is open: its text is never thrown away, and never called safe.

The disk is filled for real as SQLite sees it: every connection of the store's engine gets
``PRAGMA max_page_count`` at the file's current size, so a write that needs one more page fails
with SQLite's own SQLITE_FULL ("database or disk is full") through the store's real code path.
Freeing space lifts the limit on new connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import event

from mailapp.mime.parse import parse_message
from mailapp.store import MailStore
from mailapp.store.outbox_admin import open_composer_drafts
from mailapp.ui.composer.composer import Composer, open_composer
from mailapp.ui.composer.composer_autosave import RETRY_SAVE_MS

# A window kept open is raised, which the offscreen platform cannot do.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)")

# A text that needs new pages in the file whatever free pages it has.
LONG_TEXT = "All of this was typed while the disk was full. " * 4000


@pytest.fixture
def fill_disk(store: MailStore) -> Iterator[Callable[[], Callable[[], None]]]:
    """Call it to fill the disk; it returns the function that frees space again."""
    engine = store._engine  # the store's own engine: its real writes are the ones that fail
    listeners: list[Callable[..., None]] = []

    def free() -> None:
        while listeners:
            event.remove(engine, "connect", listeners.pop())
        engine.dispose()  # pooled connections keep their limit: new ones have none

    def fill() -> Callable[[], None]:
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

        def limit(dbapi_connection: Any, _record: object) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {int(pages)}")

        engine.dispose()
        event.listen(engine, "connect", limit)
        listeners.append(limit)
        return free

    yield fill
    free()


def account(store: MailStore) -> str:
    return store.accounts()[0][0]


Filler = Callable[[], Callable[[], None]]


def typed_then_full(
    qtbot: QtBot, store: MailStore, fill: Filler
) -> tuple[Composer, Callable[[], None]]:
    composer = open_composer(store, account(store))
    qtbot.addWidget(composer)
    qtbot.keyClicks(composer.to_field, "bob@example.org")
    qtbot.keyClicks(composer.subject_field, "Written on a full disk")
    assert composer.save() is not None  # saved once while there was space
    free = fill()
    composer.body.insertPlainText(LONG_TEXT)
    return composer, free


def test_a_full_disk_keeps_the_window_open_says_so_and_saves_once_space_is_back(
    qtbot: QtBot, store: MailStore, fill_disk: Callable[[], Callable[[], None]]
) -> None:
    composer, free = typed_then_full(qtbot, store, fill_disk)
    assert composer.save() is None
    bar = composer.unsaved_bar
    assert bar.isVisible()
    assert "not saved: the disk is full" in bar.message.text()
    assert "nothing was lost" not in bar.message.text().lower()
    assert bar.save_as_file_button.isVisible()

    composer.close()  # the text is stored nowhere: the window must stay
    assert composer.isVisible()
    assert "stays open" in bar.message.text()
    (draft,) = store.drafts(account(store))
    assert draft.body == ""  # the store really did not take it

    free()
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=RETRY_SAVE_MS + 5_000)
    (draft,) = store.drafts(account(store))
    assert draft.body == LONG_TEXT
    assert "Draft saved" in composer.save_status.text()
    composer.close()
    assert not composer.isVisible()
    assert open_composer_drafts(store, account(store)) == []


def test_save_as_file_writes_the_message_as_an_eml_and_then_the_window_may_close(
    qtbot: QtBot,
    store: MailStore,
    fill_disk: Callable[[], Callable[[], None]],
    tmp_path: Path,
) -> None:
    composer, _free = typed_then_full(qtbot, store, fill_disk)
    composer.save()
    composer.unsaved_bar.save_as_file_button.click()
    dialog = composer.findChild(QFileDialog, "saveAsFileDialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.selectedFiles()[0].endswith("Written on a full disk.eml")
    target = tmp_path / "elsewhere" / "rescued.eml"
    target.parent.mkdir()
    dialog.selectFile(str(target))
    dialog.accept()

    raw = target.read_bytes()
    parsed = parse_message(raw)
    assert parsed.subject == "Written on a full disk"
    assert [a.email for a in parsed.to] == ["bob@example.org"]
    assert parsed.text_body is not None and parsed.text_body.strip() == LONG_TEXT.strip()
    assert message_from_bytes(raw, policy=policy.default)["From"] == "Me <me@example.org>"
    assert str(target) in composer.info_label.text()

    composer.close()  # its text is in the file the user chose
    assert not composer.isVisible()


def test_an_edit_after_saving_as_file_is_again_kept_from_closing(
    qtbot: QtBot,
    store: MailStore,
    fill_disk: Callable[[], Callable[[], None]],
    tmp_path: Path,
) -> None:
    composer, _free = typed_then_full(qtbot, store, fill_disk)
    assert composer.file_copy.save(tmp_path / "copy.eml")
    qtbot.keyClicks(composer.body, " One more line.")
    composer.close()
    assert composer.isVisible()
    _free()
    composer.close()
    assert not composer.isVisible()


def test_a_file_that_cannot_be_written_says_so(
    qtbot: QtBot,
    store: MailStore,
    fill_disk: Callable[[], Callable[[], None]],
    tmp_path: Path,
) -> None:
    composer, _free = typed_then_full(qtbot, store, fill_disk)
    assert not composer.file_copy.save(tmp_path / "no-such-folder" / "copy.eml")
    assert "Could not write" in composer.error_label.text()
    composer.close()
    assert composer.isVisible()
    _free()
    composer.close()
    assert not composer.isVisible()


def test_send_on_a_full_disk_queues_nothing_and_keeps_the_text(
    qtbot: QtBot, store: MailStore, fill_disk: Callable[[], Callable[[], None]]
) -> None:
    composer, _free = typed_then_full(qtbot, store, fill_disk)
    assert composer.send() is None
    assert composer.isVisible()
    assert composer.body.toPlainText() == LONG_TEXT
    assert "the disk is full" in composer.unsaved_bar.message.text()
    assert [m for m in store.pending_mutations() if m.type.startswith("submission.")] == []
    _free()
    composer.close()
    assert store.drafts(account(store))[0].body == LONG_TEXT


def test_the_main_window_does_not_close_over_a_composer_it_could_not_save(
    qtbot: QtBot, store: MailStore, fill_disk: Callable[[], Callable[[], None]]
) -> None:
    from mailapp.ui.window.main_window import MainWindow

    main = MainWindow(store)
    qtbot.addWidget(main)
    main.show()
    main.mail_actions.new_message.trigger()
    (composer,) = main.findChildren(Composer)
    free = fill_disk()
    composer.body.insertPlainText(LONG_TEXT)
    assert not main.close()
    assert main.isVisible() and composer.isVisible()
    assert "the disk is full" in composer.unsaved_bar.message.text()
    free()
    assert main.close()
    assert store.drafts(account(store))[0].body == LONG_TEXT
