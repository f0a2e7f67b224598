"""Render each main screen of mailapp to PNG files: `python scripts/screens.py OUTDIR`.

Everything is real: the demo server runs in this process (mailapp.ui.demo_live), two devices of
alice sign in and sync, a conflict is made the way a user would make one, and each screen is
grabbed offscreen, once in the light scheme and once in the dark one (its files end in "-dark").
The pictures are for looking at, never committed; tests/ui/test_contrast.py measures the
contrast of every text in them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEvent, QLocale, QUrl
from PySide6.QtWidgets import QApplication, QToolBar, QWidget
from sqlalchemy import event

from mailapp.core.addresses import Address
from mailapp.store import DraftInput, MailStore, open_store
from mailapp.store.identities import Identity, identities, save_identity
from mailapp.store.outbox_admin import mark_composer_open
from mailapp.store.rows import AttachmentInfo
from mailapp.sync.account import client_for
from mailapp.sync.engine import SyncEngine
from mailapp.ui import translations
from mailapp.ui.account.account_settings import AccountSettingsDialog
from mailapp.ui.account.account_setup import AccountSetupDialog
from mailapp.ui.common import theme
from mailapp.ui.composer.composer import open_composer
from mailapp.ui.composer.draft_recovery import offer_recovered_drafts
from mailapp.ui.demo_live import Device, LiveDemo, sign_in
from mailapp.ui.mailbox.mailbox_tree_model import OUTBOX_ID
from mailapp.ui.outbox.conflict_dialog import ConflictDialog
from mailapp.ui.outbox.outbox_view import OutboxView
from mailapp.ui.reading.attachments import attachment_risk
from mailapp.ui.reading.link_guard import confirm_dialog
from mailapp.ui.syncing.sync_worker import SyncController
from mailapp.ui.window.about import AboutDialog
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.settings_dialog import SettingsDialog
from mailapp.ui.window.window_sync import start_sync, window_syncs

WAIT_S = 20.0


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def wait_until(app: QApplication, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screens: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.02)


class Shots:
    """Where screens go: `name`, with "-dark" added in the dark scheme, as PNG in `folder`;
    `check` (the contrast test's) sees each widget as it was saved."""

    def __init__(
        self, folder: Path, scheme: str, check: Callable[[str, QWidget], None] | None = None
    ) -> None:
        self.folder = folder
        self.suffix = "-dark" if scheme == "dark" else ""
        self.check = check
        self.saved: list[Path] = []


def save(app: QApplication, widget: QWidget, shots: Shots, name: str) -> None:
    widget.show()
    settle(app)
    target = shots.folder / f"{name}{shots.suffix}.png"
    if not widget.grab().save(str(target), "PNG"):
        raise SystemExit(f"screens: could not write {target}")
    if shots.check is not None:
        shots.check(target.stem, widget)
    shots.saved.append(target)
    print(target)


def sync_once(device: Device) -> None:
    with client_for(device.store, device.account_id) as client:
        SyncEngine(device.store, client, device.account_id).run_cycle()


def make_conflict(laptop: Device, phone: Device) -> None:
    """The same draft's subject changed on two devices: the laptop finds a conflict."""
    draft_id = laptop.store.save_draft(
        DraftInput(
            None,
            laptop.account_id,
            subject="Team offsite plan",
            to=[Address("Bob Okafor", "bob@example.org")],
            body="Let's meet in Lisbon in May.",
        )
    )
    sync_once(laptop)
    sync_once(phone)
    on_phone = next(d for d in phone.store.drafts(phone.account_id) if d.subject.startswith("Team"))
    phone.store.save_draft(
        DraftInput(
            on_phone.id, phone.account_id, subject="Team offsite: Porto instead?",
            to=list(on_phone.to), body=on_phone.body,
        )
    )  # fmt: skip
    laptop.store.save_draft(
        DraftInput(
            draft_id, laptop.account_id, subject="Team offsite plan (final)",
            to=[Address("Bob Okafor", "bob@example.org")], body="Let's meet in Lisbon in May.",
        )
    )  # fmt: skip
    sync_once(phone)
    sync_once(laptop)


def fill_disk(store: MailStore) -> Callable[[], None]:
    """A full disk as SQLite sees it (the file may not grow by a page); returns "free space"."""
    engine = store._engine
    with engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar() or 0)

    def limit(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")  # type: ignore[attr-defined]

    engine.dispose()
    event.listen(engine, "connect", limit)

    def free() -> None:
        event.remove(engine, "connect", limit)
        engine.dispose()

    return free


def attach(window: MainWindow, store: MailStore, account_id: str) -> SyncController:
    controller = start_sync(window, store, account_id)
    return controller


def render(
    folder: Path, scheme: str, check: Callable[[str, QWidget], None] | None = None
) -> list[Path]:
    """Every screen in `scheme` ("light" or "dark"); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    shots = Shots(folder, scheme, check)
    before = os.environ.get(theme.SCHEME_ENV)
    os.environ[theme.SCHEME_ENV] = scheme
    theme.apply(app)
    try:
        _render_all(app, shots)
    finally:
        # Closed windows must not hear of the next scheme: their stores are closed by then.
        for widget in app.topLevelWidgets():
            widget.close()
            # A window's actions may be children of a widget deleted after its toolbar: the
            # action's destructor then tells a half-destroyed toolbar, which crashed here (seen
            # in QToolBar::actionEvent under QAction::~QAction). Empty the toolbars first.
            for bar in widget.findChildren(QToolBar):
                bar.clear()
            widget.deleteLater()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if before is None:
            os.environ.pop(theme.SCHEME_ENV, None)
        else:
            os.environ[theme.SCHEME_ENV] = before
    return shots.saved


def render_message_screens(
    app: QApplication, shots: Shots, window: MainWindow, controller: SyncController
) -> None:
    """The selected message's source (fetched from the server), the message in its own window,
    and the main window in German."""
    source = window.messages.export.show_source()
    assert source is not None
    wait_until(app, lambda: "Message-ID:" in source.text.toPlainText(), "the message source")
    save(app, source, shots, "20-message-source")
    source.close()

    opened = window.messages.open_window(window.selected_messages()[0].id)
    assert opened is not None
    save(app, opened, shots, "21-message-window")
    opened.close()

    # As with LANG=de_DE.UTF-8: German texts, and German dates and numbers.
    german_locale, before = QLocale(QLocale.Language.German, QLocale.Country.Germany), QLocale()
    translations.install(app, german_locale)
    QLocale.setDefault(german_locale)
    try:
        german = MainWindow(window._store)  # texts are translated when widgets are made
        german.resize(1200, 760)
        german.attach_sync(controller)
        german.select_message_row(1)
        save(app, german, shots, "22-main-window-german")
        german.close()
    finally:
        QLocale.setDefault(before)
        translations.install(app)  # the user's language again


def render_two_accounts(
    app: QApplication, shots: Shots, demo: LiveDemo, cleanup: ExitStack
) -> None:
    """alice and bob in one window, each syncing on its own; then Edit → Account Settings…."""
    both = demo.device("two-accounts")
    sign_in(both.store, demo.server, "bob")
    two = MainWindow(both.store)
    two.resize(1200, 760)
    syncs = window_syncs(two, both.store)
    cleanup.callback(syncs.shutdown)
    for account_id, _email in both.store.accounts():
        start_sync(two, both.store, account_id)
    two.show()
    wait_until(app, lambda: syncs.has_settled and syncs.state == "online", "both accounts")
    two.select_message_row(0)
    # Reading it marked it read: wait for that to reach the server, as it does within a second.
    wait_until(
        app,
        lambda: all(m.state == "applied" for m in both.store.pending_mutations()),
        "the read mark to be sent",
    )
    settle(app, 0.5)
    save(app, two, shots, "17-two-accounts")

    settings = AccountSettingsDialog(both.store, syncs, two)
    wait_until(
        app, lambda: settings.upstream_label.text().startswith("None"), "the IMAP link's state"
    )
    save(app, settings, shots, "18-account-settings")
    settings.close()
    two.close()


def render_identity_screens(
    app: QApplication, shots: Shots, window: MainWindow, laptop: Device
) -> None:
    """Account Settings' identities, and a formatted message from the second identity."""
    account_id = laptop.account_id
    main, alias = identities(laptop.store, account_id)[:2]
    save_identity(laptop.store, account_id, Identity(main.email, "Alice Martin", "Alice"))
    save_identity(
        laptop.store, account_id,
        Identity(alias.email, "Alice Martin (Projects)", "Alice Martin\nProject lead, Apollo"),
    )  # fmt: skip
    settings = AccountSettingsDialog(laptop.store, None, window)
    settings.identities.chooser.setCurrentIndex(1)
    save(app, settings, shots, "23-identity-settings")
    settings.reject()

    composer = open_composer(laptop.store, account_id, parent=window)
    composer.to_field.setText("Bob Okafor <bob@example.org>")
    composer.subject_field.setText("Apollo: next steps")
    composer.from_field.setCurrentIndex(1)
    cursor = composer.body.textCursor()
    cursor.setPosition(0)
    composer.body.setTextCursor(cursor)
    editor = composer.editor
    composer.body.insertPlainText("Hi Bob,\n\nThe ")
    editor.bold.trigger()
    composer.body.insertPlainText("launch review")
    editor.bold.trigger()
    composer.body.insertPlainText(" moves to Thursday. Before then:\n")
    editor.bullets.trigger()
    composer.body.insertPlainText("the slides\nthe budget, ")
    editor.italic.trigger()
    composer.body.insertPlainText("final")
    editor.italic.trigger()
    composer.body.insertPlainText("\n")
    editor.bullets.trigger()
    composer.body.insertPlainText("Notes are on the ")
    editor.insert_link("https://wiki.example.org/apollo")
    save(app, composer, shots, "24-composer-rich-identities")
    composer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--scheme", choices=("light", "dark", "both"), default="both")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    translations.install(app)  # as the app does: English plurals, or the user's language
    for scheme in ("light", "dark") if args.scheme == "both" else (args.scheme,):
        render(args.outdir, scheme)
    return 0


def _render_all(app: QApplication, shots: Shots) -> None:
    with ExitStack() as cleanup:
        demo = LiveDemo(cleanup)
        laptop, phone = demo.device("laptop"), demo.device("phone")
        sync_once(laptop)
        make_conflict(laptop, phone)

        window = MainWindow(laptop.store)
        window.resize(1200, 760)
        controller = attach(window, laptop.store, laptop.account_id)
        cleanup.callback(controller.shutdown)
        window.show()
        wait_until(app, lambda: controller.state == "online", "the laptop to be online")
        wait_until(app, lambda: window.message_model.rowCount() > 0, "the inbox")
        window.select_message_row(1)
        save(app, window, shots, "01-main-window")
        render_message_screens(app, shots, window, controller)

        # View → Layout: three columns, with a preview line under each subject.
        window.pane_layout.set_vertical(True)
        window.pane_layout.set_preview_line(True)
        save(app, window, shots, "12-vertical-view-preview-line")
        window.pane_layout.set_vertical(False)
        window.pane_layout.set_preview_line(False)

        composer = open_composer(
            laptop.store, laptop.account_id, mode="reply",
            parent_message_id=window.selected_messages()[0].id, parent=window,
        )  # fmt: skip
        composer.body.setPlainText("Sounds good, see you there!\n\n" + composer.body.toPlainText())
        save(app, composer, shots, "02-composer")
        composer.close()
        render_identity_screens(app, shots, window, laptop)

        conflicts = ConflictDialog(laptop.store, parent=window)
        conflicts.resize(820, 520)
        save(app, conflicts, shots, "03-conflict-dialog")
        conflicts.close()

        # Offline, with changes waiting: work offline, then read, flag and send something.
        window.work_offline_action.trigger()
        wait_until(app, lambda: controller.state == "working_offline", "working offline")
        first = window.message_model.summary(0)
        laptop.store.mark_read([first.id], read=not first.is_read)
        laptop.store.set_flagged([window.message_model.summary(2).id])
        reply = open_composer(laptop.store, laptop.account_id, parent=window, undo_seconds=0)
        reply.to_field.setText("bob@example.org")
        reply.subject_field.setText("Slides for Thursday")
        reply.body.setPlainText("Attached after the train, promise.")
        reply.send()
        settle(app, 0.5)
        save(app, window, shots, "04-offline-with-pending")
        window.select_mailbox(OUTBOX_ID)
        settle(app, 0.5)
        save(app, window, shots, "05-outbox")
        outbox = window.outbox_view
        assert isinstance(outbox, OutboxView)
        outbox.show_changes()  # the "N changes not yet synced" line, clicked
        assert outbox.changes_view is not None
        save(app, outbox.changes_view, shots, "15-changes-not-yet-synced")
        outbox.changes_view.close()

        setup = AccountSetupDialog(laptop.store, window)
        setup.server_edit.setText(demo.server.url)
        setup.username_edit.setText("bob")
        setup.password_edit.setText("not-his-password")
        setup.sign_in_button.click()
        wait_until(app, lambda: not setup.busy, "the sign-in attempt")
        save(app, setup, shots, "06-account-setup-error")
        setup.reject()

        settings = SettingsDialog(laptop.store, window)
        save(app, settings, shots, "07-settings")
        settings.reject()

        # The start after a crash: a draft whose composer never closed is offered back.
        interrupted = laptop.store.save_draft(
            DraftInput(
                None, laptop.account_id, subject="Notes from the train",
                to=[Address("Bob Okafor", "bob@example.org")],
                body="Three things before Thursday:\n1. the slides\n2. the budget\n3. the",
            )
        )  # fmt: skip
        mark_composer_open(laptop.store, interrupted)
        offer = offer_recovered_drafts(laptop.store, window)
        assert offer is not None
        save(app, offer, shots, "08-draft-recovery")
        offer.close()

        # Opening a program from a mail is refused; the user may save it instead.
        bar = window.message_view.attachments
        assert bar is not None
        exe = AttachmentInfo("screen", "invoice.pdf.exe", "application/pdf", 48_213, None, False)
        risk = attachment_risk(exe, b"MZ\x90\x00")
        assert risk is not None
        blocked = bar.blocked_dialog(exe, risk)
        save(app, blocked, shots, "09-blocked-attachment")
        blocked.close()

        # A link whose text names another site than the one it leads to is asked about.
        question = confirm_dialog(
            window.reading_pane, "https://bank.example",
            QUrl("https://bank.example.evil.test/login"),
        )  # fmt: skip
        save(app, question, shots, "10-misleading-link")
        question.close()

        # A full disk under an open composer: it says so, keeps the text and offers a file.
        stuck = open_composer(laptop.store, laptop.account_id, parent=window)
        stuck.to_field.setText("Bob Okafor <bob@example.org>")
        stuck.subject_field.setText("Minutes of the board meeting")
        stuck.save()
        free_space = fill_disk(laptop.store)
        stuck.body.setPlainText("Present: all five members.\n" * 2000)
        stuck.close()  # refused: the text is stored nowhere
        save(app, stuck, shots, "11-composer-disk-full")
        free_space()
        stuck.save()
        stuck.close()

        about = AboutDialog(parent=window)
        save(app, about, shots, "13-help-about")
        about.close()
        window.close()

        render_two_accounts(app, shots, demo, cleanup)

        # A profile without accounts: the first-run page instead of empty panes.
        empty = open_store(demo.root / "empty" / "mail.sqlite3")
        cleanup.callback(empty.close)
        first_run = MainWindow(empty)
        first_run.resize(1000, 640)
        save(app, first_run, shots, "14-welcome")
        first_run.close()


if __name__ == "__main__":
    raise SystemExit(main())
