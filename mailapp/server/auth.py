"""Accounts, scrypt password hashes, bearer tokens and the database-backed login rate limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailapp.server.models import Account, LoginAttempt, Mailbox, Token

# scrypt cost: n=2**14, r=8 -> 16 MiB and ~40 ms per hash; fine for logins, costly for guessing.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
DEFAULT_DOMAIN = "example.org"
DEFAULT_MAILBOXES: tuple[tuple[str, str], ...] = (
    ("inbox", "Inbox"),
    ("drafts", "Drafts"),
    ("sent", "Sent"),
    ("archive", "Archive"),
    ("junk", "Junk"),
    ("trash", "Trash"),
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# Verifying against this when the user does not exist keeps login timing independent of it.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def create_user(session: Session, name: str, password: str, *, email: str | None = None) -> Account:
    """A new account with the standard mailboxes. `email` defaults to name@example.org
    (or `name` itself when it already is an address)."""
    from mailapp.server.db import bump_modseq  # db imports models; keep auth importable alone

    address = email or (name if "@" in name else f"{name}@{DEFAULT_DOMAIN}")
    account = Account(name=name, email=address.lower(), password_hash=hash_password(password))
    session.add(account)
    session.flush()
    for order, (role, label) in enumerate(DEFAULT_MAILBOXES):
        modseq = bump_modseq(session, account.id)
        session.add(
            Mailbox(
                account_id=account.id,
                name=label,
                role=role,
                sort_order=order,
                created_modseq=modseq,
                updated_modseq=modseq,
            )
        )
    session.flush()
    return account


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(session: Session, account: Account, ttl_days: int = 90) -> str:
    secret = secrets.token_urlsafe(32)
    session.add(
        Token(
            account_id=account.id,
            token_hash=token_hash(secret),
            expires_at=datetime.now(UTC) + timedelta(days=ttl_days),
        )
    )
    session.flush()
    return secret


def account_for_token(session: Session, secret: str) -> tuple[Account, Token] | None:
    row = session.execute(
        select(Token, Account)
        .join(Account, Account.id == Token.account_id)
        .where(Token.token_hash == token_hash(secret), Token.revoked.is_(False))
    ).first()
    if row is None:
        return None
    token, account = row
    expires = token.expires_at if token.expires_at.tzinfo else token.expires_at.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        return None
    return account, token


def revoke_token(session: Session, token: Token) -> None:
    token.revoked = True
    session.flush()


def authenticate(session: Session, name: str, password: str) -> Account | None:
    account = session.execute(select(Account).where(Account.name == name)).scalar_one_or_none()
    if account is None:
        verify_password(password, _DUMMY_HASH)
        return None
    return account if verify_password(password, account.password_hash) else None


@dataclass(frozen=True)
class RateLimit:
    limit: int
    window_seconds: int


def seconds_until_allowed(
    session: Session, *, name: str, ip: str, per_name: RateLimit, per_ip: RateLimit
) -> int:
    """0 when a login may be tried now, otherwise how long to wait (for Retry-After).

    Failed attempts are counted in the database so every worker sees the same numbers.
    """
    now = datetime.now(UTC)
    waits = [0]
    for column, value, rule in (
        (LoginAttempt.username, name, per_name),
        (LoginAttempt.ip, ip, per_ip),
    ):
        since = now - timedelta(seconds=rule.window_seconds)
        failures = (
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.at > since, LoginAttempt.succeeded.is_(False))
            .order_by(LoginAttempt.at.desc())
            .limit(rule.limit)
            .subquery()
        )
        count, oldest = session.execute(select(func.count(), func.min(failures.c.at))).one()
        if count >= rule.limit and oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            remaining = (oldest + timedelta(seconds=rule.window_seconds) - now).total_seconds()
            waits.append(max(1, int(remaining) + 1))
    return max(waits)


def record_login_attempt(session: Session, *, name: str, ip: str, succeeded: bool) -> None:
    session.add(LoginAttempt(username=name, ip=ip, succeeded=succeeded))
    session.flush()
