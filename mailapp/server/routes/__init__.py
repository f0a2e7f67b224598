"""HTTP routes of the sync server, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    from mailapp.server.routes import (
        blobs,
        bodies,
        drafts,
        health,
        mailboxes,
        messages,
        session,
        submissions,
        sync,
        upstream,
    )

    return [
        health.router,
        session.router,
        mailboxes.router,
        messages.router,
        bodies.router,
        drafts.router,
        submissions.router,
        blobs.router,
        sync.router,
        upstream.router,
    ]
