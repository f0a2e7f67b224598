"""Settings: stored as versioned plain JSON in the profile, edited in Edit → Settings."""

from __future__ import annotations

import json
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailapp.store import MailStore, open_store
from mailapp.store.replica_bodies import ALL_MAIL
from mailapp.store.schema import meta
from mailapp.store.settings import (
    CURRENT_VERSION,
    SETTINGS_KEY,
    AppSettings,
    RemoteContent,
    has_written_to,
    load_settings,
    remote_content_allowed,
    save_settings,
)
from mailapp.ui.common.menus import menu_titled
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.settings_dialog import SettingsDialog, add_settings_action
from tests.ui.conftest import ACCOUNT_EMAIL


def _raw_document(store: MailStore) -> str | None:
    with store._read() as conn:
        return conn.execute(select(meta.c.value).where(meta.c.key == SETTINGS_KEY)).scalar()


def _write_raw(store: MailStore, value: str) -> None:
    with store._write() as conn:
        conn.execute(
            sqlite_insert(meta)
            .values(key=SETTINGS_KEY, value=value)
            .on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value})
        )


def test_a_new_profile_has_the_documented_defaults(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.sqlite3") as store:
        settings = load_settings(store)
    assert settings.prefetch_days == 30
    assert settings.undo_send_seconds == 10
    assert settings.sync_interval_minutes == 5
    assert settings.remote_content is RemoteContent.ASK
    assert not settings.do_not_disturb  # new mail is announced


def test_settings_survive_reopening_as_plain_versioned_json(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    chosen = AppSettings(
        prefetch_days=90,
        sync_interval_minutes=15,
        undo_send_seconds=0,
        remote_content=RemoteContent.KNOWN_SENDERS,
        do_not_disturb=True,
    )
    with open_store(path) as store:
        save_settings(store, chosen)
    with open_store(path) as store:
        assert load_settings(store) == chosen
        raw = _raw_document(store)
    assert raw is not None
    assert json.loads(raw) == {
        "version": CURRENT_VERSION,
        "prefetch_days": 90,
        "sync_interval_minutes": 15,
        "undo_send_seconds": 0,
        "remote_content": "known_senders",
        "single_key_shortcuts": True,
        "do_not_disturb": True,
        "compose_html": True,
        "signature_below_quote": False,
    }


def test_a_document_from_before_versioning_is_upgraded(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.sqlite3") as store:
        _write_raw(store, json.dumps({"undo_send_seconds": 5}))
        assert load_settings(store).undo_send_seconds == 5
        save_settings(store, load_settings(store))
        assert json.loads(_raw_document(store) or "{}")["version"] == CURRENT_VERSION


def test_one_bad_value_falls_back_alone_and_unknown_keys_are_kept(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.sqlite3") as store:
        # As a newer mailapp might have written it, with one hand-edited value out of range.
        _write_raw(
            store,
            json.dumps(
                {
                    "version": CURRENT_VERSION + 1,
                    "prefetch_days": -4,
                    "undo_send_seconds": 20,
                    "signature": "Cheers, Me",
                }
            ),
        )
        settings = load_settings(store)
        assert settings.prefetch_days == 30
        assert settings.undo_send_seconds == 20
        save_settings(store, settings.model_copy(update={"sync_interval_minutes": 2}))
        document = json.loads(_raw_document(store) or "{}")
    assert document["signature"] == "Cheers, Me"  # the newer version's setting survives
    assert document["sync_interval_minutes"] == 2
    assert document["version"] == CURRENT_VERSION + 1


def test_a_corrupt_document_means_defaults_not_a_crash(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.sqlite3") as store:
        _write_raw(store, "{not json")
        assert load_settings(store) == AppSettings()


def test_remote_images_load_without_asking_only_from_people_written_to(store: MailStore) -> None:
    ((account_id, _email),) = store.accounts()
    # The fixture's Sent mailbox holds mail to the account's own address.
    assert has_written_to(store, account_id, ACCOUNT_EMAIL.upper())
    assert not has_written_to(store, account_id, "stranger@example.net")
    known = AppSettings(remote_content=RemoteContent.KNOWN_SENDERS)
    assert remote_content_allowed(store, known, account_id, ACCOUNT_EMAIL)
    assert not remote_content_allowed(store, known, account_id, "stranger@example.net")
    assert not remote_content_allowed(store, AppSettings(), account_id, ACCOUNT_EMAIL)


def test_the_dialog_shows_and_saves_the_settings(qtbot: QtBot, store: MailStore) -> None:
    save_settings(store, AppSettings(prefetch_days=14))
    dialog = SettingsDialog(store)
    qtbot.addWidget(dialog)
    assert dialog.prefetch_spin.value() == 14
    assert dialog.undo_spin.value() == 10

    dialog.undo_spin.setValue(0)
    assert dialog.undo_spin.text() == "Off (send at once)"
    dialog.interval_spin.setValue(30)
    dialog.remote_combo.setCurrentIndex(dialog.remote_combo.findData(RemoteContent.KNOWN_SENDERS))
    with qtbot.waitSignal(dialog.saved) as signal:
        dialog.accept()

    saved = load_settings(store)
    assert signal.args == [saved]
    assert saved == AppSettings(
        prefetch_days=14,
        sync_interval_minutes=30,
        undo_send_seconds=0,
        remote_content=RemoteContent.KNOWN_SENDERS,
    )


def test_cancel_keeps_and_restore_defaults_resets(qtbot: QtBot, store: MailStore) -> None:
    save_settings(store, AppSettings(undo_send_seconds=30))
    dialog = SettingsDialog(store)
    qtbot.addWidget(dialog)
    dialog.restore_defaults()
    assert dialog.undo_spin.value() == 10
    dialog.reject()
    assert load_settings(store).undo_send_seconds == 30


def test_edit_menu_opens_the_settings(qtbot: QtBot, store: MailStore) -> None:
    window = MainWindow(store)
    qtbot.addWidget(window)
    action = add_settings_action(window, store)
    edit_menu = menu_titled(window, "Edit")
    assert edit_menu is not None and action in edit_menu.actions()
    action.trigger()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None
    assert dialog.isVisible()
    dialog.reject()
    window.close()


def test_all_mail_can_be_kept_offline(qtbot: QtBot, store: MailStore) -> None:
    dialog = SettingsDialog(store)
    qtbot.addWidget(dialog)
    assert dialog.offline_combo.currentText() == "Recent mail"
    assert dialog.prefetch_spin.isEnabled()

    dialog.offline_combo.setCurrentIndex(dialog.offline_combo.findText("All mail"))
    assert not dialog.prefetch_spin.isEnabled()  # no window: every body
    dialog.accept()

    assert load_settings(store).prefetch_days == ALL_MAIL
    reopened = SettingsDialog(store)
    qtbot.addWidget(reopened)
    assert reopened.offline_combo.currentText() == "All mail"
    reopened.restore_defaults()
    assert reopened.offline_combo.currentText() == "Recent mail"
    assert reopened.prefetch_spin.value() == 30
