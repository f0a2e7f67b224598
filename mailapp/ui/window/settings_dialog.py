"""Edit → Settings: offline window, sync interval, undo-send delay, remote content, keys,
"do not disturb"."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMainWindow,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mailapp.store import MailStore
from mailapp.store.replica_bodies import ALL_MAIL
from mailapp.store.settings import AppSettings, RemoteContent, load_settings, save_settings
from mailapp.ui.common import theme
from mailapp.ui.common.menus import menu_titled


class SettingsDialog(QDialog):
    """Shows the profile's settings; OK saves them (`saved` carries the new values)."""

    saved = Signal(object)  # AppSettings

    def __init__(self, store: MailStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self._store = store
        current = load_settings(store)
        limits = AppSettings.model_fields

        self.offline_combo = QComboBox()
        self.offline_combo.addItem(self.tr("Recent mail"), False)
        self.offline_combo.addItem(self.tr("All mail"), True)
        self.prefetch_spin = QSpinBox()
        self.prefetch_spin.setRange(0, _upper(limits["prefetch_days"].metadata, 3650))
        self.prefetch_spin.setSuffix(self.tr(" days"))
        self.prefetch_spin.setSpecialValueText(self.tr("None (download when opened)"))
        self.offline_combo.currentIndexChanged.connect(self._offline_mode_changed)
        self._show_prefetch(current.prefetch_days)
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(1, _upper(limits["sync_interval_minutes"].metadata, 1440))
        self.interval_spin.setSuffix(self.tr(" min"))
        self.interval_spin.setValue(current.sync_interval_minutes)
        self.undo_spin = QSpinBox()
        self.undo_spin.setRange(0, _upper(limits["undo_send_seconds"].metadata, 60))
        self.undo_spin.setSuffix(self.tr(" s"))
        self.undo_spin.setSpecialValueText(self.tr("Off (send at once)"))
        self.undo_spin.setValue(current.undo_send_seconds)
        self.remote_combo = QComboBox()
        self.remote_combo.addItem(self.tr("Always ask"), RemoteContent.ASK)
        self.remote_combo.addItem(
            self.tr("Load from senders I have written to"), RemoteContent.KNOWN_SENDERS
        )
        self.remote_combo.setCurrentIndex(self.remote_combo.findData(current.remote_content))
        self.single_key_check = QCheckBox(self.tr("Move with single &keys: j, k, n and p"))
        self.single_key_check.setChecked(current.single_key_shortcuts)
        self.do_not_disturb_check = QCheckBox(self.tr("Do not &disturb: no new-mail notices"))
        self.do_not_disturb_check.setChecked(current.do_not_disturb)
        self.compose_html_check = QCheckBox(self.tr("Write &formatted mail (HTML)"))
        self.compose_html_check.setChecked(current.compose_html)
        self.signature_below_check = QCheckBox(self.tr("Put the &signature below the quote"))
        self.signature_below_check.setChecked(current.signature_below_quote)

        form = QFormLayout()
        form.addRow(self.tr("Keep mail &bodies offline:"), self.offline_combo)
        form.addRow(self.tr("Recent &means the last:"), self.prefetch_spin)
        form.addRow(self.tr("Check for new mail &every:"), self.interval_spin)
        form.addRow(self.tr("&Undo send for:"), self.undo_spin)
        form.addRow(self.tr("&Remote images:"), self.remote_combo)
        form.addRow(self.tr("Keyboard:"), self.single_key_check)
        form.addRow(self.tr("Notifications:"), self.do_not_disturb_check)
        form.addRow(self.tr("Composing:"), self.compose_html_check)
        form.addRow("", self.signature_below_check)
        note = QLabel(
            self.tr(
                "Older messages are downloaded when you open them. New mail arrives at once "
                "while the server is reachable; the interval is a fallback. Remote images are "
                "otherwise loaded only when you ask, one message at a time."
            )
        )
        note.setWordWrap(True)
        # Secondary text, but readable: a disabled label's grey is below 4.5:1 in the dark scheme.
        note_palette = note.palette()
        note_palette.setColor(
            QPalette.ColorRole.WindowText,
            theme.secondary_text(note_palette, QPalette.ColorRole.Window),
        )
        note.setPalette(note_palette)
        self.note = note

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        defaults = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        defaults.clicked.connect(self.restore_defaults)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)

    def values(self) -> AppSettings:
        return AppSettings(
            prefetch_days=ALL_MAIL
            if self.offline_combo.currentData()
            else self.prefetch_spin.value(),
            sync_interval_minutes=self.interval_spin.value(),
            undo_send_seconds=self.undo_spin.value(),
            remote_content=RemoteContent(self.remote_combo.currentData()),
            single_key_shortcuts=self.single_key_check.isChecked(),
            do_not_disturb=self.do_not_disturb_check.isChecked(),
            compose_html=self.compose_html_check.isChecked(),
            signature_below_quote=self.signature_below_check.isChecked(),
        )

    @Slot()
    def restore_defaults(self) -> None:
        defaults = AppSettings()
        self._show_prefetch(defaults.prefetch_days)
        self.interval_spin.setValue(defaults.sync_interval_minutes)
        self.undo_spin.setValue(defaults.undo_send_seconds)
        self.remote_combo.setCurrentIndex(self.remote_combo.findData(defaults.remote_content))
        self.single_key_check.setChecked(defaults.single_key_shortcuts)
        self.do_not_disturb_check.setChecked(defaults.do_not_disturb)
        self.compose_html_check.setChecked(defaults.compose_html)
        self.signature_below_check.setChecked(defaults.signature_below_quote)

    def _show_prefetch(self, days: int) -> None:
        everything = days == ALL_MAIL
        self.offline_combo.setCurrentIndex(self.offline_combo.findData(everything))
        if not everything:
            self.prefetch_spin.setValue(days)
        self.prefetch_spin.setEnabled(not everything)

    @Slot(int)
    def _offline_mode_changed(self, _index: int) -> None:
        self.prefetch_spin.setEnabled(not self.offline_combo.currentData())

    def accept(self) -> None:
        settings = self.values()
        save_settings(self._store, settings)
        self.saved.emit(settings)
        super().accept()


def _upper(metadata: list[object], fallback: int) -> int:
    """The model's own `le` bound, so the spin box and validation never disagree."""
    for item in metadata:
        le = getattr(item, "le", None)
        if isinstance(le, int):
            return le
    return fallback


def add_settings_action(window: QMainWindow, store: MailStore) -> QAction:
    """Edit → Settings… (Preferences… on macOS, by role) opening the dialog for `store`."""
    action = QAction(QCoreApplication.translate("SettingsDialog", "Se&ttings…"), window)
    action.setMenuRole(QAction.MenuRole.PreferencesRole)
    action.setObjectName("settingsAction")

    def open_dialog() -> None:
        dialog = SettingsDialog(store, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        changed = getattr(window, "settingsChanged", None)  # the main window applies them
        if changed is not None:
            dialog.saved.connect(changed)
        dialog.open()

    action.triggered.connect(open_dialog)
    menu = menu_titled(window, "Edit") or window.menuBar().addMenu(
        QCoreApplication.translate("MainWindow", "&Edit")
    )
    menu.addSeparator()
    menu.addAction(action)
    return action
