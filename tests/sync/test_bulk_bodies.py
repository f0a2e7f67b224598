"""Keeping all mail offline: every body arrives in a few bulk requests, survives a cut stream,
and is searchable."""

from __future__ import annotations

import random
import string
from email.message import EmailMessage

from sqlalchemy import func, select

from mailapp.store.fts import integrity_check
from mailapp.store.replica_bodies import ALL_MAIL
from mailapp.store.schema import message_bodies
from mailapp.store.settings import AppSettings, save_settings
from mailapp.sync.bodies import BULK_BODIES
from tests.server.conftest import RunningServer
from tests.server.mime_samples import BOUNCE_WITHOUT_BOUNDARY
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import Device, DeviceFactory


def _bodies_here(device: Device) -> int:
    with device.store._read() as conn:
        return int(conn.execute(select(func.count()).select_from(message_bodies)).scalar_one())


def _prose(rng: random.Random, words: int) -> str:
    return " ".join(
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(words)
    )


def test_all_mail_brings_every_body_in_a_few_requests_and_they_are_searchable(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice = sync_server.new_user("alice")
    count = 2 * BULK_BODIES + 20
    for n in range(count):
        sync_server.deliver(
            alice.account_id, subject=f"Letter {n}", date="Mon, 01 Jan 2001 10:00:00 +0000"
        )
    html = EmailMessage()
    html["From"], html["To"], html["Subject"] = "news@example.net", "a@example.org", "News"
    html.set_content("<p>Only <b>marmalade</b> in HTML</p>", subtype="html")
    sync_server.deliver(alice.account_id, html.as_bytes())
    sync_server.deliver(alice.account_id, BOUNCE_WITHOUT_BOUNDARY)  # malformed MIME
    device = device_factory(alice)
    save_settings(device.store, AppSettings(prefetch_days=ALL_MAIL))  # "All mail"
    before = len(proxy.stats.paths)

    report = device.sync()

    paths = proxy.stats.paths[before:]
    assert report.bodies_fetched == count + 2
    assert _bodies_here(device) == count + 2
    # Bulk: three requests for 522 bodies, none per message.
    assert paths.count("/v1/bodies") == 3
    assert not [p for p in paths if p.endswith("/body")]
    # Mail from 2001 has its body offline and searchable, as does HTML-only and broken mail.
    assert [m.subject for m in device.store.search("Letter 417")] == ["Letter 417"]
    assert [m.subject for m in device.store.search("marmalade")] == ["News"]
    assert device.store.search("permanent fatal errors")
    # The indexes match what they were built from: headers first, then each body (0011).
    with device.store._write() as conn:
        integrity_check(conn)
    # Nothing left to fetch: the next cycle asks for no bodies at all.
    before = len(proxy.stats.paths)
    assert device.sync().bodies_fetched == 0
    assert "/v1/bodies" not in proxy.stats.paths[before:]


def test_a_stream_cut_midway_keeps_what_arrived_and_asks_only_for_the_rest(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice = sync_server.new_user("alice")
    rng = random.Random(7)
    ids = []
    for n in range(120):
        message = EmailMessage()
        message["From"], message["To"] = "s@example.net", "a@example.org"
        message["Subject"] = f"Long {n}"
        message.set_content(f"Number {n}: {_prose(rng, 300)}")  # incompressible enough
        ids.append(sync_server.deliver(alice.account_id, message.as_bytes()))
    device = device_factory(alice)
    device.engine.run_cycle(prefetch=False)
    asked: list[list[str]] = []
    original = device.client.message_bodies

    def recording(message_ids: list[str]) -> object:
        asked.append(list(message_ids))
        return original(message_ids)

    device.client.message_bodies = recording  # type: ignore[method-assign]
    proxy.cut_after_bytes = 100_000  # past the first flushed chunk, inside the second
    proxy.set_fault(Fault.CUT_MID_RESPONSE, times=1)

    assert device.engine.fetch_bodies(ids) == 120

    assert _bodies_here(device) == 120
    assert len(asked) == 2 and sorted(asked[0]) == sorted(ids)
    # The second request asks for what the cut stream did not bring, and only that.
    assert 0 < len(asked[1]) < 120
    kept_first = set(ids) - set(asked[1])
    assert kept_first and kept_first.isdisjoint(asked[1])
    detail = device.store.message(asked[1][0])
    assert detail is not None and detail.body_available


def test_bodies_of_messages_gone_from_the_server_are_skipped(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice, bob = sync_server.new_user("alice"), sync_server.new_user("bob")
    mine = sync_server.deliver(alice.account_id, subject="Mine")
    theirs = sync_server.deliver(bob.account_id, subject="Bob's")
    device = device_factory(alice)
    device.engine.run_cycle(prefetch=False)
    assert device.engine.fetch_bodies([mine, theirs]) == 1
    assert _bodies_here(device) == 1
