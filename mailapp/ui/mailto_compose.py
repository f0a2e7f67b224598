"""`mailapp mailto:…`: a composer filled in from the link, in the running app if there is one
(see mailapp.ui.single_instance), else in the app this start opens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QWidget

from mailapp.core.mailto import parse_mailto
from mailapp.ui.single_instance import InstanceServer

if TYPE_CHECKING:
    from mailapp.core.mailto import MailtoLink
    from mailapp.ui.window.main_window import MainWindow

NOTICE_MS = 8000


def open_mailto(window: MainWindow, link: str) -> None:
    """Opens a composer for the link once the window has its store (at once, usually)."""
    try:
        fields = parse_mailto(link)
    except ValueError:
        window.statusBar().showMessage(
            QCoreApplication.translate("MailtoCompose", "This is not a mail link: {link}").format(
                link=link[:200]
            ),
            NOTICE_MS,
        )
        return
    if window._store is not None:
        compose(window, fields)
        return

    def attached() -> None:
        window.storeAttached.disconnect(attached)
        compose(window, fields)

    window.storeAttached.connect(attached)


def compose(window: MainWindow, fields: MailtoLink) -> QWidget | None:
    """A new message from the window's first account, filled in from the link."""
    from mailapp.store.settings import load_settings
    from mailapp.ui.composer.composer import open_composer

    store = window._store
    assert store is not None
    accounts = store.accounts()
    if not accounts:
        window.statusBar().showMessage(
            QCoreApplication.translate(
                "MailtoCompose", "Add an account first (File → Add Account…) to write mail."
            ),
            NOTICE_MS,
        )
        return None
    composer = open_composer(
        store,
        accounts[0][0],
        parent=window,
        undo_seconds=load_settings(store).undo_send_seconds,
        fetch_attachment=window.mail_actions.fetch_attachment,
    )
    composer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    composer.to_field.setText(", ".join(fields.to))
    composer.cc_field.setText(", ".join(fields.cc))
    composer.bcc_field.setText(", ".join(fields.bcc))
    composer.subject_field.setText(fields.subject)
    composer.body.setPlainText(fields.body)
    (composer.body if fields.to else composer.to_field).setFocus()
    composer.show()
    composer.activateWindow()
    return composer


def handle_request(window: MainWindow, request: dict[str, Any]) -> None:
    """What a later start asked for: the window shown, and a composer for its link."""
    window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.activateWindow()
    link = request.get("mailto")
    if isinstance(link, str):
        open_mailto(window, link)


def serve_requests(window: MainWindow, name: str) -> InstanceServer:
    """Answers later starts of the same profile, for as long as the window lives."""
    server = InstanceServer(name, window)
    server.requested.connect(lambda request: handle_request(window, request))
    server.listen()
    window.destroyed.connect(server.close)
    return server
