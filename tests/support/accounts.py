"""A store account that looks signed in to a server, without a server (for view and store tests)."""

from __future__ import annotations

from mailapp import wire
from mailapp.store import MailStore
from mailapp.store.replica import create_synced_account


def synced_account(store: MailStore) -> str:
    """Account "alice" of an unreachable loopback server, with only an Inbox ("inbox-1")."""
    session = wire.SessionInfo.model_validate(
        {
            "accountId": "acc-1",
            "name": "alice",
            "email": "alice@example.org",
            "state": "1",
            "limits": {
                "maxRequestBytes": 1 << 20,
                "maxAttachmentBytes": 1 << 20,
                "maxMutationsPerSync": 100,
                "maxChangesPerPage": 100,
            },
        }
    )
    inbox = wire.MailboxRecord(
        id="inbox-1", name="Inbox", role="inbox", created_modseq=1, updated_modseq=1
    )
    return create_synced_account(
        store,
        session=session,
        server_url="http://127.0.0.1:9",
        username="alice",
        mailbox_records=[inbox],
    )
