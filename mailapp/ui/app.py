"""Starting the desktop app: QApplication, the profile's store, the main window."""

from __future__ import annotations

import importlib
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from mailapp import paths
from mailapp.gui_options import GuiOptions
from mailapp.ui import translations
from mailapp.ui.common import icons, ui_gc
from mailapp.ui.common.crash_reporting import (
    install_excepthook,
    log,
    setup_logging,
    show_error,
    show_warning,
)

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.ui.window.main_window import MainWindow

# The reverse-DNS id of the desktop file, AppStream metainfo and icons in packaging/linux; Wayland
# compositors match windows to the desktop file (and so the icon) by this name.
APP_ID = "org.mailapp.MailApp"
EXIT_OK = 0
EXIT_PROFILE_ERROR = 10  # the profile folder cannot be created: as a store that cannot open
EXIT_SCREENSHOT_FAILED = 3
EXIT_DEMO_FAILED = 4
# A screenshot of a window that never paints must still end.
SCREENSHOT_TIMEOUT_MS = 60_000
# The collector, paused for start-up, resumes at the first paint or after this long, whichever
# comes first (a window started hidden may not paint for hours).
GC_PAUSE_LIMIT_MS = 5_000


class ProfileError(Exception):
    """The profile folder itself is unusable; `message` tells the user what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _exit_code(error: Exception) -> int:
    """A StoreError's own exit code (README.md lists them), 10 for an unusable profile folder."""
    return getattr(error, "exit_code", EXIT_PROFILE_ERROR)


# Spelled out at each call, as translate("Context", "text"), for pyside6-lupdate to find.
translate = QCoreApplication.translate


def _create_application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv)
    # Before any text is made: widgets translate their texts when they are created.
    translations.install(app)
    app.setApplicationName(paths.APP_NAME)
    app.setApplicationDisplayName(translate("app", "Mail"))
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(icons.icon(icons.APP_ICON))
    return app


def _open_profile(options: GuiOptions, cleanup: ExitStack) -> MailStore:
    if options.profile is not None:
        profile = options.profile
    elif options.demo:
        profile = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="mailapp-demo-")))
    else:
        profile = paths.profile_dir()
    from mailapp.store.files import make_private_dir  # stdlib only

    try:
        make_private_dir(profile)  # 0700: the profile holds the user's mail
    except OSError as error:
        raise ProfileError(
            translate(
                "app",
                "Cannot create the profile folder {folder}: {reason}. "
                "Choose another folder with --profile or fix its permissions.",
            ).format(folder=profile, reason=error.strerror or error)
        ) from error
    from mailapp.store import open_store  # with the collector paused, see run()
    from mailapp.store.migrate import upgrade_pending

    path = paths.store_path(profile)
    if upgrade_pending(path):
        # Tens of seconds for a large mailbox: shown, and off the UI thread.
        from mailapp.ui.window.store_upgrade import run_with_progress

        store = run_with_progress(lambda progress: open_store(path, progress))
    else:
        store = open_store(path)
    cleanup.callback(store.close)
    for notice in store.notices:  # e.g. an empty database file was set aside
        log.warning("%s", notice)
        show_warning(translate("app", "Your mail database was empty"), notice)
    if options.demo and not options.live_demo and not store.accounts():
        # Imported only here: the demo generator and the MIME parser would slow every start.
        from mailapp.ui.demo_profile import fill_demo

        fill_demo(store)
    return store


def start_logging(log_file: Path) -> logging.Handler:
    """The log file, with bearer tokens and passwords blanked out of every record."""
    from mailapp.sync.redact import SecretFilter  # re and logging only: cheap at start-up

    handler = setup_logging(log_file)
    handler.addFilter(SecretFilter())
    return handler


def _take_screenshot(windows: list[MainWindow], target: Path, app: QApplication) -> None:
    from mailapp.ui import screenshot

    if not screenshot.save(windows, target):
        show_error(
            translate("app", "Screenshot failed"),
            translate("app", "Could not write {file}.").format(file=target),
        )
        app.exit(EXIT_SCREENSHOT_FAILED)
        return
    # Says what the picture shows, which is not always what was hoped for (the server away).
    shown = "; ".join(screenshot.status_text(window) for window in windows)
    print(translate("app", "Saved {file}: {status}").format(file=target, status=shown), flush=True)
    app.exit(EXIT_OK)


def _resume_gc() -> None:
    # What start-up created mostly lives as long as the app: frozen out of later scans; from
    # here on cycles are collected on the UI thread only (ui_gc says why).
    ui_gc.resume()


def run(options: GuiOptions, argv: list[str]) -> int:
    # Start-up creates ~90,000 objects the cyclic collector tracks, nearly all living as long as
    # the app (modules, classes, SQLAlchemy's and Qt's wrappers); the collector ran ~100 times
    # over them before the first paint, 10-20 % of start-up CPU, and freed next to nothing. So it
    # is paused until the message list has painted, and the store and the window are imported
    # in _start(), inside the pause, rather than at the top of this module.
    ui_gc.pause()
    try:
        return _start(options, argv)
    finally:
        _resume_gc()


def _start(options: GuiOptions, argv: list[str]) -> int:
    from mailapp.store.errors import StoreError

    app = _create_application(argv)
    instance = _instance_name(options)
    if instance is not None:
        from mailapp.ui.single_instance import send_to_running

        request = {"mailto": options.mailto} if options.mailto else {"activate": True}
        if send_to_running(instance, request):
            return EXIT_OK  # the app already running for this profile took it
    opened: list[Path] = []

    def open_log() -> Path:
        if not opened:
            opened.append(paths.log_file())
            start_logging(opened[0])
        return opened[0]

    install_excepthook(open_log)  # an error before the log is open opens it
    with ExitStack() as cleanup:
        windows = _open_first_screen(options, cleanup, app)
        if windows:
            # The log can wait for the first paint: the file, its filter and (with --profile)
            # platformdirs cost ~5 ms of a start that logs nothing before it.
            _once_started(windows[0], open_log)
        else:
            open_log()
            try:
                store = _open_profile(options, cleanup)
            except (StoreError, ProfileError) as error:
                log.error("Cannot open the mail store: %s", error.message)
                show_error(translate("app", "Cannot open your mail"), error.message)
                return _exit_code(error)
            windows = _open_windows(options, store, cleanup)
        if not windows:
            return EXIT_DEMO_FAILED
        window = windows[0]
        view = window.message_list
        screenshot = options.screenshot
        if instance is not None:
            _once_started(window, lambda: _serve_requests(window, instance))
        if options.mailto is not None:
            QTimer.singleShot(0, lambda: _open_mailto(window, options.mailto or ""))
        ready = None
        if screenshot is not None:
            from mailapp.ui.screenshot import ScreenshotWhenReady

            # After the first paint and the first sync: what the user would see.
            ready = ScreenshotWhenReady(
                windows, lambda shown: _take_screenshot(shown, screenshot, app)
            )

        def first_paint() -> None:
            if options.report_first_paint:
                print(f"first-paint {time.time():.6f}", flush=True)
            _resume_gc()
            if ready is not None:
                # Let the rest of the window finish its own first paint before grabbing it.
                QTimer.singleShot(0, ready.painted)
            elif options.exit_after_first_paint:
                QTimer.singleShot(0, app.quit)

        view.firstPagePainted.connect(first_paint)
        QTimer.singleShot(GC_PAUSE_LIMIT_MS, _resume_gc)
        if options.screenshot is not None:
            QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, lambda: app.exit(EXIT_SCREENSHOT_FAILED))
        for shown in windows:
            shown.show()
        status = app.exec()
        for shown in windows:
            shown.close()
        return status


def _instance_name(options: GuiOptions) -> str | None:
    """The profile's single-instance socket (mailapp.ui.single_instance); None for starts that
    stand alone: demos (a profile of their own) and screenshots (--smoke-test among them)."""
    if options.demo or options.screenshot is not None:
        return None
    from mailapp.ui.single_instance import instance_name

    return instance_name(options.profile if options.profile is not None else paths.profile_dir())


def _serve_requests(window: MainWindow, name: str) -> None:
    from mailapp.ui.mailto_compose import serve_requests

    serve_requests(window, name)


def _open_mailto(window: MainWindow, link: str) -> None:
    from mailapp.ui.mailto_compose import open_mailto

    open_mailto(window, link)


def _after_first_paint(window: MainWindow, store: MailStore, cleanup: ExitStack) -> None:
    """Sync, its menus, and the offer of drafts a crash interrupted: none is needed to paint."""
    from mailapp.ui.composer.draft_recovery import offer_recovered_drafts
    from mailapp.ui.window.window_sync import setup_window_sync

    setup_window_sync(window, store, cleanup)
    # After the first paint, like sync: a draft interrupted by a crash is offered back.
    offer_recovered_drafts(store, window)


def _once_started(window: MainWindow, callback: Callable[[], object]) -> None:
    """Run `callback` once, after the first paint of the message list (or a few seconds)."""
    pending = [callback]

    def run_once() -> None:
        if pending:
            pending.pop()()

    window.message_list.firstPagePainted.connect(lambda: QTimer.singleShot(0, run_once))
    QTimer.singleShot(GC_PAUSE_LIMIT_MS, run_once)


def _open_first_screen(
    options: GuiOptions, cleanup: ExitStack, app: QApplication
) -> list[MainWindow]:
    """The window painted from a snapshot of an up-to-date store, which itself opens right after
    the first paint: SQLAlchemy's imports would otherwise delay it by a third (see
    mailapp.store.first_screen). Empty when the store must open first: the demos, screenshots
    (they show the complete window), a new, outdated or unreadable store file."""
    if options.demo or options.live_demo or options.screenshot is not None:
        return []
    from mailapp.store.first_screen import read_first_screen
    from mailapp.ui.mailbox.message_list_model import DEFAULT_PAGE_SIZE

    profile = options.profile if options.profile is not None else paths.profile_dir()
    snapshot = read_first_screen(paths.store_path(profile), DEFAULT_PAGE_SIZE)
    if snapshot is None:
        return []
    from mailapp.ui.window.main_window import MainWindow

    window = MainWindow(first_screen=snapshot)
    if not options.exit_after_first_paint:
        loader = _ModuleLoader(_STORE_MODULES, window)
        loader.loaded.connect(lambda: _complete_window(window, options, cleanup, app))
        _once_started(window, loader.start)
    return [window]


# What opening the store imports: SQLAlchemy with the schema and queries, ~150 ms.
_STORE_MODULES = ("mailapp.store.store", "mailapp.store.views")


class _ModuleLoader(QObject):
    """Imports modules on a worker thread, so that a painted window keeps answering input
    meanwhile; `loaded` is emitted on this object's (the UI) thread when they are in, or failed
    (then the import on the UI thread raises the error where it is handled)."""

    loaded = Signal()
    _finished = Signal()

    def __init__(self, modules: tuple[str, ...], parent: QObject) -> None:
        super().__init__(parent)
        self._modules = modules
        self._finished.connect(self.loaded, Qt.ConnectionType.QueuedConnection)

    @Slot()
    def start(self) -> None:
        ui_gc.pause()  # as in run(): these imports create objects that live as long as the app
        threading.Thread(target=self._load, name="mailapp-imports", daemon=True).start()

    def _load(self) -> None:
        with suppress(Exception):  # reported when the UI thread imports the module again
            for module in self._modules:
                importlib.import_module(module)
        self._finished.emit()


def _complete_window(
    window: MainWindow, options: GuiOptions, cleanup: ExitStack, app: QApplication
) -> None:
    """Opens the store for a window painted from its first screen, then starts sync."""
    from mailapp.store.errors import StoreError

    ui_gc.pause()  # as in run(): the store's imports create objects that live as long as the app
    try:
        store = _open_profile(options, cleanup)
    except (StoreError, ProfileError) as error:
        log.error("Cannot open the mail store: %s", error.message)
        show_error(translate("app", "Cannot open your mail"), error.message)
        app.exit(_exit_code(error))
        return
    else:
        window.attach_store(store)
    finally:
        _resume_gc()
    _after_first_paint(window, store, cleanup)


def _open_windows(options: GuiOptions, store: MailStore, cleanup: ExitStack) -> list[MainWindow]:
    """The main window with sync for its account; with --demo, the demo server and devices."""
    from mailapp.ui.window.main_window import MainWindow

    if not options.live_demo:
        window = MainWindow(store)
        if options.screenshot is not None:
            from mailapp.ui.window.window_sync import setup_window_sync

            # A signed-in profile's picture shows it synced (or why not), never "Local only".
            setup_window_sync(window, store, cleanup)
        elif not options.exit_after_first_paint:
            # Sync, its menus and their imports (pydantic, the wire schemas, keyring) are not
            # needed to paint the message list: start them right after it has painted.
            _once_started(window, lambda: _after_first_paint(window, store, cleanup))
        return [window]
    from mailapp.ui.demo_live import open_live_demo

    try:
        return open_live_demo(store, cleanup, second_device=options.second_device)
    except Exception as error:  # the demo server or its sign-in: say so instead of a trace
        log.exception("the live demo could not start")
        show_error(translate("app", "The demo could not start"), str(error))
        return []
