"""Saving a composer's draft, and closing it without losing text (a mixin of ``Composer``).

Every edit marks the window dirty and arms the autosave timers (``composer_autosave``); a save
changes the stored draft against the version the window works on (``composer_base``) and
records the draft as open, so a crash leaves a trace that ``draft_recovery`` offers back.
When the store refuses (a full disk) the unsaved bar says why (``composer_unsaved``), the
timers retry, and the window will not close while its text is stored nowhere. Texts are
translated in the "Composer" context, named literally: pyside6-lupdate would file ``self.tr()``
here under this mixin's name.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QTime, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel

from mailapp.store import DraftInput, MailStore
from mailapp.store.drafts import wire_fields
from mailapp.store.errors import StoreError
from mailapp.store.outbox_admin import mark_composer_closed, mark_composer_open
from mailapp.ui.common.crash_reporting import log
from mailapp.ui.composer.composer_autosave import AutosaveTimers, why_not_saved
from mailapp.ui.composer.composer_base import DraftBase
from mailapp.ui.composer.composer_unsaved import FileCopy, UnsavedBar


class ComposerSaving:
    """The composer's save half; ``Composer`` sets up the widgets and state used here."""

    _store: MailStore
    draft_id: str | None
    _dirty: bool
    _finished: bool
    _marked_open: bool
    _autosave: AutosaveTimers
    draft_base: DraftBase
    file_copy: FileCopy
    unsaved_bar: UnsavedBar
    save_status: QLabel
    draftSaved: Signal
    _draft_input: Callable[..., DraftInput]  # Composer._draft_input
    _update_title: Callable[[], None]  # Composer._update_title

    @Slot()
    def _edited(self) -> None:
        self._dirty = True
        self._update_title()
        self._autosave.edited()

    @property
    def unsaved(self) -> bool:
        """True while the window holds text that is stored nowhere (not even in a file)."""
        if not self._dirty:
            return False
        return not self.file_copy.holds(self._draft_input(strict=False))

    @Slot()
    def save(self) -> str | None:
        """Save now if anything changed; returns the draft id (None while nothing is saved).

        When the store refuses (a full disk), the window says so and retries on a timer."""
        if not self._dirty:
            self._autosave.saved()
            return self.draft_id
        try:
            draft = self._draft_input(strict=False)
            fields = wire_fields(draft)
            draft_id = self._store.save_draft(draft, base=self.draft_base.base)
        except StoreError as error:
            log.warning("The draft could not be saved: %s", error.message)
            self._autosave.failed()
            self.unsaved_bar.show_reason(why_not_saved(error), closing=False)
            self.save_status.setText(QCoreApplication.translate("Composer", "Not saved"))
            return None
        self._autosave.saved()
        self.draft_id = draft_id
        self._dirty = False
        self.draft_base.saved(fields)
        self._mark_open()
        self.unsaved_bar.hide()
        self.save_status.setText(
            QCoreApplication.translate("Composer", "Draft saved at {time}").format(
                time=QLocale().toString(QTime.currentTime(), QLocale.FormatType.ShortFormat)
            )
        )
        self.draftSaved.emit(draft_id)
        return draft_id

    def _mark_open(self) -> None:
        """Record the draft as open, for crash recovery; the draft itself is stored already."""
        if self._marked_open or self.draft_id is None:
            return
        try:
            mark_composer_open(self._store, self.draft_id)
        except StoreError as error:  # tried again at the next save
            log.warning("The draft could not be marked open: %s", error.message)
        else:
            self._marked_open = True

    def changeEvent(self, event: QEvent) -> None:
        # Another window (or program) takes the focus: what was typed is saved now.
        deactivated = event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow()
        if deactivated and self._dirty and not self._finished:
            self.save()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._finished:
            self.save()
            if self.unsaved:
                # Closing now would throw the text away: keep the window, say why, retry.
                event.ignore()
                self.unsaved_bar.show_reason(self.unsaved_bar.reason, closing=True)
                self.raise_()
                return
            self._finished = True
            self._autosave.saved()
            self.draft_base.close_feed()
            if self._marked_open and self.draft_id is not None:
                try:
                    mark_composer_closed(self._store, self.draft_id)
                except StoreError as error:  # the draft is stored; at worst it is offered back
                    log.warning("The draft could not be marked closed: %s", error.message)
        super().closeEvent(event)
