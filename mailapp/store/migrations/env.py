"""Alembic environment for the store: always run in-process by mailapp.store.migrate.

The caller passes an open connection (already inside BEGIN IMMEDIATE) in
``config.attributes["connection"]`` and commits or rolls back itself, so a failed migration
leaves the file exactly as it was.
"""

from __future__ import annotations

from alembic import context

from mailapp.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; future revisions need batch mode
)
context.run_migrations()
