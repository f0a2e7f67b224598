"""New-mail notifications: which arriving messages are announced, grouped how, in what words.

Announced is mail new to the store (`ChangeSet.arrived`: brought by a sync or an import, never
by the user's own actions nor by an account's first sync) that is still unread and in an Inbox
when the notice is made: mail read on another device before it got here, and mail filed into
Junk, Trash or Sent, is not. Messages arriving within `GROUP_MS` of each other (a sync's pages,
several accounts' cycles) make one notice, "3 new messages" naming the newest senders. "Do not
disturb" (Settings, or the tray menu) drops them. What is shown, and where, is the tray's
business (mailapp.ui.window.tray); without a tray nothing is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from mailapp.store import views
from mailapp.store.rows import ChangeSet, MessageSummary
from mailapp.store.settings import AppSettings, load_settings

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.ui.window.main_window import MainWindow

# Arrivals this close together are one notice: a sync applies and reports its pages at most
# 0.1 s apart, and the accounts' cycles after a network change start together.
GROUP_MS = 600
LISTED = 3  # a grouped notice names this many of the newest messages, then "and N more"


@dataclass(frozen=True)
class Notification:
    count: int
    title: str
    body: str
    message_id: str  # the newest of them: what clicking the notice opens


class NewMailWatcher(QObject):
    """Emits `newMail(Notification)` for unread mail arriving in an Inbox (see the module)."""

    newMail = Signal(object)  # Notification

    def __init__(self, store: MailStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._arrived: set[str] = set()
        self.do_not_disturb = load_settings(store).do_not_disturb
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(GROUP_MS)
        self._timer.timeout.connect(self._announce)

    @Slot(object)
    def apply_settings(self, settings: AppSettings) -> None:
        self.do_not_disturb = settings.do_not_disturb

    @Slot(object)
    def store_changed(self, changes: ChangeSet) -> None:
        if not changes.arrived or self.do_not_disturb:
            return  # in "do not disturb", mail arriving meanwhile is never announced later
        self._arrived.update(changes.arrived)
        if not self._timer.isActive():
            # From the first arrival, not the last: a long sync still gets its notice soon.
            self._timer.start()

    @Slot()
    def _announce(self) -> None:
        arrived, self._arrived = self._arrived, set()
        if self.do_not_disturb:
            return
        # Read now, not on arrival: read elsewhere or moved to Junk since, it is not news.
        inboxes = {m.id for m in self._store.mailboxes() if m.role == "inbox"}
        fresh = sorted(views.unread_among(self._store, inboxes, arrived), reverse=True)
        if not fresh:
            return
        found = views.summaries(self._store, [message_id for _date, message_id in fresh[:LISTED]])
        listed = [found[message_id] for _date, message_id in fresh[:LISTED] if message_id in found]
        if not listed:  # deleted since the line above
            return
        newest = listed[0]

        def sender(summary: MessageSummary) -> str:
            return summary.sender_name or summary.sender_email or self.tr("(unknown sender)")

        def subject(summary: MessageSummary) -> str:
            return summary.subject or self.tr("(no subject)")

        if len(fresh) == 1:
            title = self.tr("New mail from %1").replace("%1", sender(newest))
            body = subject(newest)
        else:
            title = self.tr("%n new messages", "", len(fresh))
            lines = [
                self.tr("%1: %2").replace("%1", sender(s)).replace("%2", subject(s)) for s in listed
            ]
            if len(fresh) > len(listed):
                lines.append(self.tr("and %n more", "", len(fresh) - len(listed)))
            body = "\n".join(lines)
        self.newMail.emit(Notification(len(fresh), title, body, newest.id))


def show_message(window: MainWindow, message_id: str) -> None:
    """What clicking a notice does: the window comes forward with the message selected in its
    mailbox, or, where the list does not show it as a row of its own (a conversation, a search),
    in a window of its own."""
    window.showNormal()
    window.raise_()
    window.activateWindow()
    store = window.store
    summary = views.summary(store, message_id) if store is not None else None
    if summary is None:
        return  # deleted meanwhile: the window alone
    window.select_mailbox(summary.mailbox_id)
    row = window.message_model.row_of(message_id)
    if window.message_model.mailbox_id == summary.mailbox_id and row is not None:
        window.select_message_row(row)
        window.message_list.scrollTo(window.message_model.index(row, 0))
    else:
        window.messages.open_window(message_id)
