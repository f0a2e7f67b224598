"""Revision 0003 creates exactly the upstream tables the models describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mailapp.server.db import make_engine, migrate
from mailapp.server.models import Base
from mailapp.server.upstream import models as upstream_models
from tests.server.conftest import postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
    else:
        with postgres_database() as url:
            yield url


def test_upstream_tables_match_the_models(database_url: str) -> None:
    ours = {
        model.__tablename__
        for model in (
            upstream_models.UpstreamAccount,
            upstream_models.UpstreamFolder,
            upstream_models.UpstreamMessage,
        )
    }
    engine = make_engine(database_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()

    def concerns_us(diff: object) -> bool:
        if isinstance(diff, list):
            return any(change[2] in ours for change in diff)
        item = diff[1] if isinstance(diff, tuple) else None
        table = getattr(item, "table", item)
        return getattr(table, "name", None) in ours

    assert [d for d in differences if concerns_us(d)] == []
