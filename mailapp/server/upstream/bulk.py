"""Bulk INSERTs of the import handed to the database driver as its own parameters.

`connection.execute(insert, rows)` works out every row's parameters anew (SQLAlchemy's
`construct_params` and a bind processor call per column and row): about a tenth of the
import's CPU per message, for statements that are the same for every row of a batch. Here the
statement is compiled once per dialect and row shape, each row becomes a tuple (positional
paramstyles, SQLite's `?`) or a dict (PostgreSQL's `%(name)s`) with the same bind processors
applied, and the driver's executemany gets them all at once (`exec_driver_sql`, still inside
the session's transaction). What is stored is what `execute` stores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # bind names, in the statement's order when positional
    positional: bool
    processors: tuple[Callable[[Any], Any] | None, ...]  # per name


_PLANS: dict[tuple[int, str, tuple[str, ...]], _Plan] = {}


def _plan(connection: Connection, statement: Insert, keys: tuple[str, ...]) -> _Plan:
    dialect = connection.dialect
    cache_key = (id(statement), dialect.name, keys)
    plan = _PLANS.get(cache_key)
    if plan is None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
        missing = set(names) - set(keys)
        if missing:  # a column default or a bind without a value: left to SQLAlchemy
            raise KeyError(sorted(missing))
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        plan = _Plan(compiled.string, names, positional, processors)
        _PLANS[cache_key] = plan
    return plan


def insert_many(connection: Connection, statement: Insert, rows: Sequence[dict[str, Any]]) -> None:
    """`connection.execute(statement, rows)` for rows that all have the first row's keys."""
    if not rows:
        return
    keys = tuple(rows[0])
    try:
        plan = _plan(connection, statement, keys)
    except KeyError:
        connection.execute(statement, list(rows))
        return
    names, processors = plan.names, plan.processors
    # The usual case: most columns need no conversion, so only those that do are touched.
    pairs = enumerate(zip(names, processors, strict=True))
    converting = [(at, name, fn) for at, (name, fn) in pairs if fn is not None]
    params: list[Any]
    if plan.positional:
        params = []
        for row in rows:
            values = [row[name] for name in names]
            for at, _name, fn in converting:
                values[at] = fn(values[at])
            params.append(tuple(values))
    else:
        params = []
        for row in rows:
            values_by_name = {name: row[name] for name in names}
            for _at, name, fn in converting:
                values_by_name[name] = fn(values_by_name[name])
            params.append(values_by_name)
    connection.exec_driver_sql(plan.sql, params)
