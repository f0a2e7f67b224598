"""Tokens live in the keyring (or, without one, in memory only) and never reach a log."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from mailapp.sync import credentials, redact
from mailapp.sync.client import ApiClient
from tests.server.conftest import RunningServer
from tests.sync.conftest import DeviceFactory
from tests.sync.keyring_backend import FileKeyring


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_token_round_trip_through_the_keyring(test_keyring: FileKeyring) -> None:
    key = credentials.account_key("https://mail.example.org/", "alice")
    assert credentials.store_token(key, "secret-token") is True
    assert "secret-token" in test_keyring.path.read_text()
    assert credentials.load_token(key) == "secret-token"
    credentials.forget_token(key)
    assert credentials.load_token(key) is None


def test_without_a_keyring_the_sign_in_lasts_for_this_session_only(no_keyring: None) -> None:
    key = credentials.account_key("https://mail.example.org", "bob")
    assert credentials.store_token(key, "session-only") is False
    assert credentials.load_token(key) == "session-only"
    credentials.forget_token(key)
    assert credentials.load_token(key) is None


def test_secrets_are_blanked_in_every_log_record(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("mailapp.test.redact")
    redact.install(logger)
    with caplog.at_level(logging.DEBUG, logger="mailapp.test.redact"):
        logger.warning("sent Authorization: Bearer abc.DEF-123 to %s", "server")
        logger.warning('login body {"name": "alice", "password": "hunter2"}')
        logger.warning("token=%s", "tok-9")
    text = caplog.text
    for secret in ("abc.DEF-123", "hunter2", "tok-9"):
        assert secret not in text
    assert text.count(redact.REDACTED) == 3 and "alice" in text


def test_a_full_sign_in_and_sync_logs_no_secret(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = sync_server.new_user("alice")
    with caplog.at_level(logging.DEBUG):
        device = device_factory(alice)
        device.sync()
    assert device.client.token
    assert device.client.token not in caplog.text and alice.password not in caplog.text
    assert device.client.token not in repr(device.client)
    assert isinstance(device.client, ApiClient)
