"""The server reads a message with the client's own parser (issue 9 item 6): for bounce reports
and unusual multiparts, `/body` has the text the reading pane shows, never "no text"."""

from __future__ import annotations

import pytest

from mailapp.mime.parse import parse_message
from tests.server.conftest import RunningServer, User
from tests.server.mime_samples import POSTFIX_BOUNCE, SAMPLES


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    return shared_server


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_body_has_the_text_of_bounces_and_unusual_multiparts(
    server: RunningServer, user: User, name: str
) -> None:
    raw, phrase = SAMPLES[name]
    email_id = server.deliver(user.account_id, raw)
    response = user.client.get(f"/v1/messages/{email_id}/body")
    assert response.status_code == 200
    body = response.json()
    assert phrase in (body["text"] or "") or phrase in (body["html"] or "")
    # The same parser on both sides: the client, parsing the raw message itself, agrees.
    parsed = parse_message(user.client.get(f"/v1/messages/{email_id}/raw").content)
    assert (body["text"], body["html"]) == (parsed.text_body, parsed.html_body)


def test_a_bounce_lists_its_report_and_the_returned_message_as_two_attachments(
    server: RunningServer, user: User
) -> None:
    email_id = server.deliver(user.account_id, POSTFIX_BOUNCE)
    record = user.client.get(f"/v1/messages/{email_id}").json()
    types = [a["contentType"] for a in record["attachments"]]
    assert types == ["message/delivery-status", "message/rfc822"]
    assert record["hasAttachment"] is True
    assert record["preview"].startswith("This is the mail system at host mx.example.net.")

    report, returned = record["attachments"]
    status = user.client.get(f"/v1/messages/{email_id}/attachments/{report['partId']}")
    assert status.status_code == 200
    # Both header blocks of the report: the per-message one and the per-recipient one.
    assert b"Reporting-MTA: dns; mx.example.net" in status.content
    assert b"Final-Recipient: rfc822; nobody@example.net" in status.content
    assert len(status.content) == report["size"]

    original = user.client.get(f"/v1/messages/{email_id}/attachments/{returned['partId']}")
    inner = parse_message(original.content)
    assert inner.subject == "hello"
    assert inner.text_body == "Original text."
    assert [a.filename for a in inner.attachments] == ["plan.pdf"]
