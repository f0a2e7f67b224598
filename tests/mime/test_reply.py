"""Replying and forwarding: subjects, threading headers and quoting."""

from datetime import UTC, datetime

import pytest

from mailapp.core.addresses import Address
from mailapp.mime.compose import compose_message
from mailapp.mime.parse import ParsedMessage, parse_message
from mailapp.mime.reply import forward_subject, quote_for_reply, reply_headers, reply_subject


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Lunch", "Re: Lunch"), ("Re: Lunch", "Re: Lunch"), ("RE: re:Lunch", "Re: Lunch"),
     ("AW: Lunch", "Re: Lunch"), ("Re[2]: Lunch", "Re: Lunch"), ("Fwd: Lunch", "Re: Fwd: Lunch"),
     ("", "Re: "), ("  Re:   spaced  out ", "Re: spaced out")],
)
def test_reply_subject_never_stacks(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected
    assert reply_subject(reply_subject(subject)) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Lunch", "Fwd: Lunch"), ("Fwd: Lunch", "Fwd: Lunch"), ("FW: fwd: Lunch", "Fwd: Lunch"),
     ("WG: Lunch", "Fwd: Lunch"), ("Re: Lunch", "Fwd: Re: Lunch")],
)
def test_forward_subject_never_stacks(subject: str, expected: str) -> None:
    assert forward_subject(subject) == expected
    assert forward_subject(forward_subject(subject)) == expected


def _message(**fields: object) -> ParsedMessage:
    defaults: dict[str, object] = {"message_id": "m3@x.org", "subject": "s",
                                   "sender": Address("Ann", "ann@x.org")}
    defaults.update(fields)
    return ParsedMessage(**defaults)  # type: ignore[arg-type]


def test_reply_headers_extend_the_thread() -> None:
    parent = _message(references=["m1@x.org", "m2@x.org"], in_reply_to="m2@x.org")
    assert reply_headers(parent) == ("m3@x.org", ["m1@x.org", "m2@x.org", "m3@x.org"])


def test_reply_headers_use_in_reply_to_when_references_are_missing() -> None:
    parent = _message(in_reply_to="m2@x.org")
    assert reply_headers(parent) == ("m3@x.org", ["m2@x.org", "m3@x.org"])


def test_very_long_threads_keep_root_and_recent_ancestors() -> None:
    parent = _message(references=[f"m{i}@x.org" for i in range(50)], message_id="last@x.org")
    _, references = reply_headers(parent)
    assert len(references) == 20
    assert references[0] == "m0@x.org" and references[-1] == "last@x.org"


def test_reply_written_with_helpers_threads_in_a_real_message() -> None:
    ann, me = Address("Ann", "ann@x.org"), Address("Me", "me@x.org")
    first = parse_message(compose_message(ann, [me], subject="Plan", text_body="Shall we?"))
    in_reply_to, references = reply_headers(first)
    reply = parse_message(compose_message(
        me, [ann], subject=reply_subject(first.subject),
        text_body="Yes!\n\n" + quote_for_reply(first), in_reply_to=in_reply_to,
        references=references))
    assert reply.subject == "Re: Plan"
    assert reply.in_reply_to == first.message_id
    assert reply.references == [first.message_id]
    assert reply.text_body is not None and "> Shall we?" in reply.text_body


def test_quote_has_attribution_and_quotes_every_line() -> None:
    parent = _message(date=datetime(2026, 5, 4, 13, 30, tzinfo=UTC),
                      text_body="Hello\n\n> earlier\nBye")
    assert quote_for_reply(parent) == (
        "On Mon, 04 May 2026 at 13:30, Ann <ann@x.org> wrote:\n> Hello\n>\n>> earlier\n> Bye\n"
    )


def test_quote_of_html_only_message_uses_its_text() -> None:
    parent = _message(html_body="<p>Hi <b>there</b></p><script>x()</script>", sender=None)
    assert quote_for_reply(parent) == "someone wrote:\n> Hi there\n"


def test_snippet_folds_whitespace_skips_quotes_and_is_short() -> None:
    message = _message(text_body="Hello   there,\n\n> old quoted text\n" + "word " * 100)
    assert message.snippet.startswith("Hello there, word word")
    assert "old quoted" not in message.snippet
    assert len(message.snippet) <= 161
    assert _message(html_body="<p>Only&nbsp;<i>HTML</i></p>").snippet == "Only HTML"
    assert _message().snippet == ""
