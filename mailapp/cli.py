"""The `mailapp` command. Parses arguments without importing Qt; the window is loaded lazily."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mailapp import __version__

# Set in the child environment to get "first-paint <unix time>" on stdout once the message list
# has painted its first page (used by tests/bench/bench_startup.py).
REPORT_FIRST_PAINT_ENV = "MAILAPP_REPORT_FIRST_PAINT"
# Set together with the above to quit right after reporting, so a benchmark can reap the child.
EXIT_AFTER_FIRST_PAINT_ENV = "MAILAPP_EXIT_AFTER_FIRST_PAINT"


EXIT_NO_DISPLAY = 2


@dataclass(frozen=True)
class GuiOptions:
    profile: Path | None  # None: the default profile (or a throw-away one with demo)
    demo: bool
    screenshot: Path | None
    report_first_paint: bool
    exit_after_first_paint: bool


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailapp", description="An offline-first desktop email client."
    )
    parser.add_argument("--version", action="version", version=f"mailapp {__version__}")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="open the profile in DIR (its mail cache is DIR/mail.sqlite3)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open a fresh profile filled with demo mail (with --profile: fill DIR if it is new)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE.png",
        help="render the main window offscreen to FILE.png once the message list shows, then exit",
    )
    return parser


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def _no_display() -> bool:
    """True on Linux/BSD when Qt would abort for want of a display server."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return False
    if os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options = GuiOptions(
        profile=args.profile,
        demo=args.demo,
        screenshot=args.screenshot,
        report_first_paint=_env_flag(REPORT_FIRST_PAINT_ENV),
        exit_after_first_paint=_env_flag(EXIT_AFTER_FIRST_PAINT_ENV),
    )
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
    from mailapp.ui.app import run  # Qt is loaded only for the window, never for subcommands

    return run(options, argv=[sys.argv[0] if sys.argv else "mailapp"])
