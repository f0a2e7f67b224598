"""A server database with one user linked to a test Dovecot user (no HTTP server needed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.server.auth import create_user
from mailapp.server.db import session_scope
from mailapp.server.models import Email, EmailBlob, Mailbox
from mailapp.server.upstream.connection import Endpoint
from mailapp.server.upstream.links import link
from mailapp.server.upstream.models import UpstreamAccount
from tests.imap.conftest import MailUser


@dataclass
class Linked:
    engine: Engine
    key: Fernet
    key_bytes: bytes
    account_id: str
    upstream_id: str
    user: str

    def emails(self, mailbox_role: str | None = None, *, live: bool = True) -> list[Email]:
        with session_scope(self.engine, write=False) as session:
            query = select(Email).where(Email.account_id == self.account_id)
            if live:
                query = query.where(Email.destroyed_modseq.is_(None))
            if mailbox_role is not None:
                box = session.scalars(
                    select(Mailbox.id).where(
                        Mailbox.account_id == self.account_id,
                        Mailbox.role == mailbox_role,
                        Mailbox.destroyed_modseq.is_(None),
                    )
                ).one()
                query = query.where(Email.mailbox_id == box)
            return list(session.scalars(query))

    def subjects(self, mailbox_role: str | None = None) -> list[str]:
        return sorted(e.subject for e in self.emails(mailbox_role))

    def blob_count(self) -> int:
        with session_scope(self.engine, write=False) as session:
            return len(
                session.scalars(
                    select(EmailBlob.email_id)
                    .join(Email, Email.id == EmailBlob.email_id)
                    .where(Email.account_id == self.account_id)
                ).all()
            )

    def write_key(self, path: Path) -> Path:
        """The server key file a worker reads (0600), holding this link's key."""
        path.write_bytes(self.key_bytes + b"\n")
        path.chmod(0o600)
        return path

    def link_row(self) -> UpstreamAccount:
        with session_scope(self.engine, write=False) as session:
            row = session.get(UpstreamAccount, self.upstream_id)
            assert row is not None
            return row


def link_user(
    engine: Engine,
    mail_user: MailUser,
    *,
    password: str | None = None,
    address: str | None = None,
) -> Linked:
    key_bytes = Fernet.generate_key()
    key = Fernet(key_bytes)
    name = f"alice-{uuid.uuid4().hex[:6]}"
    with session_scope(engine) as session:
        account_id = create_user(session, name, "alice-password").id
    endpoint = Endpoint(mail_user.host, mail_user.port, "none", mail_user.name)
    link(engine, key, name, endpoint, password or mail_user.password, address=address)
    with session_scope(engine, write=False) as session:
        upstream_id = session.scalars(
            select(UpstreamAccount.id).where(UpstreamAccount.account_id == account_id)
        ).one()
    return Linked(engine, key, key_bytes, account_id, upstream_id, name)
