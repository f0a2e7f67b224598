"""Inbound delivery over LMTP (server/lmtp.py): a real LMTP client (smtplib.LMTP) against the
listener on loopback, beside the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from mailapp.server.db import session_scope
from mailapp.server.lmtp import ListenAddressError, LmtpListener, parse_listen_address
from mailapp.server.models import Email, Mailbox
from tests.server.conftest import RunningServer, User
from tests.server.test_events import open_stream

TIMEOUT = 30.0


def message(subject: str, body: str = "Hello from outside.\n", to: str = "x@example.org") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Outside <someone@elsewhere.example>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{subject.replace(' ', '.')}@elsewhere.example>"
    msg.set_content(body)
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@contextlib.contextmanager
def listening(
    server: RunningServer, address: str = "127.0.0.1:0", **overrides: int
) -> Iterator[LmtpListener]:
    settings = server.settings
    listener = LmtpListener(
        server.engine,
        parse_listen_address(address),
        max_bytes=overrides.get("max_bytes", settings.lmtp_max_bytes),
        max_recipients=overrides.get("max_recipients", settings.lmtp_max_recipients),
        storage_quota_bytes=overrides.get("storage_quota_bytes", settings.storage_quota_bytes),
        hostname="mx.test",
    )
    listener.start()
    try:
        yield listener
    finally:
        listener.stop()


@contextlib.contextmanager
def lmtp_client(listener: LmtpListener) -> Iterator[smtplib.LMTP]:
    if listener.address.unix_path is not None:
        client = smtplib.LMTP(str(listener.address.unix_path), timeout=TIMEOUT)
    else:
        client = smtplib.LMTP("127.0.0.1", listener.port, timeout=TIMEOUT)
    try:
        code, _ = client.ehlo()  # smtplib.LMTP sends LHLO
        assert code == 250
        yield client
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()


def transaction(
    client: smtplib.LMTP, recipients: list[str], raw: bytes, mail_options: tuple[str, ...] = ()
) -> tuple[dict[str, tuple[int, bytes]], list[tuple[int, bytes]]]:
    """MAIL, one RCPT each, DATA: (RCPT replies, one DATA reply per accepted recipient)."""
    code, reply = client.mail("someone@elsewhere.example", list(mail_options))
    assert code == 250, reply
    rcpt = {r: client.rcpt(r) for r in recipients}
    accepted = [r for r, (code, _) in rcpt.items() if code == 250]
    if not accepted:
        client.rset()
        return rcpt, []
    first = client.data(raw)
    # smtplib reads the first reply only; LMTP sends one per accepted recipient (RFC 2033).
    replies = [first] + [client.getreply() for _ in accepted[1:]]
    return rcpt, replies


def inbox_subjects(server: RunningServer, account_id: str) -> list[str]:
    with session_scope(server.engine, write=False) as session:
        return list(
            session.scalars(
                select(Email.subject)
                .join(Mailbox, Mailbox.id == Email.mailbox_id)
                .where(
                    Email.account_id == account_id,
                    Mailbox.role == "inbox",
                    Email.destroyed_modseq.is_(None),
                )
                .order_by(Email.subject)
            )
        )


def address(user: User) -> str:
    return f"{user.name}@example.org"


def test_mail_for_two_users_is_filed_and_unknown_recipients_refused_at_rcpt(
    server: RunningServer,
) -> None:
    alice, bob = server.new_user("alice"), server.new_user("bob")
    with listening(server) as listener, lmtp_client(listener) as client:
        rcpt, replies = transaction(
            client,
            [address(alice), "nobody@example.org", address(bob).upper()],
            message("Quarterly report"),
        )
    assert rcpt["nobody@example.org"][0] == 550
    assert b"5.1.1" in rcpt["nobody@example.org"][1]
    assert [code for code, _ in replies] == [250, 250]
    assert address(alice).encode() in replies[0][1]
    assert inbox_subjects(server, alice.account_id) == ["Quarterly report"]
    assert inbox_subjects(server, bob.account_id) == ["Quarterly report"]
    # Listed through the API like any message (REST sees it, with its parsed sender).
    found = alice.client.get("/v1/changes", params={"since": 0})
    assert found.status_code == 200, found.text
    assert "Quarterly report" in found.text and "someone@elsewhere.example" in found.text


def test_the_same_bytes_delivered_twice_make_one_copy(server: RunningServer) -> None:
    alice = server.new_user("alice")
    raw = message("Invoice 42")
    with listening(server) as listener:
        for _ in range(2):  # e.g. the MTA lost our reply to the first DATA and tries again
            with lmtp_client(listener) as client:
                _, replies = transaction(client, [address(alice)], raw)
            assert replies[0][0] == 250
        # Other bytes (another Received line, say) are another message.
        with lmtp_client(listener) as client:
            _, replies = transaction(client, [address(alice)], b"X-Hop: 2\r\n" + raw)
        assert replies[0][0] == 250
    assert inbox_subjects(server, alice.account_id) == ["Invoice 42", "Invoice 42"]


def test_size_limit_is_advertised_and_enforced_for_each_recipient(server: RunningServer) -> None:
    alice, bob = server.new_user("alice"), server.new_user("bob")
    big = message("Too big", body="x" * 900 + "\n" * 40)
    with listening(server, max_bytes=len(big) - 1) as listener, lmtp_client(listener) as client:
        assert client.has_extn("size")
        assert int(client.esmtp_features["size"]) == len(big) - 1
        # Announced with SIZE: refused at MAIL.
        code, reply = client.mail("someone@elsewhere.example", [f"SIZE={len(big)}"])
        assert code == 552, reply
        client.rset()
        # Not announced: the data is read to its end, then refused once per recipient.
        _, replies = transaction(client, [address(alice), address(bob)], big)
        assert [code for code, _ in replies] == [552, 552]
        # The connection is still usable afterwards.
        _, replies = transaction(client, [address(alice)], message("Small"))
        assert replies[0][0] == 250
    assert inbox_subjects(server, alice.account_id) == ["Small"]
    assert inbox_subjects(server, bob.account_id) == []


def test_a_full_mailbox_refuses_only_its_recipient(server: RunningServer) -> None:
    alice, bob = server.new_user("alice"), server.new_user("bob")
    server.deliver(bob.account_id, b"Subject: old\r\n\r\n" + b"y" * 5000)
    raw = message("Hello both")
    with listening(server, storage_quota_bytes=4000) as listener, lmtp_client(listener) as client:
        _, replies = transaction(client, [address(alice), address(bob)], raw)
    assert replies[0][0] == 250
    assert replies[1][0] == 552 and b"5.2.2" in replies[1][1]
    assert inbox_subjects(server, alice.account_id) == ["Hello both"]
    assert "Hello both" not in inbox_subjects(server, bob.account_id)


def test_recipients_per_transaction_and_line_length_are_bounded(server: RunningServer) -> None:
    users = [server.new_user("u") for _ in range(3)]
    with listening(server, max_recipients=2) as listener, lmtp_client(listener) as client:
        rcpt, replies = transaction(client, [address(u) for u in users], message("Bounded"))
        assert rcpt[address(users[2])][0] == 452  # the MTA sends it again in a new transaction
        assert [code for code, _ in replies] == [250, 250]
        long_line = b"Subject: long\r\n\r\n" + b"z" * 5000 + b"\r\n"
        _, replies = transaction(client, [address(users[0]), address(users[1])], long_line)
        assert [code for code, _ in replies] == [500, 500]
    assert inbox_subjects(server, users[2].account_id) == []
    assert inbox_subjects(server, users[0].account_id) == ["Bounded"]


def test_a_delivered_message_wakes_the_event_stream(server: RunningServer) -> None:
    alice = server.new_user("alice")
    with (
        listening(server) as listener,
        open_stream(server.url, alice.token) as stream,
    ):
        before = int(stream.next_state().data["state"])
        with lmtp_client(listener) as client:
            _, replies = transaction(client, [address(alice)], message("Wake up"))
        assert replies[0][0] == 250
        assert int(stream.next_state().data["state"]) > before


def test_unix_socket_listener_replaces_a_stale_socket(
    server: RunningServer, tmp_path: Path
) -> None:
    path = tmp_path / "lmtp.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))  # bound, never listening: what a killed process leaves behind
    stale.close()
    alice = server.new_user("alice")
    with listening(server, f"unix:{path}") as listener:
        assert oct(path.stat().st_mode & 0o777) == oct(0o660)
        with lmtp_client(listener) as client:
            _, replies = transaction(client, [address(alice)], message("Over a socket"))
        assert replies[0][0] == 250
        with (
            pytest.raises(ListenAddressError, match="already listens"),
            listening(server, f"unix:{path}"),
        ):
            pass
    assert not path.exists()
    assert inbox_subjects(server, alice.account_id) == ["Over a socket"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("0.0.0.0:2424", "only on loopback"),
        ("192.0.2.1:24", "only on loopback"),
        ("mail.example.org:24", "must be an IP address"),
        ("127.0.0.1", "must look like"),
        ("127.0.0.1:99999", "0-65535"),
        ("unix:relative/path", "absolute"),
    ],
)
def test_listen_addresses_other_than_loopback_or_a_socket_are_refused(
    text: str, error: str
) -> None:
    with pytest.raises(ListenAddressError, match=error):
        parse_listen_address(text)


def test_loopback_addresses_are_accepted() -> None:
    assert str(parse_listen_address("127.0.0.1:2424")) == "127.0.0.1:2424"
    assert str(parse_listen_address("[::1]:24")) == "[::1]:24"
    assert parse_listen_address("unix:/run/mailapp/lmtp").unix_path == Path("/run/mailapp/lmtp")
