"""Accounts, scrypt password hashes and bearer tokens (the login throttle is in throttle.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailapp.server import token_cache
from mailapp.server.models import Account, Mailbox, Token

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


def issue_token(session: Session, account: Account, ttl: timedelta) -> str:
    secret = secrets.token_urlsafe(32)
    session.add(
        Token(
            account_id=account.id,
            token_hash=token_hash(secret),
            expires_at=datetime.now(UTC) + ttl,
        )
    )
    session.flush()
    return secret


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def account_for_token(session: Session, secret: str) -> tuple[Account, Token] | None:
    row = session.execute(
        select(Token, Account)
        .join(Account, Account.id == Token.account_id)
        .where(Token.token_hash == token_hash(secret), Token.revoked.is_(False))
    ).first()
    if row is None:
        return None
    token, account = row
    if aware(token.expires_at) <= datetime.now(UTC):
        return None
    return account, token


def needs_renewal(token: Token, ttl: timedelta) -> bool:
    """Sliding expiry without a write per request: renew once less than half the life is left."""
    return aware(token.expires_at) - datetime.now(UTC) < ttl / 2


def renew_token(session: Session, token_id: str, ttl: timedelta) -> None:
    """Push the expiry to now + ttl, unless it was revoked or has expired meanwhile."""
    now = datetime.now(UTC)
    session.execute(
        update(Token)
        .where(Token.id == token_id, Token.revoked.is_(False), Token.expires_at > now)
        .values(expires_at=now + ttl)
    )


def token_is_live(session: Session, token_id: str) -> bool:
    """Whether the token still opens the account (for long-lived requests such as streams)."""
    expires = session.execute(
        select(Token.expires_at).where(Token.id == token_id, Token.revoked.is_(False))
    ).scalar()
    return expires is not None and aware(expires) > datetime.now(UTC)


def revoke_token(session: Session, token: Token) -> None:
    token.revoked = True
    session.flush()
    token_cache.forget_after_commit(session, token_id=token.id)


def revoke_all_tokens(session: Session, account_id: str) -> int:
    """Revoke every live token of the account; returns how many were live."""
    result = session.execute(
        update(Token)
        .where(
            Token.account_id == account_id,
            Token.revoked.is_(False),
            Token.expires_at > datetime.now(UTC),
        )
        .values(revoked=True)
    )
    token_cache.forget_after_commit(session, account_id=account_id)
    return int(getattr(result, "rowcount", 0) or 0)


def set_password(session: Session, account: Account, password: str) -> None:
    account.password_hash = hash_password(password)
    session.flush()
    token_cache.forget_after_commit(session, account_id=account.id)


def authenticate(session: Session, name: str, password: str) -> Account | None:
    account = session.execute(select(Account).where(Account.name == name)).scalar_one_or_none()
    if account is None:
        verify_password(password, _DUMMY_HASH)
        return None
    return account if verify_password(password, account.password_hash) else None
