"""Header injection through display names (issue 13, High; CPython CVE-2024-6923).

A display name written as an RFC 2047 encoded word that decodes to CR/LF must never become a
header line of its own: not from a client's draft (refused by the wire), not from a draft
stored before the fix (the composer fails closed, nothing is delivered or relayed), not from a
received message's Cc name through the victim's own Reply All, and not from the composer.
Nothing here depends on the interpreter's patch level.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from mailapp.core.addresses import AddressError, parse_address_list
from mailapp.mime.addresses import Address
from mailapp.mime.compose import HeaderError, compose_message
from mailapp.server.db import bump_modseq, session_scope
from mailapp.server.models import Draft, Submission
from mailapp.store import MailStore, open_store
from mailapp.sync.account import add_account, client_for
from mailapp.sync.engine import SyncEngine
from mailapp.ui.composer.composer import open_composer
from mailapp.ui.composer.composer_content import initial_draft
from tests.security.conftest import RunningServer, User
from tests.server.test_delivery import (
    FAST_ENV,
    RelayHandler,
    mailbox_messages,
    push,
    smtp_relay,
    wait_for_state,
    wait_until,
)
from tests.sync.conftest import test_keyring  # noqa: F401 - the file keyring fixture
from tests.ui.conftest import store  # noqa: F401 - a demo store for the composer

PAYLOAD = "=?utf-8?q?Bob=0D=0AReply-To:_attacker@evil.example?="
# The same attack in other spellings: a literal line break, a Unicode line separator, base64,
# an encoded word inside a quoted name, a second From, and one hidden in the address itself.
NAMES = [
    PAYLOAD,
    "Bob\r\nReply-To: attacker@evil.example",
    "Bob\u2028Reply-To: attacker@evil.example",
    "=?utf-8?b?Qm9iDQpSZXBseS1UbzogYXR0YWNrZXJAZXZpbC5leGFtcGxl?=",
    'x "=?utf-8?q?=0AFrom:_ceo@victim.example?=" y',
    "=?utf-8?q?=0D=0ADate:_Mon,_1_Jan_2024_00:00:00_+0000?=",
]
# The ones a person could type into an address field (a field holds no line break).
TYPED = [NAMES[0], NAMES[3], NAMES[5]]
EMAILS = ["=?utf-8?q?bob=0D=0AReply-To:_attacker@evil.example?=@example.org"]


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    return shared_server


@pytest.fixture
def fast_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAST_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def relay() -> Iterator[tuple[RelayHandler, str]]:
    handler = RelayHandler()
    with smtp_relay(handler) as url:
        yield handler, url


def _headers(raw: bytes) -> Any:
    return BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)


# -- the wire: a client's draft is refused, one mutation at a time -----------------------------


@pytest.mark.parametrize("field", ["to", "cc", "bcc"])
@pytest.mark.parametrize(
    "address",
    [{"name": name, "email": "bob@example.org"} for name in NAMES]
    + [{"name": None, "email": email} for email in EMAILS],
)
def test_a_draft_whose_address_hides_a_line_break_is_rejected(
    server: RunningServer, user: User, field: str, address: dict[str, Any]
) -> None:
    draft_id = str(uuid.uuid4())
    good = {"draftId": str(uuid.uuid4()),
            "fields": {"subject": {"old": None, "new": "kept"}}}
    bad = {"draftId": draft_id, "fields": {field: {"old": None, "new": [address]}}}
    response = push(user, [{"type": "draft.upsert", "args": bad},
                           {"type": "draft.upsert", "args": good}])
    first, second = response["results"]
    assert first["status"] == "rejected"
    assert first["reason"] == "invalidArguments"
    assert "cannot be used" in first["detail"] and "line break" in first["detail"]
    assert second["status"] == "applied"  # the batch goes on: one bad mutation fails alone
    assert user.client.get(f"/v1/drafts/{draft_id}").status_code == 404

    put = user.client.put(f"/v1/drafts/{draft_id}", json={field: [address]},
                          headers={"If-None-Match": "*"})
    assert put.status_code == 422
    assert put.headers["content-type"] == "application/problem+json"
    assert "line break" in put.text


# -- drafts stored before the fix: the server's composer fails closed --------------------------


def _stored_draft(server: RunningServer, user: User, to: list[dict[str, Any]],
                  cc: list[dict[str, Any]]) -> str:
    """A draft and its submission written straight to the database, as they could have been
    stored before the wire refused such names; returns the submission id."""
    with session_scope(server.engine) as session:
        modseq = bump_modseq(session, user.account_id)
        draft = Draft(account_id=user.account_id, subject="Invoice", to=to, cc=cc,
                      body="Please find it attached.\n", created_modseq=modseq,
                      updated_modseq=modseq)
        session.add(draft)
        session.flush()
        modseq = bump_modseq(session, user.account_id)
        submission = Submission(account_id=user.account_id, draft_id=draft.id,
                                send_at=datetime.now(UTC), envelope_rcpts=[],
                                created_modseq=modseq, updated_modseq=modseq)
        session.add(submission)
        session.flush()
        return str(submission.id)


def test_a_stored_draft_with_the_payload_is_neither_delivered_nor_relayed(
    server_factory: Callable[..., RunningServer],
    fast_delivery: None,
    relay: tuple[RelayHandler, str],
) -> None:
    handler, url = relay
    server = server_factory(smtp_relay_url=url)
    alice, bob = server.new_user("alice"), server.new_user("bob")
    submission_id = _stored_draft(
        server, alice,
        to=[{"name": PAYLOAD, "email": f"{bob.name}@example.org"}],
        cc=[{"name": "Carol", "email": "carol@remote.example"}],
    )
    failed = wait_for_state(alice, submission_id, "sent", "failed")
    assert failed["state"] == "failed"
    assert "line break" in failed["error"]
    assert mailbox_messages(bob, "inbox") == []  # no local delivery
    assert handler.received == []  # nothing reached the relay


# -- a received Cc name through the victim's own Reply All -------------------------------------


ATTACK = """\
From: Mallory <mallory@remote.example>
To: VICTIM
Cc: {PAYLOAD} <carol@remote.example>, "=?utf-8?q?Dan=0AFrom:_ceo@victim.example?="
 <dan@remote.example>
Subject: Team lunch
Date: Mon, 9 Nov 2026 12:00:00 +0000
Message-ID: <lunch-1@remote.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Friday at noon?
""".replace("{PAYLOAD}", PAYLOAD).replace("\n", "\r\n")


def test_reply_all_to_a_crafted_cc_name_carries_no_injected_header(
    server_factory: Callable[..., RunningServer],
    fast_delivery: None,
    relay: tuple[RelayHandler, str],
    tmp_path: Path,
    test_keyring: Any,  # noqa: F811
) -> None:
    handler, url = relay
    server = server_factory(smtp_relay_url=url)
    victim = server.new_user("victim")
    attack = ATTACK.replace("VICTIM", f"{victim.name}@example.org")
    server.deliver(victim.account_id, attack.encode())

    mail = open_store(tmp_path / "victim" / "mail.sqlite3")
    try:
        account_id = add_account(mail, server.url, victim.name, victim.password).account_id
        client = client_for(mail, account_id)
        engine = SyncEngine(mail, client, account_id)
        engine.run_cycle()
        inbox = mail.mailbox_by_role(account_id, "inbox")
        assert inbox is not None
        (message,) = mail.page(inbox.id, limit=10)
        draft = initial_draft(mail, account_id, "reply_all", message.id)
        assert [a.email for a in draft.to] == ["mallory@remote.example"]
        assert [a.email for a in draft.cc] == ["carol@remote.example", "dan@remote.example"]
        draft_id = mail.save_draft(draft)
        submission_id = mail.queue_send(draft_id)
        engine.run_cycle()
        sent = wait_for_state(victim, submission_id, "sent", "failed")
        client.close()
    finally:
        mail.close()
    assert sent["state"] == "sent", sent
    (received,) = wait_until(lambda: handler.received, "the relay to receive the reply")
    assert sorted(received.rcpt_tos) == ["carol@remote.example", "dan@remote.example",
                                         "mallory@remote.example"]
    headers = _headers(received.content)
    names = [key.lower() for key in headers]
    assert "reply-to" not in names
    assert names.count("from") == 1 and names.count("date") == 1
    assert [a.addr_spec for a in headers["From"].addresses] == [f"{victim.name}@example.org"]
    assert [a.addr_spec for a in headers["Cc"].addresses] == ["carol@remote.example",
                                                            "dan@remote.example"]
    assert b"attacker@evil.example\r\n" not in received.content.split(b"\r\n\r\n", 1)[0]


# -- the client: the composer and the address parser refuse the same input ---------------------


@pytest.mark.parametrize("name", TYPED)
def test_the_composer_refuses_a_name_hiding_a_line_break(
    qtbot: QtBot, store: MailStore, name: str  # noqa: F811
) -> None:
    account_id = store.accounts()[0][0]
    window = open_composer(store, account_id)
    qtbot.addWidget(window)
    qtbot.keyClicks(window.to_field, f'"{name}" <bob@example.org>')
    qtbot.keyClicks(window.subject_field, "Hi")
    assert window.send() is None
    assert window.isVisible()
    assert "line break" in window.error_label.text()
    assert [m for m in store.pending_mutations() if m.type.startswith("submission.")] == []


@pytest.mark.parametrize("name", TYPED)
def test_the_address_parser_refuses_a_name_hiding_a_line_break(name: str) -> None:
    with pytest.raises(AddressError, match="line break"):
        parse_address_list(f'"{name}" <bob@example.org>')
    with pytest.raises(AddressError):  # unquoted, too (a comma may split it first)
        parse_address_list(f"{name} <bob@example.org>, carol@example.org")


@pytest.mark.parametrize("name", NAMES)
def test_compose_refuses_every_spelling(name: str) -> None:
    with pytest.raises(HeaderError, match="line break"):
        compose_message(Address(None, "me@example.org"), [Address(name, "bob@example.org")],
                        subject="Hi", text_body="x")
    with pytest.raises(HeaderError, match="line break"):
        compose_message(Address(None, "me@example.org"), [Address(None, "bob@example.org")],
                        cc=[Address(name, "carol@example.org")], subject="Hi", text_body="x")


def test_a_subject_hiding_a_line_break_is_refused_not_written() -> None:
    with pytest.raises(HeaderError, match="subject"):
        compose_message(Address(None, "me@example.org"), [Address(None, "bob@example.org")],
                        subject="=?utf-8?q?Hi=0D=0ABcc:_everyone@example.org?=", text_body="x")
