"""Link, unlink and describe upstream accounts (`mailapp-server link-imap|unlink|status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.models import Account
from mailapp.server.upstream import secrets
from mailapp.server.upstream.connection import Endpoint
from mailapp.server.upstream.models import LinkState, UpstreamAccount, UpstreamFolder


class LinkError(ValueError):
    """The link cannot be made or found; the message says why."""


@dataclass(frozen=True)
class LinkStatus:
    user: str
    host: str
    port: int
    tls: str
    username: str
    address: str | None
    state: str
    last_sync_at: datetime | None
    last_error: str | None
    folders: int

    def line(self) -> str:
        when = self.last_sync_at
        synced = when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else "never"
        text = (
            f"{self.user}: {self.username} at {self.host}:{self.port} ({self.tls}) "
            + (f"sending as {self.address}, " if self.address else "")
            + f"state {self.state}, last sync {synced}, {self.folders} folders"
        )
        return text + (f"\n    last error: {self.last_error}" if self.last_error else "")


def looks_like_address(text: str) -> bool:
    """An addr-spec as a login usually is one: one @, something on each side, no spaces."""
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and not any(c.isspace() for c in text))


def sending_identity(username: str) -> str | None:
    """The address mail sent through the provider goes out as, when the login is one."""
    return username if looks_like_address(username) else None


def _account(session: object, user: str) -> Account:
    account = session.execute(  # type: ignore[attr-defined]
        select(Account).where(Account.name == user)
    ).scalar_one_or_none()
    if account is None:
        raise LinkError(f"no user named {user!r} (create it with add-user)")
    return account  # type: ignore[no-any-return]


def link(
    engine: Engine,
    key: Fernet,
    user: str,
    endpoint: Endpoint,
    password: str,
    *,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    sent_copy: str = "auto",
    address: str | None = None,
) -> bool:
    """Store the link (password encrypted); True when it replaced an existing one.

    Linking again (a new password, another port) keeps the folders and the UID map when the
    host and username stay the same, so nothing is imported twice.
    """
    with session_scope(engine) as session:
        account = _account(session, user)
        row = session.execute(
            select(UpstreamAccount).where(UpstreamAccount.account_id == account.id)
        ).scalar_one_or_none()
        replaced = row is not None
        if row is not None and (row.host.lower(), row.username) != (
            endpoint.host.lower(),
            endpoint.username,
        ):
            raise LinkError(
                f"user {user!r} is linked to {row.username} at {row.host} already: "
                f"run `mailapp-server unlink {user}` first"
            )
        if row is None:
            row = UpstreamAccount(account_id=account.id)
            session.add(row)
        row.host = endpoint.host
        row.port = endpoint.port
        row.tls = endpoint.tls
        row.username = endpoint.username
        row.password_enc = secrets.encrypt(key, password)
        row.smtp_host = smtp_host
        row.smtp_port = smtp_port
        row.sent_copy = sent_copy
        row.address = address or sending_identity(endpoint.username)
        row.state = LinkState.pending.value if not replaced else row.state
        if row.state in (LinkState.auth_failed.value, LinkState.tls_error.value):
            row.state = LinkState.pending.value  # new credentials: try again at once
        row.last_error = None
    return replaced


def unlink(engine: Engine, user: str) -> None:
    """Forget the link and its UID map; the mail already imported stays in the account."""
    with session_scope(engine) as session:
        account = _account(session, user)
        row = session.execute(
            select(UpstreamAccount).where(UpstreamAccount.account_id == account.id)
        ).scalar_one_or_none()
        if row is None:
            raise LinkError(f"user {user!r} has no linked upstream account")
        session.delete(row)


def statuses(engine: Engine, user: str | None = None) -> list[LinkStatus]:
    from sqlalchemy import func

    with session_scope(engine, write=False) as session:
        folders = (
            select(func.count(UpstreamFolder.id))
            .where(UpstreamFolder.upstream_id == UpstreamAccount.id, UpstreamFolder.live)
            .scalar_subquery()
        )
        query = (
            select(UpstreamAccount, Account.name, folders)
            .join(Account, Account.id == UpstreamAccount.account_id)
            .order_by(Account.name)
        )
        if user is not None:
            query = query.where(Account.name == user)
        return [
            LinkStatus(
                user=name,
                host=row.host,
                port=row.port,
                tls=row.tls,
                username=row.username,
                address=row.address,
                state=row.state,
                last_sync_at=row.last_sync_at,
                last_error=row.last_error,
                folders=int(count or 0),
            )
            for row, name, count in session.execute(query).all()
        ]
