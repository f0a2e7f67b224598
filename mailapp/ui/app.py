"""Starting the desktop app: QApplication, the profile's store, the main window."""

from __future__ import annotations

import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from mailapp import paths
from mailapp.cli import GuiOptions
from mailapp.store import MailStore, open_store
from mailapp.store.errors import StoreError
from mailapp.ui import icons
from mailapp.ui.crash_reporting import install_excepthook, log, setup_logging, show_error
from mailapp.ui.demo_profile import fill_demo
from mailapp.ui.main_window import MainWindow

EXIT_OK = 0
EXIT_STORE_ERROR = 2
EXIT_SCREENSHOT_FAILED = 3
# A screenshot of a window that never paints must still end.
SCREENSHOT_TIMEOUT_MS = 60_000


class ProfileError(Exception):
    """The profile folder itself is unusable; `message` tells the user what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _tr(text: str) -> str:
    return QCoreApplication.translate("app", text)


def _create_application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv)
    app.setApplicationName(paths.APP_NAME)
    app.setApplicationDisplayName(_tr("Mail"))
    app.setWindowIcon(icons.icon(icons.APP_ICON))
    return app


def _open_profile(options: GuiOptions, cleanup: ExitStack) -> MailStore:
    if options.profile is not None:
        profile = options.profile
    elif options.demo:
        profile = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="mailapp-demo-")))
    else:
        profile = paths.profile_dir()
    try:
        profile.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ProfileError(
            _tr(
                "Cannot create the profile folder {folder}: {reason}. "
                "Choose another folder with --profile or fix its permissions."
            ).format(folder=profile, reason=error.strerror or error)
        ) from error
    store = open_store(paths.store_path(profile))
    cleanup.callback(store.close)
    if options.demo and not store.accounts():
        fill_demo(store)
    return store


def _take_screenshot(window: MainWindow, target: Path, app: QApplication) -> None:
    image = window.grab()
    if image.isNull() or not image.save(str(target), "PNG"):
        show_error(_tr("Screenshot failed"), _tr("Could not write {file}.").format(file=target))
        app.exit(EXIT_SCREENSHOT_FAILED)
    else:
        app.exit(EXIT_OK)


def run(options: GuiOptions, argv: list[str]) -> int:
    app = _create_application(argv)
    log_file = paths.log_file()
    setup_logging(log_file)
    install_excepthook(log_file)
    with ExitStack() as cleanup:
        try:
            store = _open_profile(options, cleanup)
        except (StoreError, ProfileError) as error:
            log.error("Cannot open the mail store: %s", error.message)
            show_error(_tr("Cannot open your mail"), error.message)
            return EXIT_STORE_ERROR

        window = MainWindow(store)
        view = window.message_list
        screenshot = options.screenshot

        def first_paint() -> None:
            if options.report_first_paint:
                print(f"first-paint {time.time():.6f}", flush=True)
            if screenshot is not None:
                # Let the rest of the window finish its own first paint before grabbing it.
                QTimer.singleShot(0, lambda: _take_screenshot(window, screenshot, app))
            elif options.exit_after_first_paint:
                QTimer.singleShot(0, app.quit)

        view.firstPagePainted.connect(first_paint)
        if options.screenshot is not None:
            QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, lambda: app.exit(EXIT_SCREENSHOT_FAILED))
        window.show()
        status = app.exec()
        window.close()
        return status
