"""The profile's preferences: one versioned JSON document in the store's ``meta`` table.

Plain JSON (never pickles), so a person or a later version can read it. Each document carries
``version``; older documents are brought forward by the steps in ``_UPGRADES``. Keys this version
does not know (written by a newer mailapp) are kept on save, and a value that does not validate
falls back to its default alone, so one bad entry never loses the others.

The body prefetch window is also copied into every synced account's ``sync_state`` row, which
is where the sync engine reads it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailapp.store.replica import set_prefetch_days, synced_accounts
from mailapp.store.replica_bodies import ALL_MAIL
from mailapp.store.schema import meta
from mailapp.store.store import MailStore

log = logging.getLogger(__name__)

SETTINGS_KEY = "settings"
CURRENT_VERSION = 1


class RemoteContent(StrEnum):
    # Remote images are never fetched by the reading pane; "load" turns them into links.
    ASK = "ask"  # blocked, with a "Load" button on each message
    KNOWN_SENDERS = "known_senders"  # loaded without asking for senders you have written to


class AppSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # Days of mail whose bodies are kept offline; 0: each body only when opened; -1: all mail
    # (ALL_MAIL, as Thunderbird's offline folders: an initial sync downloads every body).
    prefetch_days: int = Field(default=30, ge=ALL_MAIL, le=3650)
    sync_interval_minutes: int = Field(default=5, ge=1, le=24 * 60)
    undo_send_seconds: int = Field(default=10, ge=0, le=60)  # 0: send at once
    remote_content: RemoteContent = RemoteContent.ASK
    # j/k and n/p move through the message list; off for people who type into the window.
    single_key_shortcuts: bool = True
    # No new-mail notifications (Settings, or the tray menu); mail still arrives and is counted.
    do_not_disturb: bool = False
    # Compose formatted mail (sent as HTML with a plain-text part), as Thunderbird does by
    # default; off: the composer edits plain text only.
    compose_html: bool = True
    # Where a reply's signature goes: below what the user writes, above the quote (Thunderbird's
    # default), or at the very end, below the quote.
    signature_below_quote: bool = False


DEFAULTS = AppSettings()

# version n -> a function turning a version-n document into a version n+1 document.
_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    # Documents from before versioning were written without "version"; same fields.
    0: lambda document: document,
}


def _upgrade(document: dict[str, Any]) -> dict[str, Any]:
    version = document.get("version", 0)
    if not isinstance(version, int):
        version = 0
    while version < CURRENT_VERSION:
        document = _UPGRADES[version](dict(document))
        version += 1
    document["version"] = max(version, CURRENT_VERSION)
    return document


def _validated(document: dict[str, Any]) -> AppSettings:
    try:
        return AppSettings.model_validate(document)
    except ValidationError as exc:
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        log.warning("settings with invalid values reset to defaults: %s", ", ".join(sorted(bad)))
        return AppSettings.model_validate({k: v for k, v in document.items() if k not in bad})


def _read_document(conn: Connection) -> dict[str, Any]:
    raw = conn.execute(select(meta.c.value).where(meta.c.key == SETTINGS_KEY)).scalar()
    if raw is None:
        return {}
    try:
        document = json.loads(raw)
    except ValueError:
        log.warning("the settings document is not JSON; using defaults")
        return {}
    return document if isinstance(document, dict) else {}


def load_settings(store: MailStore) -> AppSettings:
    with store._read() as conn:
        document = _read_document(conn)
    return _validated(_upgrade(document)) if document else DEFAULTS


def save_settings(store: MailStore, settings: AppSettings) -> None:
    with store._write() as conn:
        document = _upgrade(_read_document(conn))
        document.update(settings.model_dump(mode="json"))
        value = json.dumps(document, sort_keys=True)
        conn.execute(
            sqlite_insert(meta)
            .values(key=SETTINGS_KEY, value=value)
            .on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value})
        )
    apply_prefetch_window(store, settings)


def apply_prefetch_window(store: MailStore, settings: AppSettings) -> None:
    """Give every synced account the profile's prefetch window (new accounts call this too)."""
    for account in synced_accounts(store):
        if account.prefetch_days != settings.prefetch_days:
            set_prefetch_days(store, account.account_id, settings.prefetch_days)


_WRITTEN_TO = text(
    "SELECT 1 FROM messages m, json_each(m.headers, '$.' || :field) AS r "
    "WHERE m.mailbox_id = :sent AND lower(json_extract(r.value, '$.email')) = :email LIMIT 1"
)


def has_written_to(store: MailStore, account_id: str, email: str) -> bool:
    """True when the account's Sent mailbox holds a message to (or cc) `email`."""
    sent = store.mailbox_by_role(account_id, "sent")
    if sent is None or not email:
        return False
    with store._read() as conn:
        return any(
            conn.execute(
                _WRITTEN_TO, {"field": field, "sent": sent.id, "email": email.lower()}
            ).first()
            for field in ("to", "cc")
        )


def remote_content_allowed(
    store: MailStore, settings: AppSettings, account_id: str, sender_email: str | None
) -> bool:
    """Whether the reading pane may show a message's remote images without asking."""
    if settings.remote_content is RemoteContent.ASK or not sender_email:
        return False
    return has_written_to(store, account_id, sender_email)
