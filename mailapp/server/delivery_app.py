"""The background loops of each server process: the change bus, housekeeping and delivery
(started and stopped by the app's lifespan)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Engine

from mailapp.server.delivery import DeliveryWorker
from mailapp.server.smtp_relay import RelayUrlError

log = logging.getLogger(__name__)


async def start_background(app: Any) -> None:
    """Start the change bus and the delivery loop of this worker process (app lifespan)."""
    from mailapp.server.events import start_change_bus
    from mailapp.server.housekeeping import prune_step
    from mailapp.server.scheduler import BackgroundLoop

    engine, settings = _engine_and_settings(app)
    bus = await start_change_bus(app, engine, settings)
    housekeeping = BackgroundLoop(
        "mailapp-housekeeping",
        lambda: prune_step(engine, settings),
        interval=getattr(settings, "housekeeping_interval", 3600.0),
    )
    app.state.housekeeping_loop = housekeeping
    housekeeping.start()
    try:
        worker = DeliveryWorker.from_settings(engine, settings)
    except RelayUrlError as exc:
        log.error("delivery is disabled: %s", exc)
        return
    poll = worker.config.poll_interval
    # A new submission due now wakes the loop (bursts coalesce into one check); other commits
    # do not, and what becomes due later is found by the poll.
    loop = BackgroundLoop(
        "mailapp-delivery", worker.run_once, interval=poll, min_interval=min(0.2, poll)
    )
    app.state.delivery_worker = worker
    app.state.delivery_loop = loop
    bus.add_listener(loop.wake, sending_only=True)
    loop.start()


async def stop_background(app: Any) -> None:
    from mailapp.server.events import stop_change_bus

    for name in ("delivery_loop", "housekeeping_loop"):
        loop = getattr(app.state, name, None)
        if loop is not None:
            await loop.stop()
            setattr(app.state, name, None)
    await stop_change_bus(app)


def _engine_and_settings(app: Any) -> tuple[Engine, Any]:
    state = app.state
    return state.engine, state.settings
