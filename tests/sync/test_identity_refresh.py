"""A desktop signed in before its account was linked to a provider keeps sending as the old
address unless it asks again: each sync records the session's From addresses in the store."""

from __future__ import annotations

import pytest

from mailapp.server.db import session_scope
from mailapp.server.models import Account
from mailapp.server.upstream.models import UpstreamAccount
from mailapp.store.identities import identities
from mailapp.store.outbox_admin import account_address
from mailapp.sync import engine as engine_module
from tests.server.conftest import RunningServer
from tests.sync.conftest import DeviceFactory


def test_each_sync_takes_the_addresses_the_server_sends_as(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    user = sync_server.new_user("alice")
    device = device_factory(user)
    old = account_address(device.store, device.account_id).email
    assert [i.email for i in identities(device.store, device.account_id)] == [old]

    # Upstream, after this desktop signed in: the account is linked to a provider it sends
    # through (so its mail goes out as the provider address), and the admin adds an alias.
    with session_scope(sync_server.engine) as session:
        session.add(
            UpstreamAccount(
                account_id=user.account_id,
                host="imap.provider.example",
                port=993,
                tls="implicit",
                username="alice@provider.example",
                address="alice@provider.example",
                password_enc=b"",
                smtp_host="smtp.provider.example",
                smtp_port=465,
                state="auth_failed",  # nothing for the server to connect to here
            )
        )
        account = session.get(Account, user.account_id)
        assert account is not None
        account.aliases = ["team@provider.example"]

    device.sync()
    assert account_address(device.store, device.account_id).email == "alice@provider.example"
    assert [i.email for i in identities(device.store, device.account_id)] == [
        "alice@provider.example",
        "team@provider.example",
    ]


def test_the_addresses_are_asked_once_per_refresh_period_not_every_cycle(
    sync_server: RunningServer, device_factory: DeviceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = device_factory(sync_server.new_user("carol"))
    asked: list[int] = []
    real = device.engine.client.session_info

    def counting() -> object:
        asked.append(1)
        return real()

    monkeypatch.setattr(device.engine.client, "session_info", counting)
    for _ in range(3):
        device.sync()
    assert len(asked) == 1  # a no-change sync costs no extra round trip

    monkeypatch.setattr(engine_module, "IDENTITY_REFRESH_S", 0.0)
    device.sync()
    assert len(asked) == 2
