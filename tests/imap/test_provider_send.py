"""Sending through the provider for linked accounts: SMTP submission to aiosmtpd standing in
for the provider's submission port (AUTH), then the copy in the real Dovecot's Sent folder,
exactly once, also when the server is killed (kill -9) between the SMTP answer and the APPEND."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from mailapp.server.config import Settings
from mailapp.server.db import bump_modseq, session_scope
from mailapp.server.delivery import DeliveryWorker
from mailapp.server.delivery_config import DeliveryConfig
from mailapp.server.models import Draft, Submission, SubmissionState
from mailapp.server.upstream.models import UpstreamAccount
from mailapp.server.upstream.run import sync_link
from mailapp.server.upstream.sent_copy import UpstreamSentCopy
from tests.imap.conftest import MailUser
from tests.imap.helpers import Linked, link_user
from tests.server.test_events import _free_port

WAIT = 60.0


@dataclass
class Provider:
    """aiosmtpd as the provider's submission port: AUTH required, every message kept."""

    username: str
    password: str
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    after_data: list[threading.Timer] = field(default_factory=list)
    on_data: object = None
    port: int = 0

    def authenticate(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.username
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    async def handle_MAIL(
        self, server: object, session: object, envelope: object, address: str, options: list[str]
    ) -> str:
        if not session.authenticated:  # type: ignore[attr-defined]
            return "530 5.7.0 authentication required"
        envelope.mail_from = address  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)  # type: ignore[attr-defined]
        )
        if callable(self.on_data):
            self.on_data()
        return "250 2.0.0 queued as 1"


@contextlib.contextmanager
def provider(username: str, password: str) -> Iterator[Provider]:
    handler = Provider(username, password)
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=handler.authenticate,
        auth_require_tls=False,  # loopback only, as the server allows
    )
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()


def set_smtp(engine: Engine, linked: Linked, port: int) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(UpstreamAccount)
            .where(UpstreamAccount.id == linked.upstream_id)
            .values(smtp_host="127.0.0.1", smtp_port=port)
        )


def queue_send(engine: Engine, account_id: str, to: str, subject: str) -> str:
    with session_scope(engine) as session:
        modseq = bump_modseq(session, account_id)
        draft = Draft(
            account_id=account_id,
            subject=subject,
            to=[{"name": None, "email": to}],
            body="Sent through the provider.\n",
            created_modseq=modseq,
            updated_modseq=modseq,
        )
        session.add(draft)
        session.flush()
        modseq = bump_modseq(session, account_id)
        sub = Submission(
            account_id=account_id,
            draft_id=draft.id,
            send_at=datetime.now(UTC),
            envelope_rcpts=[to],
            created_modseq=modseq,
            updated_modseq=modseq,
        )
        session.add(sub)
        session.flush()
        return sub.id


def sent_upstream(mail_user: MailUser, subject: str) -> list[int]:
    with mail_user.connect() as client:
        client.select_folder("Sent", readonly=True)
        return list(client.search(["SUBJECT", subject]))


def copy_rows(engine: Engine) -> list[UpstreamSentCopy]:
    with session_scope(engine, write=False) as session:
        return list(session.scalars(select(UpstreamSentCopy)))


def test_a_linked_account_sends_through_its_provider_and_files_one_copy_in_sent(
    engine: Engine, mail_user: MailUser, tmp_path: Path
) -> None:
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)  # the folders, Sent among them
    key_file = linked.write_key(tmp_path / "upstream.key")
    settings = Settings(data_dir=tmp_path, upstream_key_file=str(key_file))
    with provider(mail_user.name, mail_user.password) as smtp:
        set_smtp(engine, linked, smtp.port)
        sub_id = queue_send(engine, linked.account_id, "bob@elsewhere.example", "Via provider")
        worker = DeliveryWorker(engine, local_domain="example.org", relay_url=None, limits=settings)
        for _ in range(5):
            worker.run_once()
    assert len(smtp.received) == 1
    mail_from, rcpts, content = smtp.received[0]
    assert rcpts == ["bob@elsewhere.example"] and mail_from.endswith("@example.org")
    message_id = message_from_bytes(content)["Message-ID"]
    with session_scope(engine, write=False) as session:
        sub = session.execute(select(Submission).where(Submission.id == sub_id)).scalar_one()
        assert sub.state == SubmissionState.sent, sub.error
    assert len(sent_upstream(mail_user, "Via provider")) == 1
    (row,) = copy_rows(engine)
    assert row.state == "done" and row.uid is not None and row.message_id == message_id
    # The next sync of the Sent folder adopts nothing new: one Sent copy here too.
    sync_link(engine, linked.key, linked.upstream_id)
    assert linked.subjects("sent") == ["Via provider"]


def test_mail_sent_through_the_provider_is_from_the_linked_accounts_address(
    engine: Engine, mail_user: MailUser, tmp_path: Path
) -> None:
    linked = link_user(engine, mail_user, address="Alice.Smith@provider.example")
    sync_link(engine, linked.key, linked.upstream_id)
    key_file = linked.write_key(tmp_path / "upstream.key")
    settings = Settings(data_dir=tmp_path, upstream_key_file=str(key_file))
    with provider(mail_user.name, mail_user.password) as smtp:
        set_smtp(engine, linked, smtp.port)
        sub_id = queue_send(engine, linked.account_id, "bob@elsewhere.example", "From me")
        worker = DeliveryWorker(engine, local_domain="example.org", relay_url=None, limits=settings)
        for _ in range(5):
            worker.run_once()
    (mail_from, _rcpts, content) = smtp.received[0]
    sent = message_from_bytes(content)
    # What the recipient sees and what the provider checks: the account's own address, not
    # the mailapp one (alice-…@example.org), which providers refuse or mark as forged.
    assert mail_from == "Alice.Smith@provider.example"
    assert sent["From"] == "Alice.Smith@provider.example"
    assert sent["Message-ID"].endswith("@provider.example>")
    with session_scope(engine, write=False) as session:
        sub = session.execute(select(Submission).where(Submission.id == sub_id)).scalar_one()
        assert sub.state == SubmissionState.sent, sub.error
    # The local Sent copy and the provider's Sent copy say the same.
    (copy,) = linked.emails("sent")
    assert [a["email"] for a in copy.from_] == ["Alice.Smith@provider.example"]
    with mail_user.connect() as client:
        client.select_folder("Sent", readonly=True)
        assert len(client.search(["FROM", "Alice.Smith@provider.example"])) == 1


def test_a_wrong_provider_password_fails_the_send_with_a_clear_reason(
    engine: Engine, mail_user: MailUser, tmp_path: Path
) -> None:
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    key_file = linked.write_key(tmp_path / "upstream.key")
    settings = Settings(data_dir=tmp_path, upstream_key_file=str(key_file))
    with provider(mail_user.name, "another password") as smtp:
        set_smtp(engine, linked, smtp.port)
        sub_id = queue_send(engine, linked.account_id, "bob@elsewhere.example", "Refused")
        worker = DeliveryWorker(
            engine,
            local_domain="example.org",
            relay_url=None,
            limits=settings,
            config=DeliveryConfig(max_attempts=1),
        )
        for _ in range(3):
            worker.run_once()
    assert smtp.received == []
    with session_scope(engine, write=False) as session:
        sub = session.execute(select(Submission).where(Submission.id == sub_id)).scalar_one()
    assert sub.state == SubmissionState.failed
    assert "refused the username or password" in (sub.error or "")
    assert sent_upstream(mail_user, "Refused") == []


@contextlib.contextmanager
def serve(data: Path, database_url: str, key_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    port = _free_port()
    env = {
        **os.environ,
        "MAILAPP_SERVER_DATA": str(data),
        "MAILAPP_DATABASE_URL": database_url,
        "MAILAPP_UPSTREAM_KEY_FILE": str(key_file),
        "MAILAPP_DELIVERY_POLL": "0.2",
        "MAILAPP_DELIVERY_LEASE": "2",
    }
    cmd = [sys.executable, "-m", "mailapp.server.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--log-level", "warning", "--grace", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + WAIT
        while True:
            assert proc.poll() is None or proc.returncode == -signal.SIGKILL
            if proc.poll() is not None:
                break
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/v1/events", timeout=2).status_code == 401:
                    break
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0.0, 0.3])
def test_kill_9_between_the_providers_answer_and_the_sent_append_sends_and_files_once(
    engine: Engine, mail_user: MailUser, tmp_path: Path, kill_after: float
) -> None:
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    key_file = linked.write_key(tmp_path / "upstream.key")
    database_url = engine.url.render_as_string(hide_password=False)
    with provider(mail_user.name, mail_user.password) as smtp:
        set_smtp(engine, linked, smtp.port)
        with serve(tmp_path, database_url, key_file) as first:

            def kill() -> None:
                # Right after the provider took the message: the server may or may not have
                # recorded the answer, and has not appended the Sent copy yet.
                timer = threading.Timer(kill_after, os.kill, (first.pid, signal.SIGKILL))
                smtp.after_data.append(timer)
                timer.start()
                smtp.on_data = None

            smtp.on_data = kill
            queue_send(engine, linked.account_id, "bob@elsewhere.example", "Killed once")
            first.wait(timeout=WAIT)
            assert first.returncode == -signal.SIGKILL
        for timer in smtp.after_data:
            timer.join()
        with serve(tmp_path, database_url, key_file):
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                rows = copy_rows(engine)
                if rows and rows[0].state == "done":
                    break
                time.sleep(0.2)
            else:
                raise AssertionError(f"no Sent copy was made: {copy_rows(engine)}")
        assert len(smtp.received) == 1
    assert len(sent_upstream(mail_user, "Killed once")) == 1
    sync_link(engine, linked.key, linked.upstream_id)
    assert linked.subjects("sent") == ["Killed once"]


def test_a_provider_that_files_sent_mail_itself_gets_no_second_copy(
    engine: Engine, mail_user: MailUser, tmp_path: Path
) -> None:
    linked = link_user(engine, mail_user)
    with session_scope(engine) as session:
        session.execute(
            update(UpstreamAccount)
            .where(UpstreamAccount.id == linked.upstream_id)
            .values(sent_copy="provider")
        )
    sync_link(engine, linked.key, linked.upstream_id)
    key_file = linked.write_key(tmp_path / "upstream.key")
    settings = Settings(data_dir=tmp_path, upstream_key_file=str(key_file))
    with provider(mail_user.name, mail_user.password) as smtp:

        def file_it_like_gmail() -> None:
            mail_user.append("Sent", [smtp.received[-1][2]], flags=(b"\\Seen",))

        smtp.on_data = file_it_like_gmail
        set_smtp(engine, linked, smtp.port)
        queue_send(engine, linked.account_id, "bob@elsewhere.example", "Filed by Gmail")
        worker = DeliveryWorker(engine, local_domain="example.org", relay_url=None, limits=settings)
        for _ in range(5):
            worker.run_once()
    assert len(smtp.received) == 1
    (uid,) = sent_upstream(mail_user, "Filed by Gmail")
    (row,) = copy_rows(engine)
    assert row.state == "done" and row.uid == uid  # the provider's copy, adopted
    sync_link(engine, linked.key, linked.upstream_id)
    assert linked.subjects("sent") == ["Filed by Gmail"]
