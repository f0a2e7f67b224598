"""Mail appended upstream reaches a headless `mailapp sync` client through the real server:
Dovecot → IDLE → the server's upstream worker → the change feed → the client."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from mailapp.server.config import Settings
from mailapp.server.db import session_scope
from mailapp.server.models import Email, Mailbox
from mailapp.server.upstream import secrets
from mailapp.server.upstream.connection import Endpoint
from mailapp.server.upstream.links import link, statuses
from mailapp.server.upstream.models import UpstreamAccount
from mailapp.store import open_store
from mailapp.sync import headless
from tests.imap.conftest import MailUser
from tests.imap.messages import message
from tests.server.conftest import RunningServer, run_server
from tests.sync.test_headless import mailapp, sign_in

WAIT = 30.0


def wait_for_subject(server: RunningServer, account_id: str, subject: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < WAIT:
        with session_scope(server.engine, write=False) as session:
            found = session.scalar(
                select(Email.id).where(
                    Email.account_id == account_id,
                    Email.subject == subject,
                    Email.destroyed_modseq.is_(None),
                )
            )
        if found:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{subject!r} did not reach the server in {WAIT} s")


def test_mail_appended_upstream_reaches_a_headless_client(
    tmp_path: Path, mail_user: MailUser
) -> None:
    mail_user.append("INBOX", [message(1, tag="before")])
    data = tmp_path / "data"
    secrets.create_key(data / secrets.KEY_FILE_NAME)
    # Polling is off in effect (an hour): only IDLE can bring the second message in time.
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'server.sqlite3'}",
        upstream_poll_interval=3600.0,
    )
    from mailapp.server.db import make_engine, migrate

    setup = make_engine(settings.database_url)
    migrate(setup)
    from mailapp.server.auth import create_user

    with session_scope(setup) as session:
        create_user(session, "alice", "alice-password")
    key = secrets.load_key(data / secrets.KEY_FILE_NAME)
    endpoint = Endpoint(mail_user.host, mail_user.port, "none", mail_user.name)
    link(setup, key, "alice", endpoint, mail_user.password)
    setup.dispose()

    with run_server(settings) as server:
        with session_scope(server.engine, write=False) as session:
            account_id = session.scalar(select(UpstreamAccount.account_id))
        assert account_id is not None
        wait_for_subject(server, account_id, "before message 1: status report ✓")
        deadline = time.monotonic() + WAIT
        while statuses(server.engine)[0].state != "ok" and time.monotonic() < deadline:
            time.sleep(0.05)  # the body is fetched after the header
        (status,) = statuses(server.engine)
        assert status.state == "ok" and status.last_sync_at is not None

        token_user = type("U", (), {"name": "alice", "password": "alice-password"})()
        profile, keys = tmp_path / "profile", tmp_path / "keys.json"
        sign_in(profile, server.url, token_user, keys)  # type: ignore[arg-type]
        done = mailapp("sync", "--profile", str(profile), "--once", keyring_file=keys)
        assert done.returncode == headless.EXIT_OK, done.stdout + done.stderr

        time.sleep(0.5)  # the IDLE connection is up a moment after the first sync
        mail_user.append("INBOX", [message(2, tag="after")])
        latency = wait_for_subject(server, account_id, "after message 2: status report ✓")
        print(f"upstream APPEND → server record: {latency:.2f} s")

        done = mailapp("sync", "--profile", str(profile), "--once", keyring_file=keys)
        assert done.returncode == headless.EXIT_OK, done.stdout + done.stderr

        # Read in mailapp (through the REST API) → \Seen upstream, without waiting for a poll.
        api = server.client(server.login("alice", "alice-password"))
        with session_scope(server.engine, write=False) as session:
            email_id = session.scalar(
                select(Email.id).where(Email.subject == "after message 2: status report ✓")
            )
        etag = api.get(f"/v1/messages/{email_id}").headers["ETag"]
        answer = api.patch(
            f"/v1/messages/{email_id}", json={"addKeywords": ["$seen"]}, headers={"If-Match": etag}
        )
        assert answer.status_code == 200, answer.text
        deadline = time.monotonic() + WAIT
        flags: tuple[bytes, ...] = ()
        while time.monotonic() < deadline and b"\\Seen" not in flags:
            with mail_user.connect() as client:
                client.select_folder("INBOX", readonly=True)
                flags = client.get_flags([2])[2]
            time.sleep(0.1)
        assert b"\\Seen" in flags

        # Another IMAP client files the older one into Archive: the desktop sees the same
        # message (its id) there, not a deleted one and a new one.
        with session_scope(server.engine, write=False) as session:
            before_id = session.scalar(
                select(Email.id).where(Email.subject == "before message 1: status report ✓")
            )
        assert before_id is not None
        with mail_user.connect() as client:
            client.select_folder("INBOX")
            client.move([1], "Archive")
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and not in_archive(server, before_id):
            time.sleep(0.05)
        print(f"upstream MOVE → server: {time.monotonic() - deadline + WAIT:.2f} s")
        done = mailapp("sync", "--profile", str(profile), "--once", keyring_file=keys)
        assert done.returncode == headless.EXIT_OK, done.stdout + done.stderr
    with open_store(profile / "mail.sqlite3") as store:
        ((account, _email),) = store.accounts()
        inbox = store.mailbox_by_role(account, "inbox")
        archive = store.mailbox_by_role(account, "archive")
        assert inbox is not None and archive is not None
        assert [m.subject for m in store.page(inbox.id)] == ["after message 2: status report ✓"]
        (moved,) = store.page(archive.id)
        assert (moved.id, moved.subject) == (before_id, "before message 1: status report ✓")


def in_archive(server: RunningServer, email_id: str) -> bool:
    with session_scope(server.engine, write=False) as session:
        return bool(
            session.scalar(
                select(Email.id)
                .join(Mailbox, Mailbox.id == Email.mailbox_id)
                .where(Email.id == email_id, Mailbox.role == "archive")
            )
        )
