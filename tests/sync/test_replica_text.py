"""Text a server got wrong (lone surrogates from broken mail) is stored, not a stuck sync."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from mailapp import wire
from mailapp.store import open_store
from mailapp.store.replica import apply_changes
from tests.support.accounts import synced_account


def test_a_page_with_unencodable_text_is_applied_with_replacement_characters(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "mail.sqlite3")
    account = synced_account(store)
    when = datetime(2026, 3, 1, tzinfo=UTC).isoformat()
    # What json.loads makes of "\ud800" in a server's answer: a lone surrogate in a str.
    body = '{"id": "e1", "createdModseq": 2, "updatedModseq": 2, "mailboxId": "inbox-1",'
    body += f' "subject": "Price \\ud800 list", "sentAt": "{when}", "receivedAt": "{when}"}}'
    record = wire.EmailRecord.model_validate(json.loads(body))
    good = record.model_copy(update={"id": "e2", "subject": "Fine"})

    apply_changes(
        store,
        account,
        wire.Changes(
            old_state="1",
            new_state="2",
            has_more=False,
            emails=wire.TypeChanges[wire.EmailRecord](created=[record, good]),
        ),
    )

    subjects = sorted(m.subject for m in store.page("inbox-1"))
    assert subjects == ["Fine", "Price \ufffd list"]
    assert store.sync_state(account)[0] == "2"
    store.close()
