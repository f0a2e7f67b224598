"""Identities on the server: the admin gives a user more From addresses (`mailapp-server
aliases`), the session lists them, a draft sent as one goes out with its display name, and a
send from any other address is refused with a reason the user can read."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest

from tests.server.conftest import RunningServer
from tests.server.test_cli_accounts import cli
from tests.server.test_delivery import (
    FAST_ENV,
    RelayHandler,
    address,
    push,
    smtp_relay,
    wait_for_state,
    wait_until,
)


def _send_as(user: Any, sender: dict[str, Any] | None) -> dict[str, Any]:
    draft_id, submission_id = str(uuid.uuid4()), str(uuid.uuid4())
    fields: dict[str, Any] = {
        "to": {"old": None, "new": [{"name": None, "email": "bob@remote.example"}]},
        "subject": {"old": None, "new": "From an alias"},
        "body": {"old": None, "new": "Hello\n"},
    }
    if sender is not None:
        fields["from"] = {"old": None, "new": sender}
    response = push(
        user,
        [
            {"type": "draft.upsert", "args": {"draftId": draft_id, "fields": fields}},
            {
                "type": "submission.create",
                "args": {"submissionId": submission_id, "draftId": draft_id, "sendAt": None},
            },
        ],
    )
    return {"submission_id": submission_id, "results": response["results"]}


def test_an_alias_is_listed_sent_as_with_its_name_and_any_other_address_refused(
    server_factory: Callable[..., RunningServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FAST_ENV.items():
        monkeypatch.setenv(name, value)
    handler = RelayHandler()
    with smtp_relay(handler) as url:
        server = server_factory(smtp_relay_url=url)
        alice = server.new_user("alice")
        assert alice.client.get("/v1/session").json()["addresses"] == [address(alice)]
        code, out, _ = cli(server, "aliases", alice.name, "sales@example.org")
        assert code == 0 and "sales@example.org" in out
        session = alice.client.get("/v1/session").json()
        assert session["addresses"] == [address(alice), "sales@example.org"]

        sent = _send_as(alice, {"name": "Alice at Sales", "email": "Sales@example.org"})
        assert [r["status"] for r in sent["results"]] == ["applied", "applied"], sent
        state = wait_for_state(alice, sent["submission_id"], "sent", "failed")
        assert state["state"] == "sent", state
        wait_until(lambda: handler.received, "the relay received it")
        message = BytesParser(policy=policy.default).parsebytes(handler.received[0].content)
        assert message["From"] == "Alice at Sales <Sales@example.org>"

        refused = _send_as(alice, {"name": "Boss", "email": "ceo@example.org"})
        result = refused["results"][1]
        assert (result["status"], result["reason"]) == ("rejected", "fromNotAllowed"), result
        assert "ceo@example.org" in result["detail"] and "sales@example.org" in result["detail"]

        # A name hiding a line break never becomes a header: the draft itself is refused.
        injected = _send_as(alice, {"name": "Eve\r\nBcc: x@evil.example", "email": address(alice)})
        assert injected["results"][0]["status"] == "rejected", injected

        code, out, _ = cli(server, "aliases", alice.name, "--clear")
        assert code == 0
        assert alice.client.get("/v1/session").json()["addresses"] == [address(alice)]
