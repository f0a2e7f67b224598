"""`mailapp-server`: set up, fill and run the sync server."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import ipaddress
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mailapp.server.redact import redact_url, scrub

EXIT_OK = 0
EXIT_ERROR = 1  # the command could not do its work (database unreachable, I/O error …)
EXIT_USAGE = 2  # bad arguments or input
EXIT_CONFLICT = 3  # the user exists already / does not exist

EPILOG = """\
exit status:
  0  success
  1  the command failed (database unreachable, unreadable file, …)
  2  bad arguments or input (also: unknown option, missing argument)
  3  the user already exists (add-user, seed-demo) or does not exist (import, link-imap,
     unlink, set-password, revoke-tokens, list-sessions)

environment:
  MAILAPP_SERVER_DATA    data folder (default ~/.local/share/mailapp-server)
  MAILAPP_DATABASE_URL   database (default sqlite:///<data>/server.sqlite3; or postgresql://…)
  MAILAPP_SMTP_RELAY     relay for outside mail, e.g. smtp://127.0.0.1:2525
  MAILAPP_LOCAL_DOMAIN   mail domain of the server's own users (default example.org)
  MAILAPP_UPSTREAM_KEY_FILE  key of upstream IMAP passwords (default <data>/upstream.key)
  MAILAPP_LMTP           LMTP listener of `serve` for mail from an MTA (as `serve --lmtp`)
"""

SECRET_WORDS = ("password", "secret", "token", "key")

# How the desktop app reaches this server: said after `init` and `seed-demo`, and in README.
CONNECT_HINT = (
    "connect the app: mailapp account add --profile DIR --server http://127.0.0.1:8025 "
    "--username {name} --password-stdin\n"
    "  (or in the window: File → Add Account…; use the host and port given to serve)"
)


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def _settings(args: argparse.Namespace) -> Any:
    from mailapp.server.config import Settings

    # Exported so `serve`'s worker processes, which read the environment, agree with us.
    if args.data is not None:
        os.environ["MAILAPP_SERVER_DATA"] = str(Path(args.data).expanduser().resolve())
    if args.database_url is not None:
        os.environ["MAILAPP_DATABASE_URL"] = args.database_url
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise CliError(f"bad setting in the environment: {exc}", EXIT_USAGE) from None


def _engine(settings: Any, *, migrate: bool = True) -> Any:
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from mailapp.server import db

    try:
        engine = db.make_engine(settings.database_url)
    except (ArgumentError, ValueError) as exc:
        reason = scrub(str(exc), settings.database_url)
        raise CliError(
            f"bad database URL {redact_url(settings.database_url)}: {reason}", 2
        ) from None
    except ModuleNotFoundError as exc:
        raise CliError(f"database driver missing: {exc.name}", EXIT_ERROR) from None
    if migrate:
        try:
            db.migrate(engine)
        except (SQLAlchemyError, OSError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            reason = scrub(reason, settings.database_url)
            raise CliError(
                f"cannot open the database {redact_url(settings.database_url)}: {reason}"
            ) from None
    return engine


def cmd_init(args: argparse.Namespace) -> int:
    from mailapp.server.db import make_private_dir

    settings = _settings(args)
    try:
        make_private_dir(Path(settings.data_dir))  # 0700: it holds every user's mail
    except OSError as exc:
        raise CliError(f"cannot create the data folder {settings.data_dir}: {exc}") from None
    _engine(settings).dispose()
    print(f"database ready: {redact_url(settings.database_url)}")
    from mailapp.server.upstream.secrets import create_key, key_path

    try:
        created = create_key(key_path(settings))
    except OSError as exc:
        raise CliError(f"cannot create the server key {key_path(settings)}: {exc}") from None
    state = "created" if created else "kept"
    print(f"server key {state}: {key_path(settings)} (encrypts upstream passwords; back it up)")
    print("next: add a user (mailapp-server add-user NAME), run mailapp-server serve, then")
    print(CONNECT_HINT.format(name="NAME"))
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise CliError("no terminal to ask for the password: use --password-stdin", EXIT_USAGE)
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise CliError("the passwords do not match", EXIT_USAGE)
    if len(password) < 8:
        raise CliError("the password must have at least 8 characters", EXIT_USAGE)
    return password


def cmd_add_user(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from mailapp.server.auth import create_user
    from mailapp.server.db import session_scope
    from mailapp.server.models import Account

    name = args.name.strip()
    if not name or any(c.isspace() for c in name) or "@" in name:
        raise CliError(f"bad user name {args.name!r}: no spaces and no @", EXIT_USAGE)
    password = _read_password(args)
    settings = _settings(args)
    engine = _engine(settings)
    address = f"{name}@{settings.local_domain}".lower()
    try:
        with session_scope(engine) as session:
            clash = session.execute(
                select(Account.name).where((Account.name == name) | (Account.email == address))
            ).first()
            if clash is not None:
                raise CliError(f"user {name!r} already exists", EXIT_CONFLICT)
            create_user(session, name, password, email=address)
    finally:
        engine.dispose()
    print(f"created user {name} <{address}>")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from mailapp.server.importer import ImportSourceError, import_messages, read_source

    path = Path(args.path).expanduser()
    if not path.exists():
        raise CliError(f"{path} does not exist", EXIT_USAGE)
    try:
        next(iter(read_source(path)), None)  # a clear message before touching the database
    except ImportSourceError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    settings = _settings(args)
    engine = _engine(settings)

    def progress(count: int) -> None:
        print(f"  {count} messages…", file=sys.stderr)

    try:
        report = import_messages(engine, args.name, path, args.mailbox, progress=progress)
    except ImportSourceError as exc:
        code = EXIT_CONFLICT if "no user named" in str(exc) else EXIT_USAGE
        raise CliError(str(exc), code) from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    finally:
        engine.dispose()
    already = f", {report.duplicates} already there" if report.duplicates else ""
    skipped = f", {len(report.skipped)} skipped (listed above)" if report.skipped else ""
    for line in report.skipped:
        print(f"  {line}", file=sys.stderr)
    messages = "message" if report.imported == 1 else "messages"
    print(f"imported {report.imported} {messages} into {args.name}/{report.mailbox}"
          f"{already}{skipped}")
    return EXIT_OK


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from mailapp.server.seed import AlreadySeeded, seed_demo

    settings = _settings(args)
    engine = _engine(settings)
    try:
        passwords = seed_demo(engine, settings.local_domain)
    except AlreadySeeded as exc:
        raise CliError(f"demo users already exist: {exc}", EXIT_CONFLICT) from None
    finally:
        engine.dispose()
    print("demo users created; the passwords are shown only this once:")
    for name, password in passwords.items():
        print(f"  {name}@{settings.local_domain}  user: {name}  password: {password}")
    print("after mailapp-server serve,")
    print(CONNECT_HINT.format(name=next(iter(passwords), "NAME")))
    return EXIT_OK


def effective_config(settings: Any) -> dict[str, str]:
    shown: dict[str, str] = {}
    for item in dataclasses.fields(settings):
        value = getattr(settings, item.name)
        if item.name in ("database_url", "smtp_relay_url"):
            value = redact_url(value)
        if isinstance(value, dict):
            value = {
                k: "***" if any(w in k.lower() for w in SECRET_WORDS) else v
                for k, v in value.items()
            }
        shown[item.name] = "" if value is None else str(value)
    return shown


def cmd_config(args: argparse.Namespace) -> int:
    for key, value in effective_config(_settings(args)).items():
        print(f"{key} = {value}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        ipaddress.ip_address(args.host)
    except ValueError:
        if args.host != "localhost":
            raise CliError(f"--host must be an IP address, got {args.host!r}", EXIT_USAGE) from None
    if not 0 < args.port < 65536:
        raise CliError(f"--port must be 1-65535, got {args.port}", EXIT_USAGE)
    if args.workers < 1:
        raise CliError("--workers must be at least 1", EXIT_USAGE)
    if args.lmtp is not None:
        os.environ["MAILAPP_LMTP"] = args.lmtp
    settings = _settings(args)
    # Migrate once here: a clear error now instead of every worker failing at start-up.
    _engine(settings).dispose()
    lmtp = _start_lmtp(settings)
    print(
        f"serving on http://{args.host}:{args.port} with {args.workers} worker(s), "
        f"database {redact_url(settings.database_url)}",
        file=sys.stderr,
    )
    try:
        _run_uvicorn(args)
    finally:
        if lmtp is not None:
            lmtp.stop()
    return EXIT_OK


def _start_lmtp(settings: Any) -> Any:
    """The LMTP listener of `serve --lmtp` (MAILAPP_LMTP), in this process: one listener
    whatever the number of workers (mailapp.server.lmtp)."""
    if not settings.lmtp_listen:
        return None
    from mailapp.server import db
    from mailapp.server.lmtp import ListenAddressError, LmtpListener

    engine = db.make_engine(settings.database_url, busy_timeout=settings.sqlite_busy_timeout)
    try:
        listener = LmtpListener.from_settings(engine, settings)
        listener.start()
    except ListenAddressError as exc:
        engine.dispose()
        raise CliError(str(exc), EXIT_USAGE) from None
    print(f"accepting LMTP on {listener.address}", file=sys.stderr)
    return listener


def _run_uvicorn(args: argparse.Namespace) -> None:
    import uvicorn

    from mailapp.server.http_protocol import KEEP_ALIVE_SECONDS, protocol_name

    uvicorn.run(
        "mailapp.server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        # Event streams never end on their own; give them this long, then close them.
        timeout_graceful_shutdown=args.grace,
        # Requests that are not valid HTTP also get a problem document, not text/plain.
        http=protocol_name(),
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailapp-server",
        description="The mailapp sync server.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", metavar="DIR", help="data folder (env MAILAPP_SERVER_DATA)")
    parser.add_argument(
        "--database-url", metavar="URL", help="database URL (env MAILAPP_DATABASE_URL)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func: Callable[[argparse.Namespace], int], text: str) -> Any:
        p = sub.add_parser(name, help=text, description=text)
        p.set_defaults(func=func)
        return p

    command("init", cmd_init, "create the data folder and the database schema")
    p = command("add-user", cmd_add_user, "create a user (asks for the password)")
    p.add_argument("name")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    p = command("import", cmd_import, "import an mbox file or a Maildir folder into a user")
    p.add_argument("name", help="user name")
    p.add_argument("path", help="mbox file or Maildir folder")
    p.add_argument("--mailbox", metavar="NAME", help="target mailbox (default: the inbox)")
    p = command("serve", cmd_serve, "run the server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8025)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--grace", type=float, default=5.0, help="seconds open streams get at shutdown")
    p.add_argument(
        "--lmtp",
        metavar="ADDR",
        help="also accept mail from an MTA over LMTP on 127.0.0.1:PORT or unix:/path "
        "(env MAILAPP_LMTP)",
    )
    command("seed-demo", cmd_seed_demo, "create users alice and bob with demo mail")
    command("config", cmd_config, "print the effective configuration, secrets redacted")
    # -- a user's password and sign-ins (mailapp.server.cli_accounts) --
    from mailapp.server.cli_accounts import register as register_accounts

    register_accounts(command)

    # -- upstream IMAP accounts (mailapp.server.upstream) --
    from mailapp.server.upstream.cli import register as register_upstream

    register_upstream(command)
    return parser


def _scrub(message: str) -> str:
    """No error message may carry the configured URLs' passwords, whatever raised it."""
    return scrub(
        message, os.environ.get("MAILAPP_DATABASE_URL"), os.environ.get("MAILAPP_SMTP_RELAY")
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"mailapp-server: error: {_scrub(str(exc))}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("mailapp-server: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the promise is a message, never a traceback
        print(f"mailapp-server: error: {type(exc).__name__}: {_scrub(str(exc))}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy: the command modules import
    # mailapp.server.cli, and their CliError must be the class main() catches.
    from mailapp.server.cli import main as _main

    raise SystemExit(_main())
