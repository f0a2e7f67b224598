"""What a sync cycle costs the client: round trips after a push, and SQL statements with
nothing changed (issue 11: a no-change cycle is flat in the mailbox's size)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from mailapp.store import MailStore
from tests.bench.bench_support import fill_messages
from tests.server.conftest import RunningServer
from tests.sync.conftest import Device, DeviceFactory


@contextmanager
def requests_made(device: Device) -> Iterator[list[tuple[str, str]]]:
    """(method, path) of every request the device's client sends while inside."""
    made: list[tuple[str, str]] = []
    client = device.client
    real = client._send

    def send(method: str, path: str, **kwargs: Any) -> Any:
        made.append((method, path))
        return real(method, path, **kwargs)

    client._send = send  # type: ignore[method-assign]
    try:
        yield made
    finally:
        client._send = real  # type: ignore[method-assign]


@contextmanager
def statements(store: MailStore) -> Iterator[list[str]]:
    """Every SQL statement the store runs while inside."""
    seen: list[str] = []

    def on_sql(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(store._engine, "before_cursor_execute", on_sql)
    try:
        yield seen
    finally:
        event.remove(store._engine, "before_cursor_execute", on_sql)


def test_a_push_brings_the_other_devices_changes_without_asking_for_changes_again(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    user = sync_server.new_user("pusher")
    first = sync_server.deliver(user.account_id, subject="First")
    second = sync_server.deliver(user.account_id, subject="Second")
    laptop, phone = device_factory(user, "laptop"), device_factory(user, "phone")
    laptop.sync()
    phone.sync()
    phone.store.set_flagged([first])
    phone.sync()

    laptop.store.mark_read([second])
    with requests_made(laptop) as made:
        report = laptop.sync()

    assert report.pushed == 1
    assert ("POST", "/v1/sync") in made
    # The push's answer carried the feed: the phone's flag is here without a GET /v1/changes.
    assert ("GET", "/v1/changes") not in made
    flagged = {m.id: m.is_flagged for m in laptop.store.page(laptop.mailbox("inbox"))}
    assert flagged[first] is True
    phone.sync()
    read = {m.id: m.is_read for m in phone.store.page(phone.mailbox("inbox"))}
    assert read[second] is True


def _no_change_statements(
    sync_server: RunningServer, device_factory: DeviceFactory, count: int
) -> list[str]:
    user = sync_server.new_user(f"size{count}")
    fill_messages(sync_server.settings.database_url, user.account_id, count)
    device = device_factory(user, f"size{count}")
    # Until a cycle fetches nothing: the server has no body for these rows, which the store
    # then asks for again only after a delay.
    for _ in range(20):
        with requests_made(device) as made:
            report = device.sync()
        if not report.pulled and ("POST", "/v1/bodies") not in made:
            break
    with statements(device.store) as seen:
        report = device.sync()
    assert report.pulled == 0 and report.pushed == 0
    return seen


def test_a_cycle_with_nothing_changed_runs_as_many_statements_at_10000_messages_as_at_1000(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    small = _no_change_statements(sync_server, device_factory, 1_000)
    large = _no_change_statements(sync_server, device_factory, 10_000)
    assert large == small
    assert len(small) <= 17
