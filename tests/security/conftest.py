"""The security suite: what an untrusted party (another user, a remote sender, the network) must
not achieve; see SECURITY.md for the threat model.

The server fixtures are the same as tests/server's: the real server under uvicorn on a loopback
port, on SQLite and PostgreSQL (the PostgreSQL variants are marked `postgres`).

- `server`: a fresh server per test; `server_factory(**settings_overrides)` for custom settings;
- `shared_server`: one server per module and database, for tests that only touch fresh users
  (`server.new_user()`); a module opts in by overriding `server` with it;
- `api` (no token), `user` and `other_user` (logged-in accounts with clients);
- `RunningServer`, `User`, `run_server` and `postgres_database` are importable from here too.
"""

from __future__ import annotations

from tests.server.conftest import (  # noqa: F401 - re-exported fixtures and helpers
    PG_URL,
    RunningServer,
    User,
    api,
    backend,
    database_url,
    other_user,
    postgres_database,
    run_server,
    server,
    server_factory,
    shared_server,
    user,
)
