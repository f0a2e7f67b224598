"""Change-feed rows as the driver returns them, turned into wire JSON values once.

A feed page of 1,000 emails cost the server about 130 µs of CPU per message, nearly all of it
in Python around the data rather than in the database: SQLAlchemy decoding ten JSON columns and
two dates per row through its result processors, then pydantic validating each record the
server itself wrote, then serialising it again. Here the statements are compiled once per
dialect and run as driver SQL (no statement construction or cache-key walk per request), the
JSON columns are read as their stored text (`CAST(... AS TEXT)`, also on PostgreSQL) and
decoded once per distinct text of the page (most are `[]`, and the same To/From repeat), and an
email becomes the dict `EmailRecord.model_dump(mode="json", by_alias=True)` would give, built
directly: the answer is then serialised once, in pydantic-core, with the same bytes as before
(tests/server/test_feed_bytes.py compares them). Mailboxes, drafts and submissions are few in
any page and keep the pydantic builders of records.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import (
    Connection,
    Executable,
    Select,
    Text,
    bindparam,
    case,
    cast,
    exists,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from mailapp.server.models import SYNCED_MODELS, Account, Email
from mailapp.server.routes.records import (
    TRUSTED,
    draft_model,
    dump,
    mailbox_model,
    submission_model,
)
from mailapp.wire import EmailAttachment, RecordAddress, WireModel
from mailapp.wire.base import shown_text

Row = Sequence[Any]


class Prepared:
    """A Core SELECT compiled once per dialect and run as driver SQL with named parameters.

    Its rows are the driver's values (no SQLAlchemy result processing): dates are strings on
    SQLite, JSON columns read through CAST(... AS TEXT) are their stored text everywhere.
    """

    def __init__(self, statement: Select[*tuple[Any, ...]] | Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def _compiled(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        found = self._by_dialect.get(key := f"{dialect.name}+{dialect.driver}")
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            # Parameters the compiler added itself (SQLite's OFFSET 0 beside a LIMIT).
            fixed = {k: v for k, v in compiled.params.items() if v is not None}
            found = self._by_dialect[key] = (compiled.string, order, fixed)
        return found

    def driver_args(self, dialect: Dialect, **params: Any) -> tuple[str, Any]:
        """(SQL, parameters) for the driver's own `execute` (routes/push_flags_pg.py)."""
        sql, order, fixed = self._compiled(dialect)
        if fixed:
            params = {**fixed, **params}
        return sql, tuple(params[name] for name in order) if order is not None else params

    def rows(self, conn: Connection, **params: Any) -> list[Row]:
        return driver_rows(conn, *self.driver_args(conn.dialect, **params))


def driver_rows(conn: Connection, sql: str, args: Any) -> list[Row]:
    """`conn.exec_driver_sql(sql, args).fetchall()` on the driver's cursor itself.

    SQLAlchemy's execution context and result object around a statement cost about 90 µs of
    CPU, more than the driver's own work for the feed's one-row state read (issue 11: most
    requests of a syncing client are that read). Errors become SQLAlchemy's as they would
    there (a lost connection invalidates it, so the app answers 503 and the pool reconnects).
    """
    fairy = conn.connection
    cursor = fairy.cursor()
    try:
        cursor.execute(sql, args)
        return cursor.fetchall()  # type: ignore[no-any-return]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise sqlalchemy_error(
            exc, conn.dialect, fairy.dbapi_connection, conn.invalidate, cursor, sql, args
        ) from exc
    finally:
        cursor.close()


def sqlalchemy_error(
    exc: Exception,
    dialect: Dialect,
    dbapi_connection: Any,
    invalidate: Callable[[BaseException], None],
    cursor: Any = None,
    sql: str | None = None,
    args: Any = None,
) -> DBAPIError:
    """The error SQLAlchemy would raise for the driver's `exc` (for code that runs statements
    on the driver itself): a lost connection is invalidated through `invalidate`, so the app
    answers 503 (busy) and the pool reconnects; bad data stays a DataError (400)."""
    lost = dialect.is_disconnect(exc, dbapi_connection, cursor)
    if lost:
        invalidate(exc)
    return DBAPIError.instance(
        sql, args, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=dialect
    )


# Every kind's columns start with these four, in this order: the feed reads them by position.
ID, CREATED, UPDATED, DESTROYED = 0, 1, 2, 3
_LEADING = ("id", "created_modseq", "updated_modseq", "destroyed_modseq")


class KindReader:
    """One synced table: its page query, its query for one modseq, and row -> wire dict.

    `keys` are the model's attribute names in the order selected; those in `as_text` are read
    as their stored text."""

    def __init__(self, model: Any, keys: Sequence[str], as_text: Sequence[str] = ()) -> None:
        self.model = model
        self.keys = tuple(keys)
        attributes = [getattr(model, key) for key in keys]
        self._types = [attribute.type for attribute in attributes]
        columns = [
            cast(attribute, Text).label(key) if key in as_text else attribute
            for key, attribute in zip(keys, attributes, strict=True)
        ]
        account = model.account_id == bindparam("account")
        self.page = Prepared(
            select(*columns)
            .where(
                account,
                model.updated_modseq > bindparam("since"),
                model.updated_modseq <= bindparam("top"),
            )
            .order_by(model.updated_modseq)
            .limit(bindparam("limit"))
        )
        self.at = Prepared(
            select(*columns).where(account, model.updated_modseq == bindparam("modseq"))
        )
        self._processors: dict[str, list[Callable[[Any], Any] | None]] = {}

    def processors(self, dialect: Dialect) -> list[Callable[[Any], Any] | None]:
        """The dialect's result processors of the columns (what turns a SQLite date string
        into a datetime, or a stored enum name into the enum)."""
        found = self._processors.get(dialect.name)
        if found is None:
            found = self._processors[dialect.name] = [
                kind._cached_result_processor(dialect, None) for kind in self._types
            ]
        return found

    def wire(self, row: Row, dialect: Dialect, decoded: Decoded) -> dict[str, Any]:
        raise NotImplementedError


class _ModelReader(KindReader):
    """A kind that keeps its pydantic builder: the row's values as the ORM gives them."""

    def __init__(self, model: Any, build: Callable[[Any], WireModel]) -> None:
        names = [attr.key for attr in model.__mapper__.column_attrs]
        super().__init__(model, [*_LEADING, *(n for n in names if n not in _LEADING)])
        self._build = build

    def wire(self, row: Row, dialect: Dialect, decoded: Decoded) -> dict[str, Any]:
        values = {
            key: (proc(value) if proc is not None and value is not None else value)
            for key, proc, value in zip(self.keys, self.processors(dialect), row, strict=True)
        }
        return dump(self._build(SimpleNamespace(**values)))


# --- emails: the bulk of every first sync -----------------------------------------------------

_EMAIL_JSON = ("keywords", "in_reply_to", "references", "from_", "sender", "to", "cc", "bcc",
               "reply_to", "attachments")  # fmt: skip
_EMAIL_KEYS = (
    *_LEADING,
    "mailbox_id",
    "keywords",
    "message_id",
    "in_reply_to",
    "references",
    "subject",
    "from_",
    "sender",
    "to",
    "cc",
    "bcc",
    "reply_to",
    "date",
    "received_at",
    "size",
    "preview",
    "attachments",
)
_ATTACHMENTS = TypeAdapter(list[EmailAttachment])
_loads = json.loads


class Decoded:
    """JSON column texts decoded into wire values, each distinct text once per page."""

    def __init__(self) -> None:
        self.addresses: dict[str | None, list[dict[str, Any]]] = {}
        self.strings: dict[str | None, list[Any]] = {}
        self.keywords: dict[str | None, list[Any]] = {}
        self.attachments: dict[str | None, list[Any]] = {}

    def address_list(self, text: str | None) -> list[dict[str, Any]]:
        try:
            return self.addresses[text]
        except KeyError:
            value = self.addresses[text] = [_address(item) for item in _json_list(text)]
            return value

    def string_list(self, text: str | None) -> list[Any]:
        try:
            return self.strings[text]
        except KeyError:
            value = self.strings[text] = _json_list(text)
            return value

    def keyword_list(self, text: str | None) -> list[Any]:
        try:
            return self.keywords[text]
        except KeyError:
            value = self.keywords[text] = sorted(_json_list(text))
            return value

    def attachment_list(self, text: str | None) -> list[Any]:
        try:
            return self.attachments[text]
        except KeyError:
            items = _json_list(text)
            value = self.attachments[text] = (
                _ATTACHMENTS.dump_python(
                    _ATTACHMENTS.validate_python(items, context=TRUSTED),
                    mode="json",
                    by_alias=True,
                )
                if items
                else []
            )
            return value


def _json_list(text: str | None) -> list[Any]:
    # The ORM's `row.column or []`: SQL NULL, JSON null and [] are all no values.
    if text is None or text == "[]":
        return []
    return _loads(text) or []


def _address(item: dict[str, Any]) -> dict[str, Any]:
    """RecordAddress(**item) dumped: its cleaning of what a header could carry, and nothing
    else of the stored dict. Anything but plain strings takes the model itself."""
    name = item.get("name")
    email = item.get("email")
    if type(email) is str and (name is None or type(name) is str):
        return {"name": shown_text(name), "email": shown_text(email)}
    return RecordAddress.model_validate(item, context=TRUSTED).model_dump(
        mode="json", by_alias=True
    )


class _EmailReader(KindReader):
    def __init__(self) -> None:
        super().__init__(Email, _EMAIL_KEYS, as_text=_EMAIL_JSON)
        self._date_index = _EMAIL_KEYS.index("date")

    def wire(self, row: Row, dialect: Dialect, decoded: Decoded) -> dict[str, Any]:
        (id_, created, updated, _destroyed, mailbox_id, keywords, message_id, in_reply_to,
         references, subject, from_, sender, to, cc, bcc, reply_to, date, received_at, size,
         preview, attachments) = row  # fmt: skip
        proc = self.processors(dialect)[self._date_index]
        if proc is not None:
            date, received_at = proc(date), proc(received_at)
        files = decoded.attachment_list(attachments)
        addresses = decoded.address_list
        return {
            "id": id_,
            "createdModseq": created,
            "updatedModseq": updated,
            "mailboxId": mailbox_id,
            "keywords": decoded.keyword_list(keywords),
            "messageId": message_id,
            "inReplyTo": decoded.string_list(in_reply_to),
            "references": decoded.string_list(references),
            "subject": subject,
            "from": addresses(from_),
            "sender": addresses(sender),
            "to": addresses(to),
            "cc": addresses(cc),
            "bcc": addresses(bcc),
            "replyTo": addresses(reply_to),
            "sentAt": _aware(date),
            "receivedAt": _aware(received_at),
            "size": size,
            "preview": preview,
            "hasAttachment": bool(files),
            "attachments": files,
        }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# In the feed's order of kinds (the order of the Changes model's fields).
READERS: dict[str, KindReader] = {
    "mailboxes": _ModelReader(SYNCED_MODELS["mailboxes"], mailbox_model),
    "emails": _EmailReader(),
    "drafts": _ModelReader(SYNCED_MODELS["drafts"], draft_model),
    "submissions": _ModelReader(SYNCED_MODELS["submissions"], submission_model),
}


def _changed_since(model: Any) -> Any:
    """Whether `model` has a row of the account in (since, the account's modseq]; only asked
    when the account moved past `since` (CASE evaluates its branch only then)."""
    account = Account.__table__.c
    table = model.__table__.c
    return case(
        (
            account.modseq > bindparam("since"),
            exists().where(
                table.account_id == account.id,
                table.updated_modseq > bindparam("since"),
                table.updated_modseq <= account.modseq,
            ),
        ),
        else_=None,
    )


# The account's state, and which kinds changed since the client's state, in one statement
# (one snapshot): a pull then reads only the kinds that changed, mostly emails alone, instead
# of one query per kind whether or not it changed (issue 11: 2 statements instead of 5).
ACCOUNT_STATE = Prepared(
    select(
        Account.modseq,
        Account.pruned_modseq,
        *(_changed_since(reader.model) for reader in READERS.values()),
    ).where(Account.id == bindparam("account"))
)
