"""The version of its draft an open composer works on (its base), and what it does when a pull
changes the stored draft under it.

Saves send only the fields the user changed since the base, each against the base's value
(MailStore.save_draft), so another device's edit is never undone by a composer that still shows
the old text. When the stored draft moves (a pull), fields the user has not touched take the new
value on screen; a field the user changed differently is kept as typed and a notice bar says
so, with "Take theirs" and "Keep mine" (the next sync then records a conflict with both texts,
which the conflict dialog shows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from mailapp.store import MailStore
from mailapp.store.codec import addresses_to_wire
from mailapp.store.rows import ChangeSet
from mailapp.ui.common import theme
from mailapp.ui.common.store_bridge import StoreChanges

# The fields a composer shows in widgets; the others (attachments, references...) are not
# refreshed on screen but a save still leaves them alone unless the user changed them.
SHOWN_FIELDS = ("subject", "to", "cc", "bcc", "body")


def stored_fields(store: MailStore, draft_id: str) -> dict[str, Any] | None:
    """The shown fields of the stored draft, in wire form (None once it is gone)."""
    row = store.draft(draft_id)
    if row is None:
        return None
    return {
        "subject": row.subject,
        "to": addresses_to_wire(row.to),
        "cc": addresses_to_wire(row.cc),
        "bcc": addresses_to_wire(row.bcc),
        "body": row.body,
    }


class DraftBase(QFrame):
    """Tracks the composer's base and shows "changed on another device" when needed."""

    def __init__(
        self,
        store: MailStore,
        draft_id: Callable[[], str | None],
        current: Callable[[], dict[str, Any]],
        show_value: Callable[[str, Any], None],
        edited: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("draftChangedBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(theme.notice_style("QFrame#draftChangedBar", theme.WARNING))
        self._store = store
        self._draft_id = draft_id
        self._current = current
        self._show_value = show_value
        self._edited = edited
        self.base: dict[str, Any] | None = None
        self.theirs: dict[str, Any] = {}  # diverged field -> the stored (other device's) value
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.take_theirs_button = QPushButton(self.tr("Take Theirs"))
        self.take_theirs_button.clicked.connect(self.take_theirs)
        self.keep_mine_button = QPushButton(self.tr("Keep Mine"))
        self.keep_mine_button.clicked.connect(self.keep_mine)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 4, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.take_theirs_button)
        layout.addWidget(self.keep_mine_button)
        self.hide()
        self._changes = StoreChanges(store, self)
        self._changes.changed.connect(self._store_changed)
        # A window destroyed without closing (a test, a crash path) stops listening too.
        unsubscribe = self._changes.close
        self.destroyed.connect(lambda: unsubscribe())

    def close_feed(self) -> None:
        self._changes.close()

    def saved(self, fields: dict[str, Any]) -> None:
        """The composer stored ``fields`` (wire form): they are its base from now on, except a
        field still at odds with the other device's value: it keeps going out against the
        value the user started from, so the server reports the conflict with both texts."""
        old = self.base or {}
        self.base = {**fields, **{name: old.get(name) for name in self.theirs}}
        self.refresh()

    @Slot(object)
    def _store_changed(self, changes: ChangeSet) -> None:
        draft_id = self._draft_id()
        if draft_id is not None and draft_id in changes.drafts:
            self.refresh()

    def refresh(self) -> None:
        """Compare the stored draft with the base: adopt what the user has not touched, keep
        what the user changed differently and say so."""
        draft_id = self._draft_id()
        if self.base is None or draft_id is None:
            return
        stored = stored_fields(self._store, draft_id)
        if stored is None:
            return
        current = self._current()
        for name in SHOWN_FIELDS:
            theirs, base = stored[name], self.base.get(name)
            if theirs == base:
                continue
            if name in self.theirs:
                if theirs != current[name]:  # (equal: my own save, not yet answered)
                    self.theirs[name] = theirs
                continue
            if current[name] == base:
                self._show_value(name, theirs)
                self.base[name] = theirs
            elif current[name] == theirs:
                self.base[name] = theirs
                self.theirs.pop(name, None)
            else:
                self.theirs[name] = theirs
        if self.theirs:
            self.label.setText(
                self.tr(
                    "This draft was changed on another device. Your text is kept here; “Take"
                    " Theirs” shows the other version instead, “Keep Mine” replaces theirs with"
                    " yours. Until you choose, both are kept: the next sync lists them under"
                    " conflicts."
                )
            )
            self.show()

    @Slot()
    def take_theirs(self) -> None:
        # The other version goes on screen as the user's own edit: the next save stores it
        # (and replaces a text of mine already queued, so the server keeps theirs).
        for name, value in self.theirs.items():
            self._show_value(name, value)
        self.theirs.clear()
        self.hide()
        self._edited()

    @Slot()
    def keep_mine(self) -> None:
        # The user chose, having been told: my text now replaces theirs (the next save goes
        # out against their value). A save already queued against the old value still
        # reaches the server as a conflict, where both texts stay.
        assert self.base is not None
        self.base.update(self.theirs)
        self.theirs.clear()
        self.hide()
        self._edited()
