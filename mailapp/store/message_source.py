"""A message's source (its bytes as received), and messages added from .eml files.

Imported messages keep their bytes (`message_raw`, store/raw_codec.py); synced ones keep only
what the reading pane needs, so their source comes from the server (`GET /v1/messages/{id}/raw`,
fetched by the desktop app when asked for) and is kept here once fetched.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from mailapp.store.schema import accounts, mailboxes, message_bodies, message_raw, messages
from mailapp.store.store import MailStore

# What a dropped file may be at most: a message is rarely over 50 MB even with attachments, and
# the whole file is read into memory to parse it.
MAX_EML_BYTES = 100 * 2**20


def raw_source(store: MailStore, message_id: str) -> bytes | None:
    """The message's bytes if this computer has them (None: ask the server, or never had)."""
    from mailapp.store.raw_codec import unpack  # zstandard: only when a source is asked for

    with store._read() as conn:
        row = conn.execute(
            select(message_raw.c.message_num, message_raw.c.raw, message_raw.c.dictionary)
            .join(messages, messages.c.num == message_raw.c.message_num)
            .where(messages.c.id == message_id)
        ).first()
        return None if row is None else unpack(conn, row.message_num, row.raw, row.dictionary)


def keep_raw_source(store: MailStore, message_id: str, raw: bytes) -> None:
    """Keeps bytes fetched from the server beside the message's stored body, if it has one
    (without one the message is not offline at all, and its source is fetched again)."""
    from mailapp.store.raw_codec import keep

    with store._write() as conn:
        number = conn.execute(
            select(message_bodies.c.message_num)
            .join(messages, messages.c.num == message_bodies.c.message_num)
            .where(messages.c.id == message_id)
        ).scalar()
        if number is not None:
            keep(conn, [(number, raw)])


def is_synced_mailbox(store: MailStore, mailbox_id: str) -> bool:
    with store._read() as conn:
        server_url = conn.execute(
            select(accounts.c.server_url)
            .join(mailboxes, mailboxes.c.account_id == accounts.c.id)
            .where(mailboxes.c.id == mailbox_id)
        ).scalar()
    return server_url is not None


def import_eml(store: MailStore, mailbox_id: str, files: Sequence[bytes]) -> int:
    """Adds messages read from .eml files to a mailbox of a local account, through the store's
    import; returns how many. A mailbox of a synced account is refused (ValueError; ask
    `is_synced_mailbox` first): the sync protocol has no mutation that uploads a message, so
    one added here would stay on this computer, unknown to the server and every other device."""
    from mailapp.mime.parse import parse_message  # the MIME parser: only when importing

    if is_synced_mailbox(store, mailbox_id):
        raise ValueError(f"mailbox {mailbox_id} syncs with a server: it cannot import")
    account_id = next(
        (m.account_id for m in store.mailboxes() if m.id == mailbox_id),
        None,
    )
    if account_id is None:
        raise ValueError(f"mailbox {mailbox_id} does not exist")
    items = [(mailbox_id, parse_message(raw), frozenset({"$seen"})) for raw in files]
    return store.import_messages(account_id, items)
