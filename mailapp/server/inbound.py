"""Mail that arrives from outside (over LMTP, server/lmtp.py) filed into a user's Inbox.

An MTA that loses the connection after our reply to the end of DATA, or that times out waiting
for it, delivers the same bytes again. So each delivery is recorded by the SHA-256 of the
message: `inbound_delivery` is unique on (account, hash), and a second delivery of identical
bytes to the same account answers "delivered" without filing a copy. The row is written in the
same transaction as the email, so a crash leaves either both or neither. The hash is the one
the import dedupes by (`incoming.content_hash`, stored on every email); the delivery record is
kept apart from the email so that a message the user has since moved or deleted is not filed
again by a late retry.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from mailapp.mime.parse import ParsedMessage
from mailapp.server.db import session_scope
from mailapp.server.models import Account, Base, utcnow


class InboundDelivery(Base):
    """Proof that `account_id` received the message whose bytes hash to `content_sha256`."""

    __tablename__ = "inbound_delivery"
    __table_args__ = (UniqueConstraint("account_id", "content_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    email_id: Mapped[str] = mapped_column(String(36))
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)


class Filed(enum.Enum):
    DELIVERED = "delivered"
    DUPLICATE = "duplicate"  # the same bytes reached this account before: nothing added
    FULL = "full"  # the account's storage quota has no room for it


def find_recipient(engine: Engine, address: str) -> str | None:
    """The id of the account whose address is `address` (case-insensitive), if any."""
    with session_scope(engine, write=False) as session:
        return session.execute(
            select(Account.id).where(func.lower(Account.email) == address.strip().lower())
        ).scalar_one_or_none()


def file_inbound(
    engine: Engine,
    account_id: str,
    raw: bytes,
    parsed: ParsedMessage,
    *,
    sha256: str,
    storage_quota_bytes: int,
) -> Filed:
    """File `raw` into the account's Inbox once; one short write transaction."""
    from mailapp.server.incoming import store_incoming
    from mailapp.server.limits import usage

    try:
        with session_scope(engine) as session:
            if _already_filed(session, account_id, sha256):
                return Filed.DUPLICATE
            if usage(session, account_id).storage_bytes + len(raw) > storage_quota_bytes:
                return Filed.FULL
            email = store_incoming(session, account_id, "inbox", raw, parsed=parsed)
            session.add(
                InboundDelivery(account_id=account_id, content_sha256=sha256, email_id=email.id)
            )
            session.flush()
    except IntegrityError:
        # The same bytes filed by another connection meanwhile (the unique key): one copy.
        return Filed.DUPLICATE
    return Filed.DELIVERED


def _already_filed(session: Session, account_id: str, sha256: str) -> bool:
    found = session.execute(
        select(InboundDelivery.id).where(
            InboundDelivery.account_id == account_id, InboundDelivery.content_sha256 == sha256
        )
    ).first()
    return found is not None
