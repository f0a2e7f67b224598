"""The FastAPI application factory: `uvicorn --factory mailapp.server.app:create_app`."""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from types import ModuleType

import anyio.to_thread
from fastapi import FastAPI

from mailapp.server import profiling
from mailapp.server.config import Settings
from mailapp.server.db import make_engine, migrate
from mailapp.server.fast_lane import FastLane
from mailapp.server.media_types import ContentTypeMiddleware
from mailapp.server.openapi import install_truthful_openapi
from mailapp.server.problems import BodyLimitMiddleware, install_problem_handlers
from mailapp.server.routes import all_routers
from mailapp.server.routes import sync as sync_routes
from mailapp.server.upstream import worker as upstream_worker

log = logging.getLogger(__name__)


def _optional(module: str) -> ModuleType | None:
    """Server-ops' modules (delivery, events) join the app once they exist."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url, busy_timeout=settings.sqlite_busy_timeout)
    delivery = _optional("mailapp.server.delivery_app")
    events = _optional("mailapp.server.events")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        profile = profiling.start()  # only with MAILAPP_PROFILE_DIR (load tests)
        await anyio.to_thread.run_sync(migrate, engine)
        if delivery is not None:
            await _maybe_await(delivery.start_background(app))
        await upstream_worker.start_background(app)
        try:
            yield
        finally:
            await upstream_worker.stop_background(app)
            if delivery is not None:
                await _maybe_await(delivery.stop_background(app))
            engine.dispose()
            profiling.stop(profile)

    app = FastAPI(
        title="mailapp sync server",
        version="1",
        lifespan=lifespan,
        description="See docs/protocol.md. Every error is application/problem+json.",
    )
    app.state.settings = settings
    app.state.engine = engine
    install_problem_handlers(app)
    install_truthful_openapi(app)
    # FastAPI tries the included routers in order, each route a regex match: the sync cycle's
    # routes (POST /v1/sync, GET /v1/changes: most requests) go first, not after eight others.
    routers = all_routers()
    for router in sorted(routers, key=lambda router: router is not sync_routes.router):
        app.include_router(router)
    if events is not None:
        app.include_router(events.router)

    def limit_for(path: str) -> tuple[str, int]:
        if path.startswith("/v1/blobs"):
            return "maxAttachmentBytes", settings.max_attachment_bytes
        return "maxRequestBytes", settings.max_body_bytes

    # Innermost of our own: GET /v1/changes and POST /v1/sync in their plain form skip
    # FastAPI's routing and dependencies (fast_lane.py); anything else reaches FastAPI as before.
    app.add_middleware(FastLane, settings=settings, engine=engine)
    app.add_middleware(BodyLimitMiddleware, limit_for=limit_for)
    # Outermost: a malformed Content-Type is refused before the body is even read.
    app.add_middleware(
        ContentTypeMiddleware, takes_any_type=lambda path: path.startswith("/v1/blobs")
    )
    return app


async def _maybe_await(value: object) -> None:
    if hasattr(value, "__await__"):
        await value  # type: ignore[misc]
