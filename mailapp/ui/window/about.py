"""Help → About Mail (F1): the version, the licences, and where the log is."""

from __future__ import annotations

import platform
from html import escape
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from mailapp import __version__, paths
from mailapp.ui.common import icons


def licence_lines() -> list[tuple[str, str]]:
    """(component, its licence) for what the app is made of and ships."""
    return [
        ("Mail", "MIT"),
        (f"Qt {qVersion()}", "LGPL v3"),
        (f"PySide6 {PySide6.__version__}", "LGPL v3"),
        (f"Python {platform.python_version()}", "PSF License"),
        ("SQLAlchemy, pydantic, nh3, keyring, platformdirs", "MIT"),
        ("imapclient, requests", "BSD 3-Clause, Apache 2.0"),
    ]


class AboutDialog(QDialog):
    def __init__(self, log_file: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About Mail"))
        self.log_file = log_file if log_file is not None else paths.log_file()
        logo = QLabel()
        logo.setPixmap(icons.icon(icons.APP_ICON).pixmap(64, 64))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.version_label = QLabel(
            self.tr("<h2>Mail {version}</h2>An offline-first mail client.").format(
                version=escape(__version__)
            )
        )
        self.version_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        rows = "".join(
            f"<tr><td>{escape(name)}</td><td style='padding-left: 12px'>{escape(licence)}</td></tr>"
            for name, licence in licence_lines()
        )
        title = escape(self.tr("Licences"))
        self.licences_label = QLabel(f"<b>{title}</b><table>{rows}</table>")
        self.log_label = QLabel(
            self.tr("<b>Log file</b><br>{path}<br>Attach it when you report a problem.").format(
                path=escape(str(self.log_file))
            )
        )
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (logo, self.version_label, self.licences_label, self.log_label):
            layout.addWidget(widget)
        layout.addWidget(buttons)
