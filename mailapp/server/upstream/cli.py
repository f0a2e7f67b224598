"""`mailapp-server link-imap | unlink | status`: the upstream IMAP commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from mailapp.server.cli import (
    EXIT_CONFLICT,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    _engine,
    _settings,
)

MAX_PASSWORD = 1024


def _read_upstream_password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        if not sys.stdin.isatty():
            raise CliError("no terminal to ask for the password: use --password-stdin", EXIT_USAGE)
        import getpass

        return getpass.getpass(f"Password of {args.username} at {args.host}: ")
    password = sys.stdin.readline(MAX_PASSWORD + 2).rstrip("\r\n")
    if not password:
        raise CliError("no password on standard input", EXIT_USAGE)
    if len(password) > MAX_PASSWORD:
        raise CliError(f"the password is longer than {MAX_PASSWORD} characters", EXIT_USAGE)
    return password


def _key(settings: Any) -> Any:
    from mailapp.server.upstream import secrets

    try:
        return secrets.load_key(secrets.key_path(settings))
    except secrets.ServerKeyError as exc:
        raise CliError(str(exc), EXIT_ERROR) from None


def cmd_link_imap(args: argparse.Namespace) -> int:
    from mailapp.server.upstream.connection import (
        DEFAULT_PORTS,
        Endpoint,
        UpstreamError,
        check_endpoint,
        close,
        connect,
    )
    from mailapp.server.upstream.links import LinkError, link, looks_like_address

    endpoint = Endpoint(
        host=args.host.strip(),
        port=args.port or DEFAULT_PORTS.get(args.tls, 993),
        tls=args.tls,
        username=args.username,
    )
    try:
        check_endpoint(endpoint)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    if (args.smtp_port is not None) and not args.smtp_host:
        raise CliError("--smtp-port needs --smtp-host", EXIT_USAGE)
    address = (args.address or "").strip() or None
    if address is not None and not looks_like_address(address):
        raise CliError(f"--address {address!r} is not an email address", EXIT_USAGE)
    if args.smtp_host and address is None and not looks_like_address(args.username):
        # The provider would refuse (or bounce) mail from an address that is not the account's.
        raise CliError(
            f"the username {args.username!r} is not an email address: give the account's "
            "address with --address, the From of mail sent through the provider",
            EXIT_USAGE,
        )
    password = _read_upstream_password(args)
    settings = _settings(args)
    key = _key(settings)
    if args.verify:
        try:
            close(connect(endpoint, password, timeout=30.0))
        except UpstreamError as exc:
            raise CliError(f"not linked: {exc}", EXIT_ERROR) from None
    engine = _engine(settings)
    try:
        replaced = link(
            engine,
            key,
            args.user,
            endpoint,
            password,
            smtp_host=args.smtp_host,
            smtp_port=args.smtp_port or (587 if args.smtp_host else None),
            sent_copy=args.sent_copy,
            address=address,
        )
    except LinkError as exc:
        code = EXIT_CONFLICT if "no user named" in str(exc) else EXIT_USAGE
        raise CliError(str(exc), code) from None
    finally:
        engine.dispose()
    verb = "updated the link of" if replaced else "linked"
    print(
        f"{verb} {args.user} to {endpoint.describe()}; the running server imports its mail "
        f"(see `mailapp-server status`)"
    )
    return EXIT_OK


def cmd_unlink(args: argparse.Namespace) -> int:
    from mailapp.server.upstream.links import LinkError, unlink

    engine = _engine(_settings(args))
    try:
        unlink(engine, args.user)
    except LinkError as exc:
        code = EXIT_CONFLICT if "no user named" in str(exc) else EXIT_USAGE
        raise CliError(str(exc), code) from None
    finally:
        engine.dispose()
    print(f"unlinked {args.user}; the mail already imported stays")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from mailapp.server.upstream.links import statuses

    engine = _engine(_settings(args))
    try:
        found = statuses(engine, args.user)
    finally:
        engine.dispose()
    if not found:
        print("no linked upstream accounts" + (f" for {args.user}" if args.user else ""))
        return EXIT_OK
    for status in found:
        print(status.line())
    return EXIT_OK


def register(command: Callable[[str, Callable[[argparse.Namespace], int], str], Any]) -> None:
    """Add the upstream commands to the `mailapp-server` parser."""
    p = command("link-imap", cmd_link_imap, "link a user to an existing IMAP mailbox")
    p.add_argument("user", help="the mailapp user")
    p.add_argument("--host", required=True, help="the IMAP server")
    p.add_argument("--port", type=int, help="default: 993 (implicit TLS) or 143")
    p.add_argument(
        "--tls",
        choices=["implicit", "starttls", "none"],
        default="implicit",
        help="implicit TLS (default), STARTTLS, or none (loopback hosts only)",
    )
    p.add_argument("--username", required=True, help="the IMAP login")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the IMAP password from standard input"
    )
    p.add_argument(
        "--address",
        help="the account's email address at the provider, the From of mail sent through it "
        "(default: the username, when it is an address)",
    )
    p.add_argument("--smtp-host", help="the provider's submission server (for sending)")
    p.add_argument("--smtp-port", type=int, help="default 587")
    p.add_argument(
        "--sent-copy",
        choices=["auto", "append", "provider"],
        default="auto",
        help="who files sent mail in the provider's Sent folder: we APPEND it (append), the "
        "provider does itself (provider), or auto: the provider for Gmail, else append",
    )
    p.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="link without logging in first (the server reports failures in `status`)",
    )
    p = command("unlink", cmd_unlink, "remove a user's IMAP link (imported mail stays)")
    p.add_argument("user")
    p = command("status", cmd_status, "each IMAP link's state, last sync and last error")
    p.add_argument("user", nargs="?", help="only this user")
