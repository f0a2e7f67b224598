"""A composer killed mid-draft: the next start finds the draft and offers it back, intact."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from mailapp.core.addresses import Address
from mailapp.store import MailStore, open_store
from mailapp.store.outbox_admin import open_composer_drafts
from mailapp.ui.composer import Composer, open_composer
from mailapp.ui.draft_recovery import check_for_recoverable_drafts

_TYPE_AND_WAIT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from mailapp.store import open_store
    from mailapp.ui.composer import open_composer

    app = QApplication([])
    store = open_store(Path(sys.argv[1]))
    composer = open_composer(store, store.accounts()[0][0])
    composer.draftSaved.connect(lambda draft_id: print("saved", draft_id, flush=True))
    QTest.keyClicks(composer.to_field, "bob@example.org")
    QTest.keyClicks(composer.subject_field, "Unsaved thoughts")
    QTest.keyClicks(composer.body, "Half a sentence, then the power goes")
    app.exec()
    """
)


def account(store: MailStore) -> str:
    return store.accounts()[0][0]


def prompt(parent: QWidget) -> QMessageBox:
    box = parent.findChild(QMessageBox, "draftRecoveryPrompt")
    assert box is not None, "no recovery prompt"
    return box


def composers() -> list[Composer]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, Composer) and w.isVisible()]


@pytest.mark.slow
def test_a_killed_composer_leaves_a_draft_that_is_offered_back(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "mail.sqlite3"
    with open_store(path) as setup:
        setup.create_account("me@example.org")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with subprocess.Popen(
        [sys.executable, "-c", _TYPE_AND_WAIT, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            # Bounded wait for the autosave (a hung child must not hang the suite).
            ready, _, _ = select.select([child.stdout], [], [], 60)
            line = child.stdout.readline() if ready else ""
            assert line.startswith("saved"), f"the composer never saved: {line!r}"
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    store = open_store(path)
    try:
        (draft,) = store.drafts(account(store))
        assert (draft.subject, draft.body) == (
            "Unsaved thoughts",
            "Half a sentence, then the power goes",
        )
        assert draft.to == [Address(None, "bob@example.org")]

        window = QWidget()
        qtbot.addWidget(window)
        check_for_recoverable_drafts(store, account(store), window)
        box = prompt(window)
        assert box.isVisible()
        assert "did not close properly" in box.text()
        assert "Unsaved thoughts" in box.informativeText()

        box.buttons()[0].click()  # Reopen
        (reopened,) = composers()
        qtbot.addWidget(reopened)
        assert reopened.draft_id == draft.id
        assert reopened.subject_field.text() == "Unsaved thoughts"
        assert reopened.body.toPlainText() == "Half a sentence, then the power goes"
        assert reopened.to_field.text() == "bob@example.org"
        reopened.close()
        assert open_composer_drafts(store, account(store)) == []
    finally:
        store.close()


def test_not_now_leaves_the_draft_in_drafts_and_stops_asking(
    qtbot: QtBot, store: MailStore
) -> None:
    composer = open_composer(store, account(store))
    qtbot.addWidget(composer)
    qtbot.keyClicks(composer.subject_field, "Left open")
    composer.save()  # then the app "dies": the composer is never closed

    window = QWidget()
    qtbot.addWidget(window)
    check_for_recoverable_drafts(store, account(store), window)
    box = prompt(window)
    (not_now,) = [
        b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.RejectRole
    ]
    not_now.click()
    assert [d.subject for d in store.drafts(account(store))] == ["Left open"]
    assert open_composer_drafts(store, account(store)) == []

    later = QWidget()
    qtbot.addWidget(later)
    check_for_recoverable_drafts(store, account(store), later)
    assert later.findChild(QMessageBox, "draftRecoveryPrompt") is None


def test_a_clean_close_is_not_offered_back(qtbot: QtBot, store: MailStore) -> None:
    composer = open_composer(store, account(store))
    qtbot.addWidget(composer)
    qtbot.keyClicks(composer.subject_field, "Finished for today")
    composer.close()
    window = QWidget()
    qtbot.addWidget(window)
    check_for_recoverable_drafts(store, account(store), window)
    assert window.findChild(QMessageBox, "draftRecoveryPrompt") is None
    assert [d.subject for d in store.drafts(account(store))] == ["Finished for today"]
