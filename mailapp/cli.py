"""The `mailapp` command. Parses arguments without importing Qt; the window is loaded lazily."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mailapp import __version__
from mailapp.gui_options import GuiOptions

# Set in the child environment to get "first-paint <unix time>" on stdout once the message list
# has painted its first page (used by tests/bench/bench_startup.py).
REPORT_FIRST_PAINT_ENV = "MAILAPP_REPORT_FIRST_PAINT"
# Set together with the above to quit right after reporting, so a benchmark can reap the child.
EXIT_AFTER_FIRST_PAINT_ENV = "MAILAPP_EXIT_AFTER_FIRST_PAINT"


EXIT_NO_DISPLAY = 2
EXIT_NO_SERVER = 2  # --demo in a build without the server extras (the frozen bundle)
# What the in-process demo server imports (the "server" extra); the bundle leaves them out.
DEMO_SERVER_MODULES = ("uvicorn", "fastapi")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailapp",
        description="An offline-first desktop email client.",
        epilog="Without a window: 'mailapp account add --help' and 'mailapp sync --help'.",
    )
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0, help="show the installed version and exit"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="open the profile in DIR (its mail cache is DIR/mail.sqlite3)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start a demo sync server in this process with two users, sign in as the first "
        "and sync (with --offline or --profile: local demo mail, no server)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="with --demo: a profile filled with demo mail, no server",
    )
    parser.add_argument(
        "--second-device",
        action="store_true",
        help="with --demo: also open a second window, another device of the same user",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE.png",
        help="render the main window offscreen to FILE.png once the message list shows and the "
        "first sync is over, then exit (with --second-device: both windows, side by side)",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="check an installation: open a throw-away profile offscreen, migrate its store, "
        "render the main window, exit 0 if all of that worked",
    )
    parser.add_argument(
        "link",
        nargs="?",
        metavar="mailto:…",
        help="write a message: a composer filled in from the mailto: link, in the app already "
        "running for the profile if there is one",
    )
    return parser


def installed_version() -> str:
    """The version the installer recorded (pyproject's, via the wheel or bundle metadata).

    Read only for --version: importlib.metadata costs start-up time, hence the constant
    mailapp.__version__ (kept equal to pyproject by a test) used as the fallback.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mailapp")
    except PackageNotFoundError:  # a source tree that was never installed
        return __version__


class _VersionAction(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        print(f"mailapp {installed_version()}")
        parser.exit()


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def _no_display() -> bool:
    """True on Linux/BSD when Qt would abort for want of a display server."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return False
    if os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


HEADLESS_COMMANDS = ("account", "sync")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in HEADLESS_COMMANDS:
        from mailapp.sync.headless import main as headless_main  # Qt-free

        return headless_main(arguments)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.link is not None and not args.link.lower().startswith("mailto:"):
        parser.error(f"not a mailto: link: {args.link}")
    if args.smoke_test:
        return smoke_test()
    options = GuiOptions(
        profile=args.profile,
        demo=args.demo,
        screenshot=args.screenshot,
        report_first_paint=_env_flag(REPORT_FIRST_PAINT_ENV),
        exit_after_first_paint=_env_flag(EXIT_AFTER_FIRST_PAINT_ENV),
        demo_offline=args.offline,
        second_device=args.second_device,
        mailto=args.link,
    )
    if options.live_demo and not _server_extras_installed():
        print(
            "mailapp: the live demo needs the sync server, which this build does not include "
            "(no module named 'uvicorn'). This build offers the offline demo: "
            "mailapp --demo --offline",
            file=sys.stderr,
        )
        return EXIT_NO_SERVER
    if options.screenshot is not None:
        # The platform plugin is chosen when QApplication is created, so this must come first.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif _no_display():
        print(
            "mailapp: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set). Start it "
            "from a desktop session, or render a picture with --screenshot FILE.png.",
            file=sys.stderr,
        )
        return EXIT_NO_DISPLAY
    # The collector is paused for start-up (see mailapp.ui.app.run, which resumes it at the first
    # paint); importing Qt is where it would otherwise run most: ~40 passes, ~6 ms.
    gc.disable()
    from mailapp.ui.app import run  # Qt is loaded only for the window, never for subcommands

    return run(options, argv=[sys.argv[0] if sys.argv else "mailapp"])


def _server_extras_installed() -> bool:
    """Whether `--demo` can start its server here, found without importing it (slow)."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in DEMO_SERVER_MODULES)


def _keyring_backends() -> list[str]:
    """The keyring backends this installation can load (a bundle may lack their metadata)."""
    from importlib.metadata import entry_points

    loadable = []
    for entry in entry_points(group="keyring.backends"):
        try:
            entry.load()
        except Exception:  # a backend that cannot load here is simply not offered
            continue
        loadable.append(entry.name)
    return sorted(loadable)


def _missing_text_services() -> list[str]:
    """What Qt asks ICU for and does not get: on Linux the bundle ships a trimmed ICU data
    library (packaging/pyinstaller/icu_data.py), which must still serve these."""
    from PySide6.QtCore import QCollator, QLocale, QStringDecoder, QTimeZone

    german = QLocale(QLocale.Language.German, QLocale.Country.Germany)
    missing = []
    if not (QStringDecoder("windows-1252").isValid() and QStringDecoder("Shift_JIS").isValid()):
        missing.append("charset converters")
    if QCollator(german).compare("a", "B") >= 0:  # without collation data: code-point order
        missing.append("collation")
    zone = QTimeZone(b"Europe/Berlin").displayName(
        QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName, german
    )
    if not zone or zone.startswith(("GMT", "UTC")):
        missing.append("time-zone names")
    if german.toUpper("straße") != "STRASSE":
        missing.append("case mapping")
    return missing


def smoke_test() -> int:
    """`mailapp --smoke-test`: what installers and CI run to prove a build starts.

    It takes the app's real start-up path (the screenshot mode) on a fresh profile, so the store
    is created through every migration and the main window must paint; then checks what a
    frozen bundle most often lacks: the migration scripts, the bundled icons, a keyring backend.
    """
    import shutil
    import tempfile

    from mailapp import paths

    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    folder = Path(tempfile.mkdtemp(prefix="mailapp-smoke-"))
    try:
        picture = folder / "window.png"
        options = GuiOptions(
            profile=folder / "profile",
            demo=False,
            screenshot=picture,
            report_first_paint=False,
            exit_after_first_paint=False,
        )
        from mailapp.ui.app import run

        status = run(options, argv=[sys.argv[0] if sys.argv else "mailapp"])
        problems = [] if status == 0 else [f"the app exited with status {status}"]
        header = picture.read_bytes()[:24] if picture.is_file() else b""
        if not header.startswith(b"\x89PNG"):
            problems.append("the main window was not rendered")
        else:
            width, height = int.from_bytes(header[16:20]), int.from_bytes(header[20:24])
            print(f"smoke-test: main window rendered at {width}x{height}")
        import sqlite3

        from mailapp.store.migrate import head_revision

        store = sqlite3.connect(paths.store_path(options.profile or folder))
        try:
            revision = store.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error as error:
            revision = (f"unreadable ({error})",)
        finally:
            store.close()
        if revision is None or revision[0] != head_revision():
            problems.append(f"the store is at {revision}, not at {head_revision()}")
        else:
            print(f"smoke-test: store created and migrated to {revision[0]}")
        if not paths.resource("icons", "mailapp.svg").is_file():
            problems.append(f"the icons are missing from {paths.resources_dir()}")
        from mailapp.ui.translations import catalog  # Qt is loaded by now anyway

        if catalog("de") is None:
            problems.append(f"the German translation is missing from {paths.resources_dir()}")
        else:
            print("smoke-test: German translation found")
        if sys.platform.startswith("linux"):
            missing = _missing_text_services()
            problems += [f"Qt's ICU data lacks {what}" for what in missing]
            if not missing:
                print("smoke-test: Qt's text services (ICU) answer")
        print(f"smoke-test: keyring backends {', '.join(_keyring_backends())}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for problem in problems:
        print(f"smoke-test: FAILED: {problem}", file=sys.stderr)
    print("smoke-test: ok" if not problems else "smoke-test: failed", flush=True)
    return 0 if not problems else 1
