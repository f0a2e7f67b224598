"""`GET /v1/upstream`: the link state the desktop's account settings show, scoped to the account."""

from __future__ import annotations

import time
from pathlib import Path

from mailapp.server.config import Settings
from mailapp.server.upstream import secrets
from mailapp.server.upstream.connection import Endpoint
from mailapp.server.upstream.links import link
from tests.imap.conftest import MailUser
from tests.server.conftest import run_server


def test_link_state_over_rest(tmp_path: Path, mail_user: MailUser) -> None:
    data = tmp_path / "data"
    secrets.create_key(data / secrets.KEY_FILE_NAME)
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'server.sqlite3'}")
    with run_server(settings) as server:
        alice, bob = server.new_user("alice"), server.new_user("bob")
        assert alice.client.get("/v1/upstream").json() == {
            "linked": False,
            "host": None,
            "port": None,
            "tls": None,
            "username": None,
            "address": None,
            "state": None,
            "lastSyncAt": None,
            "lastError": None,
        }
        key = secrets.load_key(data / secrets.KEY_FILE_NAME)
        endpoint = Endpoint(mail_user.host, mail_user.port, "none", mail_user.name)
        mailapp_address = alice.client.get("/v1/session").json()["email"]
        link(
            server.engine,
            key,
            alice.name,
            endpoint,
            "not-the-password",
            smtp_host="127.0.0.1",
            address="alice@provider.example",
        )

        deadline = time.monotonic() + 30
        body = alice.client.get("/v1/upstream").json()
        while body["state"] in ("pending", "importing") and time.monotonic() < deadline:
            time.sleep(0.1)
            body = alice.client.get("/v1/upstream").json()

        assert body["linked"] is True
        assert (body["host"], body["port"], body["tls"]) == ("127.0.0.1", mail_user.port, "none")
        assert body["username"] == mail_user.name
        assert body["address"] == "alice@provider.example"
        # She sends through the provider now: the desktop's From is her address there.
        assert mailapp_address != "alice@provider.example"
        assert alice.client.get("/v1/session").json()["email"] == "alice@provider.example"
        assert body["state"] == "auth_failed"
        assert "refused the username or password" in body["lastError"]
        assert "not-the-password" not in str(body)
        # Another account sees only its own (no) link; without a token, nothing.
        assert bob.client.get("/v1/upstream").json()["linked"] is False
        assert server.client().get("/v1/upstream").status_code == 401
