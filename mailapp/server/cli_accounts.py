"""`mailapp-server` commands that look after a user's password and sign-ins.

- `set-password USER [--password-stdin]`: a new password; every token of the user is revoked,
  since a password is changed because someone else may know it;
- `revoke-tokens USER`: signs every device (and a thief's copy of a token) out; their event
  streams end within a heartbeat;
- `list-sessions USER`: the live tokens, when each was issued and until when it holds;
- `aliases USER [ADDRESS...] [--clear]`: lists, or replaces, the other From addresses the user
  may send as (their desktops offer them as identities; a send from any other is refused).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mailapp.server.cli import EXIT_CONFLICT, EXIT_OK, CliError, _engine, _read_password, _settings


def _account(session: Any, name: str) -> Any:
    from sqlalchemy import select

    from mailapp.server.models import Account

    account = session.execute(select(Account).where(Account.name == name)).scalar_one_or_none()
    if account is None:
        raise CliError(f"no user named {name!r}", EXIT_CONFLICT)
    return account


def cmd_set_password(args: argparse.Namespace) -> int:
    from mailapp.server.auth import revoke_all_tokens, set_password
    from mailapp.server.db import session_scope

    password = _read_password(args)
    engine = _engine(_settings(args))
    try:
        with session_scope(engine) as session:
            account = _account(session, args.name)
            set_password(session, account, password)
            revoked = revoke_all_tokens(session, account.id)
    finally:
        engine.dispose()
    print(f"password of {args.name} changed; {revoked} session(s) signed out")
    return EXIT_OK


def cmd_revoke_tokens(args: argparse.Namespace) -> int:
    from mailapp.server.auth import revoke_all_tokens
    from mailapp.server.db import session_scope

    engine = _engine(_settings(args))
    try:
        with session_scope(engine) as session:
            revoked = revoke_all_tokens(session, _account(session, args.name).id)
    finally:
        engine.dispose()
    print(f"{revoked} session(s) of {args.name} signed out")
    return EXIT_OK


def cmd_list_sessions(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from mailapp.server.db import session_scope
    from mailapp.server.models import Token

    engine = _engine(_settings(args))
    now = datetime.now(UTC)
    try:
        with session_scope(engine, write=False) as session:
            account = _account(session, args.name)
            tokens = session.execute(
                select(Token)
                .where(Token.account_id == account.id, Token.revoked.is_(False))
                .order_by(Token.created_at)
            ).scalars()
            live = [t for t in tokens if _aware(t.expires_at) > now]
    finally:
        engine.dispose()
    print(f"{len(live)} live session(s) of {args.name}")
    for token in live:
        # The id names the session; the secret itself is never stored, so never shown.
        print(
            f"  {token.id}  signed in {_when(token.created_at)}"
            f"  valid until {_when(token.expires_at)}"
        )
    return EXIT_OK


def cmd_aliases(args: argparse.Namespace) -> int:
    from mailapp.mime.addresses import Address, address_problem
    from mailapp.server.db import session_scope
    from mailapp.server.upstream.submission import allowed_senders

    for email in args.addresses:
        if "@" not in email or (problem := address_problem(Address(None, email))):
            raise CliError(f"{email!r} is no address: {problem or 'it has no @'}", EXIT_CONFLICT)
    engine = _engine(_settings(args))
    try:
        with session_scope(engine, write=bool(args.addresses or args.clear)) as session:
            account = _account(session, args.name)
            if args.addresses or args.clear:
                account.aliases = list(dict.fromkeys(args.addresses)) or None
                session.flush()
            allowed = allowed_senders(session, account)
    finally:
        engine.dispose()
    print(f"{args.name} may send as: {', '.join(allowed)}")
    return EXIT_OK


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _when(value: datetime) -> str:
    return _aware(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def register(command: Callable[[str, Callable[[argparse.Namespace], int], str], Any]) -> None:
    p = command(
        "set-password", cmd_set_password, "set a user's password and sign all their devices out"
    )
    p.add_argument("name")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    p = command("revoke-tokens", cmd_revoke_tokens, "sign all of a user's devices out")
    p.add_argument("name")
    p = command("list-sessions", cmd_list_sessions, "list a user's signed-in devices (tokens)")
    p.add_argument("name")
    p = command("aliases", cmd_aliases, "list or set the other From addresses a user may use")
    p.add_argument("name")
    p.add_argument("addresses", nargs="*", metavar="ADDRESS", help="replace the aliases")
    p.add_argument("--clear", action="store_true", help="remove every alias")
