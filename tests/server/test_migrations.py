"""Alembic revision 0001 creates exactly what the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

# Their tables are in Base.metadata too, so they are checked as well.
import mailapp.server.inbound
import mailapp.server.upstream.sent_copy  # noqa: F401
from mailapp.server.db import make_engine, migrate
from mailapp.server.models import Base


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)
        migrate(engine)  # a second start-up finds nothing to do
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    ours = set(Base.metadata.tables)

    def concerns_us(diff: object) -> bool:
        # Other revisions (0002_delivery) own other tables; only ours must match.
        if isinstance(diff, list):  # column changes: [("modify_type", schema, table, ...)]
            return any(change[2] in ours for change in diff)
        item = diff[1] if isinstance(diff, tuple) else None
        table = getattr(item, "table", item)
        return getattr(table, "name", None) in ours

    assert [d for d in differences if concerns_us(d)] == []
