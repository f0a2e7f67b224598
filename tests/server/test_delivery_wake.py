"""A message sent now goes out at once, and only that wakes the delivery loop: the flag changes
and moves that make up most of a busy server's commits do not each cost every worker a check
for due mail (issue 11)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.server.conftest import RunningServer
from tests.server.test_delivery import address, mailbox_messages, push, push_send, wait_until

SLOW_POLL = {"MAILAPP_DELIVERY_POLL": "30"}  # any prompt delivery below is the wake's doing


def test_only_mail_due_now_wakes_the_delivery_loop(
    server_factory: Callable[..., RunningServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SLOW_POLL.items():
        monkeypatch.setenv(name, value)
    server = server_factory()
    alice, bob = server.new_user("alice"), server.new_user("bob")
    checks: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM submission" in statement and "send_at <=" in statement:
            checks.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        for _ in range(5):
            push(alice, [{"type": "mailbox.create",
                          "args": {"mailboxId": str(uuid.uuid4()), "name": "Box"}}])  # fmt: skip
        assert checks == []  # ordinary changes: no look for due mail
        push_send(alice, [address(bob)], subject="Right away")
        # A poll 30 s away, yet the message is in Bob's inbox within moments.
        wait_until(
            lambda: [m for m in mailbox_messages(bob, "inbox") if m["subject"] == "Right away"],
            "local delivery",
            timeout=10,
        )
        assert checks
    finally:
        event.remove(Engine, "before_cursor_execute", before)
