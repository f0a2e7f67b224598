"""Downloading many message bodies: POST /v1/bodies in batches, stored batch by batch.

Each batch is stored and indexed in ONE short write transaction (never one per body), while the
next batch's request is already in flight on a helper thread, so the network and the store
overlap and the UI thread's reads never wait long.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mailapp import wire
from mailapp.store import MailStore, replica_bodies
from mailapp.sync.client import ApiClient
from mailapp.sync.errors import PermanentError

BULK_BODIES = 250  # per request, and per store transaction
BULK_ATTEMPTS = 4  # requests for one batch when streams break off (each keeps what arrived)


def fetch_bodies(store: MailStore, client: ApiClient, message_ids: list[str]) -> int:
    """Download and keep the bodies of ``message_ids``; returns how many were stored.

    Those the server says it does not have are deferred (replica_bodies.defer_bodies), so the
    next cycles do not ask for them again and again. Raises SyncError subtypes; the batches
    stored before the error stay stored.
    """
    batches = [
        message_ids[start : start + BULK_BODIES]
        for start in range(0, len(message_ids), BULK_BODIES)
    ]
    if not batches:
        return 0
    fetched = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailapp-bodies") as pool:
        ahead = pool.submit(bulk_bodies, client, batches[0])
        try:
            for index in range(len(batches)):
                bodies, lacking = ahead.result()
                if index + 1 < len(batches):
                    ahead = pool.submit(bulk_bodies, client, batches[index + 1])
                fetched += len(replica_bodies.store_bodies(store, bodies))
                replica_bodies.defer_bodies(store, lacking)
        finally:
            ahead.cancel()
    return fetched


def bulk_bodies(
    client: ApiClient, message_ids: list[str]
) -> tuple[dict[str, wire.MessageBody], set[str]]:
    """(bodies the server has, ids it said it has no body for) of ``message_ids``. A stream
    that broke off or reached its size budget is followed by a request for the rest only."""
    bodies: dict[str, wire.MessageBody] = {}
    lacking: set[str] = set()
    pending = list(message_ids)
    for _ in range(BULK_ATTEMPTS):
        try:
            batch = client.message_bodies(pending)
        except PermanentError as exc:
            if exc.status in (404, 405) and not bodies:
                # A server from before POST /v1/bodies: one request per message.
                return _one_by_one(client, pending)
            raise
        bodies.update(batch.bodies)
        lacking.update(batch.not_found)
        pending = [i for i in pending if i not in batch.bodies and i not in batch.not_found]
        if not pending:
            break
    return bodies, lacking


def _one_by_one(
    client: ApiClient, message_ids: list[str]
) -> tuple[dict[str, wire.MessageBody], set[str]]:
    bodies: dict[str, wire.MessageBody] = {}
    lacking: set[str] = set()
    for message_id in message_ids:
        try:
            bodies[message_id] = client.message_body(message_id)
        except PermanentError as exc:
            if exc.status != 404:
                raise
            lacking.add(message_id)
    return bodies, lacking
