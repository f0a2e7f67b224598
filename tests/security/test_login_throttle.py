"""The login throttle against a real server on SQLite and PostgreSQL: a stranger guessing a
user's password is slowed down more and more, parallel guesses cannot overtake the count, and
the real user signing in from another address is never refused."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from mailapp.server.db import session_scope
from mailapp.server.housekeeping import prune_step
from mailapp.server.models import LoginThrottle
from mailapp.server.routes.session import login_throttle
from mailapp.server.throttle import forgive, prune_throttle, reserve_check
from tests.security.conftest import RunningServer

RIGHT = "the right password"


def login(
    server: RunningServer, name: str, password: str, *, source: str = "127.0.0.1"
) -> httpx.Response:
    """POST /v1/session from the loopback address `source` (all of 127/8 reaches the server)."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=60) as client:
        return client.post(f"{server.url}/v1/session", json={"name": name, "password": password})


def test_parallel_wrong_logins_get_exactly_the_allowance(
    server_factory: Callable[..., RunningServer],
) -> None:
    # A long first delay: every request of the burst arrives while the pair must wait.
    server = server_factory(login_rate_limit=10, login_base_delay=120)
    server.add_user("carol", RIGHT)
    with ThreadPoolExecutor(max_workers=60) as pool:
        answers = list(pool.map(lambda i: login(server, "carol", f"guess {i}"), range(60)))
    statuses = Counter(answer.status_code for answer in answers)
    # Each 401 is a password check that ran; before the fix 21 of 60 got through.
    assert statuses == {401: 10, 429: 50}, statuses
    refused = [answer for answer in answers if answer.status_code == 429]
    assert all(110 <= int(answer.headers["Retry-After"]) <= 120 for answer in refused), [
        a.headers["Retry-After"] for a in refused
    ]
    assert all(a.headers["content-type"] == "application/problem+json" for a in refused)


def test_a_stranger_cannot_lock_the_real_user_out(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory(login_rate_limit=3, login_base_delay=120)
    server.add_user("carol", RIGHT)
    with ThreadPoolExecutor(max_workers=20) as pool:
        guesses = list(pool.map(lambda i: login(server, "carol", f"guess {i}"), range(20)))
    assert Counter(g.status_code for g in guesses) == {401: 3, 429: 17}
    # The stranger's address has failed: even the right password waits there.
    assert login(server, "carol", RIGHT).status_code == 429
    # Carol, from an address that has not failed, gets in every time the stranger tries.
    for _ in range(3):
        assert login(server, "carol", RIGHT, source="127.0.0.2").status_code == 200
        assert login(server, "carol", "another guess").status_code == 429
    # Another user is not slowed down at the stranger's address either (5x allowance).
    server.add_user("dave", RIGHT)
    assert login(server, "dave", RIGHT).status_code == 200


def test_delays_grow_with_each_failure(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory(login_rate_limit=1, login_base_delay=1, login_rate_window=60)
    server.add_user("carol", RIGHT)
    waits = []
    for _ in range(3):
        assert login(server, "carol", "guess").status_code == 401
        refused = login(server, "carol", RIGHT)
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        waits.append(wait)
        time.sleep(wait + 0.1)
    assert waits == [1, 2, 4]
    assert login(server, "carol", RIGHT).status_code == 200


def test_a_quiet_pair_is_forgotten_and_a_success_starts_it_clean(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory(login_rate_limit=2, login_base_delay=1, login_rate_window=1)
    server.add_user("carol", RIGHT)
    # A typo, then the right password: the pair starts clean.
    assert login(server, "carol", "typo").status_code == 401
    assert login(server, "carol", RIGHT).status_code == 200
    assert [login(server, "carol", "typo").status_code for _ in range(3)] == [401, 401, 429]
    # Quiet for the window after the wait: the count starts from zero, delays from the base.
    time.sleep(2.2)
    assert [login(server, "carol", "typo").status_code for _ in range(3)] == [401, 401, 429]


def test_many_names_from_one_address_are_throttled(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory(login_rate_limit=1, login_base_delay=60)
    statuses = [login(server, f"guess{i}", "x").status_code for i in range(6)]
    # Per name and address 1 failure may come at once; per address 5 (5x): the sixth is refused.
    assert statuses == [401] * 5 + [429]
    # Another address is not affected.
    assert login(server, "guess9", "x", source="127.0.0.3").status_code == 401


def test_housekeeping_forgets_quiet_pairs(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory(login_rate_limit=1, login_base_delay=1, login_rate_window=1)
    for i in range(3):
        login(server, f"someone{i}", "guess")
    with server.engine.connect() as conn:
        # 3 pairs, 1 address, 3 names
        assert conn.execute(select(func.count()).select_from(LoginThrottle)).scalar() == 7
    time.sleep(2.2)
    prune_step(server.engine, server.settings)
    with server.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LoginThrottle)).scalar() == 0


def test_a_crowd_of_addresses_gets_a_few_guesses_each(
    server_factory: Callable[..., RunningServer],
) -> None:
    # Pairs may fail 5 times at once; the name 25 times over all addresses.
    server = server_factory(login_rate_limit=5, login_base_delay=120)
    server.add_user("carol", RIGHT)
    crowd = [f"127.0.0.{10 + i}" for i in range(25)]
    assert {login(server, "carol", "guess", source=a).status_code for a in crowd} == {401}
    # The name is now over its allowance: an address that keeps guessing stops after 3, not 5.
    repeat = [login(server, "carol", f"guess {i}", source=crowd[0]).status_code for i in range(4)]
    assert repeat == [401, 401, 429, 429]
    # One typo is not guessing; and an address that has not failed gets in, right away.
    assert login(server, "carol", "typo", source=crowd[1]).status_code == 401
    assert login(server, "carol", RIGHT, source=crowd[1]).status_code == 200
    assert login(server, "carol", RIGHT, source="127.0.0.99").status_code == 200


def test_many_first_logins_at_once_all_get_in(
    server_factory: Callable[..., RunningServer],
) -> None:
    """Ten users signing in on five devices each at the same moment, from one address, for the
    first time: each throttle row is created by whichever login comes first. Every right
    password gets in (before: a deadlock answered 503, or a row not yet visible a 500)."""
    server = server_factory()
    names = [f"user{i}" for i in range(10)]
    for name in names:
        server.add_user(name, RIGHT)
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda i: login(server, names[i % 10], RIGHT), range(50)))
    assert Counter(answer.status_code for answer in answers) == {200: 50}


def _postgres_only(server: RunningServer) -> None:
    if server.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: housekeeping cannot come in between")


def test_rows_pruned_between_their_insert_and_their_lock_are_made_again(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory()
    _postgres_only(server)
    throttle = login_throttle(server.settings)
    with session_scope(server.engine) as session:  # a success leaves the rows quiet at once
        forgive(session, throttle, name="dave", address="127.0.0.1")
    pruned: list[int] = []

    def housekeeping_comes_in(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FOR UPDATE" in statement and not pruned:
            pruned.append(0)
            with server.engine.begin() as other:
                pruned[0] = prune_throttle(Session(bind=other), older_than=0)

    event.listen(server.engine, "before_cursor_execute", housekeeping_comes_in)
    try:
        with session_scope(server.engine) as session:
            wait = reserve_check(session, throttle, name="dave", address="127.0.0.1")
    finally:
        event.remove(server.engine, "before_cursor_execute", housekeeping_comes_in)

    assert pruned == [3] and wait == 0  # before: KeyError, a 500 for the login
    with server.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LoginThrottle)).scalar() == 3


def test_housekeeping_skips_the_rows_a_login_holds(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory()
    _postgres_only(server)
    throttle = login_throttle(server.settings)
    with session_scope(server.engine) as session:
        forgive(session, throttle, name="erin", address="127.0.0.1")
        forgive(session, throttle, name="frank", address="127.0.0.2")
    with session_scope(server.engine) as login_session:
        reserve_check(login_session, throttle, name="erin", address="127.0.0.1")  # holds 3 rows
        with server.engine.begin() as other:
            other.execute(text("SET LOCAL lock_timeout = '3s'"))  # before: waited on the login
            pruned = prune_throttle(Session(bind=other), older_than=0)
    assert pruned == 3  # frank's three; erin's are kept for the next round
