"""`mailapp account add` and `mailapp sync`: the sync engine without a window.

Each command prints ONE summary line on stdout and exits with a code that says what happened;
failures are explained in words, never with a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mailapp import paths
from mailapp.store.errors import StoreError
from mailapp.sync import redact
from mailapp.sync.errors import (
    AuthError,
    OfflineError,
    ProtocolError,
    SyncError,
    TlsError,
    TransientError,
)

if TYPE_CHECKING:
    from mailapp.store import MailStore

# The store (SQLAlchemy), the engine (pydantic) and the client (requests) are imported where
# used: `sync --once` with nothing changed is answered without them (mailapp.sync.quiet).

EXIT_OK = 0
EXIT_ATTENTION = 1  # synced, but some changes were refused or conflict: the user must look
EXIT_USAGE = 2
EXIT_OFFLINE = 3
EXIT_AUTH = 4
EXIT_TLS = 5
EXIT_PROTOCOL = 6
EXIT_SERVER = 7  # the server failed or refused the request
EXIT_INTERNAL = 70
LOOP_INTERVAL = 60.0


def _exit_code(error: SyncError) -> int:
    for kind, code in (
        (OfflineError, EXIT_OFFLINE),
        (AuthError, EXIT_AUTH),
        (TlsError, EXIT_TLS),
        (ProtocolError, EXIT_PROTOCOL),
        (TransientError, EXIT_SERVER),
    ):
        if isinstance(error, kind):
            return code
    return EXIT_SERVER


def _open(profile: Path) -> MailStore:
    from mailapp.store import open_store
    from mailapp.store.migrate import upgrade_pending

    path = paths.store_path(profile)
    if upgrade_pending(path):  # tens of seconds for a large mailbox: say so, or it looks hung
        print(
            "mailapp: updating the mail store for this version (once; a copy is kept first)…",
            file=sys.stderr,
            flush=True,
        )
    store = open_store(path)
    for notice in store.notices:  # e.g. an empty database file was set aside
        print(f"mailapp: {notice}", file=sys.stderr)
    return store


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n") or None
    if not sys.stdin.isatty():
        return None
    return getpass.getpass("Password: ") or None


def account_add(
    profile: Path, server: str, username: str, *, password_stdin: bool, insecure: bool
) -> int:
    from mailapp.sync.account import add_account

    password = _read_password(password_stdin)
    if password is None:
        print("mailapp account add: no password given (use --password-stdin).")
        return EXIT_USAGE
    try:
        with _open(profile) as store:
            signed_in = add_account(store, server, username, password, allow_insecure_http=insecure)
    except StoreError as exc:
        print(f"mailapp account add: {exc.message}")
        return exc.exit_code
    except SyncError as exc:
        print(f"mailapp account add: {exc.user_message}")
        return _exit_code(exc)
    except ValueError as exc:
        print(f"mailapp account add: {exc}")
        return EXIT_USAGE
    note = "" if signed_in.token_saved else " (no system keyring: sign-in not saved)"
    print(f"signed in {signed_in.email}{note}")
    return EXIT_OK


def _sync_all(store: MailStore, *, insecure: bool, batch_size: int) -> tuple[int, str]:
    from mailapp.store.replica import synced_accounts
    from mailapp.sync.account import client_for
    from mailapp.sync.engine import CycleReport, SyncEngine

    accounts = synced_accounts(store)
    if not accounts:
        return EXIT_USAGE, "mailapp sync: no account in this profile (mailapp account add)."
    total = CycleReport()
    for account in accounts:
        try:
            with client_for(store, account.account_id, allow_insecure_http=insecure) as client:
                engine = SyncEngine(store, client, account.account_id, batch_size=batch_size)
                report = engine.run_cycle()
        except SyncError as exc:
            return _exit_code(exc), (
                f"sync failed for {account.email}: {exc.user_message} ({total.summary()})"
            )
        total.pushed += report.pushed
        total.pulled += report.pulled
        total.conflicts += report.conflicts
        total.failed += report.failed
    code = EXIT_ATTENTION if total.conflicts or total.failed else EXIT_OK
    return code, f"synced: {total.summary()}"


def sync(
    profile: Path,
    *,
    once: bool,
    insecure: bool,
    interval: float = LOOP_INTERVAL,
    batch_size: int = 1000,
) -> int:
    if once:
        from mailapp.sync.quiet import sync_once_if_quiet

        line = sync_once_if_quiet(profile, insecure=insecure)
        if line is not None:
            print(line, flush=True)
            return EXIT_OK
    try:
        with _open(profile) as store:
            while True:
                code, line = _sync_all(store, insecure=insecure, batch_size=batch_size)
                if once:
                    print(line, flush=True)
                    return code
                print(line, flush=True)
                time.sleep(interval)
    except StoreError as exc:
        print(f"mailapp sync: {exc.message}")
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_OK


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    account = subparsers.add_parser("account", help="manage sync accounts without a window")
    actions = account.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="sign a profile in to a sync server")
    add.add_argument("--profile", type=Path, required=True, metavar="DIR")
    add.add_argument("--server", required=True, metavar="URL")
    add.add_argument("--username", required=True, metavar="NAME")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument(
        "--allow-insecure-http", action="store_true", help="allow plain http to a remote host"
    )
    sync_parser = subparsers.add_parser("sync", help="sync a profile without a window")
    sync_parser.add_argument("--profile", type=Path, required=True, metavar="DIR")
    sync_parser.add_argument("--once", action="store_true", help="one cycle, then exit")
    sync_parser.add_argument("--allow-insecure-http", action="store_true")
    # For tests and tuning: mutations per request.
    sync_parser.add_argument("--batch-size", type=int, default=1000, help=argparse.SUPPRESS)
    # A window's big first sync, run as its child (mailapp.sync.feed_process): the account,
    # its store file and the feed's page size.
    sync_parser.add_argument("--feed-child", metavar="ACCOUNT", help=argparse.SUPPRESS)
    sync_parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    sync_parser.add_argument("--page-size", type=int, default=200, help=argparse.SUPPRESS)


def main(argv: Sequence[str]) -> int:
    """Entry for `mailapp account ...` and `mailapp sync ...` (argv without the program)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    redact.install()
    parser = argparse.ArgumentParser(prog="mailapp")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_subcommands(subparsers)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except Exception as exc:  # the one place a bug must still end in a sentence, not a trace
        logging.getLogger(__name__).debug("unexpected failure", exc_info=True)
        print(f"mailapp {args.command}: unexpected error ({type(exc).__name__}: {exc})")
        return EXIT_INTERNAL


def _run(args: argparse.Namespace) -> int:
    if args.command == "account":
        return account_add(
            args.profile,
            args.server,
            args.username,
            password_stdin=args.password_stdin,
            insecure=args.allow_insecure_http,
        )
    if args.feed_child:
        from mailapp.sync.feed_process import child_main

        return child_main(args.store, args.feed_child, max(1, args.page_size))
    return sync(
        args.profile,
        once=args.once,
        insecure=args.allow_insecure_http,
        batch_size=max(1, args.batch_size),
    )
