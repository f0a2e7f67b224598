"""The first-run page: a profile without accounts shows it instead of empty panes.

"Add Account…" triggers the window's File → Add Account… (the action `setup_window_sync` adds
once the store is open); "Try the Demo" starts `mailapp --demo` as a program of its own, with
a throw-away profile, so that the user's profile stays empty and theirs.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QProcess, Qt, Signal, Slot
from PySide6.QtGui import QAction, QFont, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mailapp.ui.common import icons

ADD_ACCOUNT_ACTION = "addAccountAction"  # window_sync.add_account_action's object name


def demo_command() -> tuple[str, list[str]]:
    """The program and arguments that open the demo in a window of its own."""
    frozen = bool(getattr(sys, "frozen", False))
    # The frozen bundle leaves the server out: its demo is the offline one.
    live = not frozen and importlib.util.find_spec("uvicorn") is not None
    arguments = ["--demo"] if live else ["--demo", "--offline"]
    if frozen:
        return sys.executable, arguments
    return sys.executable, ["-m", "mailapp", *arguments]


class WelcomePage(QWidget):
    addAccountClicked = Signal()
    demoClicked = Signal()
    painted = Signal()  # once, at the first paint

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._painted = False
        self.setObjectName("welcomePage")
        logo = QLabel()
        logo.setPixmap(icons.icon(icons.APP_ICON).pixmap(96, 96))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel(self.tr("Welcome to Mail"))
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            self.tr(
                "Mail keeps your mail on this computer, so you can read and write while "
                "offline; whatever you do is sent when you are back online.\n\n"
                "Add the account of your mail server to begin, or try the demo first: it "
                "opens in a window of its own and leaves this profile empty."
            )
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setMaximumWidth(520)
        # Centred between stretches, not by an alignment flag: the layout then asks the
        # wrapped label its height for the width it gets, and no line is cut off.
        text_row = QHBoxLayout()
        text_row.addStretch(1)
        text_row.addWidget(text, 4)
        text_row.addStretch(1)
        self.add_account_button = QPushButton(self.tr("&Add Account…"))
        self.add_account_button.setDefault(True)
        self.add_account_button.clicked.connect(self.addAccountClicked)
        self.demo_button = QPushButton(self.tr("Try the &Demo"))
        self.demo_button.clicked.connect(self.demoClicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_account_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(logo)
        layout.addWidget(title)
        layout.addSpacing(12)
        layout.addLayout(text_row)
        layout.addSpacing(18)
        layout.addLayout(buttons)
        layout.addStretch(3)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.painted.emit()


class Welcome(QObject):
    """Shows the page in `central` (over the panes) while `needed`; wires its buttons."""

    demoStarted = Signal(int)  # the demo program's process id

    def __init__(self, window: QMainWindow, central: QStackedWidget) -> None:
        super().__init__(window)
        self._window = window
        self._central = central
        self.page: WelcomePage | None = None  # made the first time it is needed

    @property
    def shown(self) -> bool:
        return self.page is not None and self._central.currentWidget() is self.page

    def set_needed(self, needed: bool, first_paint: Callable[[], None]) -> None:
        """`first_paint` is called once the page has painted: it stands in for the message
        list's first paint, which start-up waits for and which never comes while hidden."""
        if needed and self.page is None:
            self.page = WelcomePage()
            self.page.addAccountClicked.connect(self.add_account)
            self.page.demoClicked.connect(self.start_demo)
            self.page.painted.connect(first_paint)
            self._central.addWidget(self.page)
        if self.page is None:
            return
        self._central.setCurrentWidget(self.page if needed else self._central.widget(0))

    @Slot()
    def add_account(self) -> None:
        action = self._window.findChild(QAction, ADD_ACCOUNT_ACTION)
        if action is not None:
            action.trigger()
        else:  # the store opens right after the first paint, and the action with it
            self._window.statusBar().showMessage(
                self.tr("Your mail is still opening; try again in a moment."), 6000
            )

    @Slot()
    def start_demo(self) -> None:
        program, arguments = demo_command()
        started, pid = QProcess.startDetached(program, arguments)
        if started:
            self.demoStarted.emit(pid)
        else:
            self._window.statusBar().showMessage(self.tr("The demo could not be started."), 6000)
