"""`set-password`, `revoke-tokens` and `list-sessions` run as an administrator runs them, against
a live server; and tokens whose lifetime slides forward while they are used."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from mailapp.server.models import Token
from tests.server.conftest import RunningServer
from tests.server.test_cli import run_cli


def cli(server: RunningServer, *args: str, stdin: str = "") -> tuple[int, str, str]:
    result = run_cli(
        *args,
        stdin=stdin,
        env={
            "MAILAPP_SERVER_DATA": str(server.settings.data_dir),
            "MAILAPP_DATABASE_URL": server.settings.database_url,
        },
    )
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout, result.stderr


def test_revoke_tokens_signs_every_device_out(server: RunningServer) -> None:
    alice = server.new_user("alice")
    second = server.client(server.login(alice.name, alice.password))
    bob = server.new_user("bob")
    code, out, _ = cli(server, "list-sessions", alice.name)
    assert code == 0 and out.startswith(f"2 live session(s) of {alice.name}")
    code, out, _ = cli(server, "revoke-tokens", alice.name)
    assert code == 0 and "2 session(s)" in out
    assert alice.client.get("/v1/session").status_code == 401
    assert second.get("/v1/session").status_code == 401
    assert bob.client.get("/v1/session").status_code == 200
    assert cli(server, "list-sessions", alice.name)[1].startswith("0 live session(s)")
    # Signing in again works at once.
    assert server.login(alice.name, alice.password)


def test_set_password_from_stdin_replaces_it_and_signs_devices_out(server: RunningServer) -> None:
    alice = server.new_user("alice")
    code, out, _ = cli(
        server, "set-password", alice.name, "--password-stdin", stdin="new secret 1\n"
    )
    assert code == 0 and "1 session(s) signed out" in out
    assert alice.client.get("/v1/session").status_code == 401
    assert (
        server.client()
        .post("/v1/session", json={"name": alice.name, "password": alice.password})
        .status_code
        == 401
    )
    assert server.login(alice.name, "new secret 1")


def test_account_commands_give_clear_errors(server: RunningServer) -> None:
    for args in (("revoke-tokens", "nobody"), ("list-sessions", "nobody")):
        code, out, err = cli(server, *args)
        assert code == 3 and "no user named 'nobody'" in err and out == ""
    alice = server.new_user("alice")
    code, _, err = cli(server, "set-password", alice.name, "--password-stdin", stdin="short\n")
    assert code == 2 and "at least 8 characters" in err
    assert alice.client.get("/v1/session").status_code == 200


def expiry(server: RunningServer, token_id: str | None = None) -> datetime:
    with server.engine.connect() as conn:
        query = select(Token.expires_at).order_by(Token.created_at.desc())
        if token_id:
            query = query.where(Token.id == token_id)
        value = conn.execute(query).scalars().first()
    assert value is not None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@pytest.fixture
def two_day_server(server_factory: Callable[..., RunningServer]) -> RunningServer:
    # The test edits expiries straight in the database, behind the server's token cache.
    return server_factory(token_ttl_days=2, token_cache_seconds=0)


def test_token_lifetime_is_configurable_and_slides_while_used(
    two_day_server: RunningServer,
) -> None:
    server = two_day_server
    alice = server.new_user("alice")
    issued = expiry(server)
    assert abs(issued - (datetime.now(UTC) + timedelta(days=2))) < timedelta(minutes=5)
    # More than half the lifetime left: using the token writes nothing.
    assert alice.client.get("/v1/session").status_code == 200
    assert expiry(server) == issued
    # Less than half left: the next request renews it to the full lifetime.
    with server.engine.begin() as conn:
        conn.execute(update(Token).values(expires_at=datetime.now(UTC) + timedelta(hours=3)))
    assert alice.client.get("/v1/mailboxes").status_code == 200
    renewed = expiry(server)
    assert abs(renewed - (datetime.now(UTC) + timedelta(days=2))) < timedelta(minutes=5)
    # An expired token is not renewed: it stays refused.
    with server.engine.begin() as conn:
        conn.execute(update(Token).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert alice.client.get("/v1/session").status_code == 401
    assert expiry(server) < datetime.now(UTC)
