"""TLS to the upstream: verified, host name checked, an invalid certificate refused."""

from __future__ import annotations

import ssl

import pytest
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.upstream.connection import Endpoint, UpstreamError, connect, tls_context
from mailapp.server.upstream.models import LinkState, UpstreamAccount
from mailapp.server.upstream.run import sync_link
from tests.imap.conftest import MailUser
from tests.imap.helpers import link_user
from tests.imap.messages import messages


def trusting(ca_file: str) -> ssl.SSLContext:
    context = tls_context()
    context.load_verify_locations(ca_file)
    return context


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_a_self_signed_certificate_is_refused(mail_user: MailUser, mode: str) -> None:
    port = mail_user.dovecot.tls_port if mode == "implicit" else mail_user.port
    endpoint = Endpoint("127.0.0.1", port, mode, mail_user.name)

    with pytest.raises(UpstreamError) as refused:
        connect(endpoint, mail_user.password).logout()

    assert refused.value.state is LinkState.tls_error
    assert "TLS certificate of 127.0.0.1" in str(refused.value)
    assert "self-signed certificate" in str(refused.value)
    assert "connection was refused" in str(refused.value)


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_a_trusted_certificate_connects(mail_user: MailUser, mode: str) -> None:
    port = mail_user.dovecot.tls_port if mode == "implicit" else mail_user.port
    context = trusting(str(mail_user.dovecot.ca_file))
    client = connect(
        Endpoint("localhost", port, mode, mail_user.name), mail_user.password, ssl_context=context
    )
    try:
        assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == 0
    finally:
        client.logout()


def test_a_certificate_for_another_name_is_refused(mail_user: MailUser) -> None:
    context = trusting(str(mail_user.dovecot.ca_file))
    # Trusted, but issued to `localhost`, not to 127.0.0.1: the host name check refuses it.
    endpoint = Endpoint("127.0.0.1", mail_user.dovecot.tls_port, "implicit", mail_user.name)
    with pytest.raises(UpstreamError) as refused:
        connect(endpoint, mail_user.password, ssl_context=context).logout()
    assert refused.value.state is LinkState.tls_error
    assert "not valid" in str(refused.value) and "mismatch" in str(refused.value).lower()


def test_the_link_records_an_invalid_certificate(engine: Engine, mail_user: MailUser) -> None:
    mail_user.append("INBOX", messages(1))
    linked = link_user(engine, mail_user)
    with session_scope(engine) as session:
        row = session.get(UpstreamAccount, linked.upstream_id)
        assert row is not None
        row.tls, row.port = "implicit", mail_user.dovecot.tls_port

    assert sync_link(engine, linked.key, linked.upstream_id) is None

    row = linked.link_row()
    assert row.state == "tls_error"
    assert "self-signed certificate" in (row.last_error or "")
    assert linked.emails() == []


def test_connections_per_host_are_capped(
    mail_user: MailUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailapp.server.upstream import connection

    monkeypatch.setattr(connection, "MAX_CONNECTIONS_PER_HOST", 1)
    monkeypatch.setattr(connection, "SLOT_WAIT_SECONDS", 0.2)
    monkeypatch.setattr(connection, "_slots", {})
    endpoint = Endpoint("127.0.0.1", mail_user.port, "none", mail_user.name)
    first = connect(endpoint, mail_user.password)
    try:
        with pytest.raises(UpstreamError) as capped:
            connect(endpoint, mail_user.password)
        assert capped.value.state is LinkState.unreachable
        assert "already holds 1 connections to 127.0.0.1" in str(capped.value)
    finally:
        connection.close(first)
    connection.close(connect(endpoint, mail_user.password))  # the slot was given back
    # A failed login gives its slot back too.
    with pytest.raises(UpstreamError):
        connect(endpoint, "not-the-password")
    connection.close(connect(endpoint, mail_user.password))
