"""Tables of the delivery pipeline (revision 0002_delivery): the relay queue and local deliveries.

They live in their own metadata so revision 0001 never creates them; foreign keys to the
server's tables are declared in the migration only.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mailapp.server.models import NAMING, new_id


def utcnow() -> datetime:
    return datetime.now(UTC)


class DeliveryBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class JobState(enum.StrEnum):
    queued = "queued"  # waiting for next_attempt_at
    sending = "sending"  # claimed by a worker until lease_until
    sent = "sent"  # the relay accepted it (or, after a crash in the DATA phase, assumed so)
    failed = "failed"  # permanently refused, or out of attempts


class JobPhase(enum.StrEnum):
    connecting = "connecting"  # nothing handed over yet: safe to try again
    data = "data"  # DATA was about to start: the relay may own the message


class RelayJob(DeliveryBase):
    """One SMTP transaction to the relay: one submission's recipients in one domain."""

    __tablename__ = "relay_job"
    __table_args__ = (Index("ix_relay_job_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    submission_id: Mapped[str] = mapped_column(String(36), index=True)
    account_id: Mapped[str] = mapped_column(String(36))
    domain: Mapped[str] = mapped_column(String(255))
    mail_from: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[Any]] = mapped_column()
    message_id: Mapped[str | None] = mapped_column(String(998), default=None)
    state: Mapped[str] = mapped_column(String(16), default=JobState.queued.value)
    phase: Mapped[str | None] = mapped_column(String(16), default=None)
    # Changes on every claim, so a worker whose lease ran out cannot record a stale outcome.
    attempt_id: Mapped[str | None] = mapped_column(String(36), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Recipients the relay refused for good while accepting the others: address -> reply.
    refused: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LocalDelivery(DeliveryBase):
    """Proof that a local recipient got a submission; the unique key makes it exactly once."""

    __tablename__ = "local_delivery"
    # Submission ids are keyed per sending account (0007), so the sender is part of the key.
    __table_args__ = (UniqueConstraint("sender_account_id", "submission_id", "recipient"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender_account_id: Mapped[str] = mapped_column(String(36))
    submission_id: Mapped[str] = mapped_column(String(36))
    recipient: Mapped[str] = mapped_column(String(320))
    account_id: Mapped[str] = mapped_column(String(36))
    email_id: Mapped[str] = mapped_column(String(36))
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)
