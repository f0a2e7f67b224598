"""GET /v1/mailboxes, one mailbox, and a mailbox's messages (keyset-paged)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import and_, or_, select

from mailapp.server.db import current_modseq, session_scope
from mailapp.server.models import Email, Mailbox
from mailapp.server.problems import ProblemError
from mailapp.server.routes.common import owned
from mailapp.server.routes.deps import AuthDep, EngineDep, PathId
from mailapp.server.routes.records import aware, email_model, mailbox_model
from mailapp.server.routes.responses import errors
from mailapp.wire import ID_PATTERN, MailboxList, MailboxRecord, MessagePage

router = APIRouter(prefix="/v1/mailboxes", tags=["mailboxes"])
MAX_PAGE = 500


def encode_cursor(date: datetime, email_id: str) -> str:
    raw = json.dumps([aware(date).isoformat(), email_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        date, email_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not re.fullmatch(ID_PATTERN, str(email_id)):
            raise ValueError(email_id)
        return aware(datetime.fromisoformat(date)), str(email_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ProblemError(
            400, "invalidCursor", title="Invalid cursor", detail="Use nextCursor as given."
        ) from exc


@router.get("", responses=errors(401))
def list_mailboxes(auth: AuthDep, engine: EngineDep) -> MailboxList:
    with session_scope(engine, write=False) as session:
        state = current_modseq(session, auth.account_id)
        rows = session.scalars(
            select(Mailbox)
            .where(
                Mailbox.account_id == auth.account_id,
                Mailbox.destroyed_modseq.is_(None),
                Mailbox.updated_modseq <= state,
            )
            .order_by(Mailbox.sort_order, Mailbox.name)
        ).all()
        return MailboxList(state=str(state), items=[mailbox_model(row) for row in rows])


@router.get("/{mailbox_id}", responses=errors(401, 404))
def get_mailbox(mailbox_id: PathId, auth: AuthDep, engine: EngineDep) -> MailboxRecord:
    with session_scope(engine, write=False) as session:
        return mailbox_model(owned(session, Mailbox, mailbox_id, auth.account_id, "mailbox"))


@router.get("/{mailbox_id}/messages", responses=errors(400, 401, 404, 422))
def list_messages(
    mailbox_id: PathId,
    auth: AuthDep,
    engine: EngineDep,
    after: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> MessagePage:
    """Newest first, keyset-paged on (date DESC, id DESC): pages stay stable while mail arrives."""
    with session_scope(engine, write=False) as session:
        owned(session, Mailbox, mailbox_id, auth.account_id, "mailbox")
        state = current_modseq(session, auth.account_id)
        query = select(Email).where(
            Email.mailbox_id == mailbox_id,
            Email.account_id == auth.account_id,
            Email.destroyed_modseq.is_(None),
        )
        if after:
            date, email_id = decode_cursor(after)
            query = query.where(
                or_(Email.date < date, and_(Email.date == date, Email.id < email_id))
            )
        rows = session.scalars(
            query.order_by(Email.date.desc(), Email.id.desc()).limit(limit + 1)
        ).all()
        items = rows[:limit]
        cursor = (
            encode_cursor(items[-1].date, items[-1].id) if len(rows) > limit and items else None
        )
        return MessagePage(
            state=str(state), items=[email_model(row) for row in items], next_cursor=cursor
        )
