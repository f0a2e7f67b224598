"""Settings every test needs before anything imports Qt."""

import gc
import os
from collections.abc import Iterator

import pytest

# Real widgets, no screen: Qt's offscreen platform. Set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The keyring must never touch a developer's real secrets from a test.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


@pytest.fixture(scope="session")
def qapp(qapp):  # type: ignore[no-untyped-def]  # pytest-qt's, as the app sets it up
    """Qt's application with the translators the app installs at start-up: in English, the
    English catalogue with the plural forms ("1 message", "2 messages")."""
    from PySide6.QtCore import QLocale

    from mailapp.ui import translations

    translations.install(qapp, QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    return qapp


@pytest.fixture(autouse=True)
def _qt_garbage_on_the_ui_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test with Qt, collect its cyclic garbage here, on the GUI thread. Left for
    later, a later test's server or sync thread would collect it, and a top-level widget
    destroyed there waits for the GUI thread while holding the GIL: 30 s frozen, the next
    test's server "did not start". The app collects on its UI thread only (ui/common/ui_gc.py);
    a test process keeps CPython's collector for the tests without Qt."""
    yield
    if "qtbot" in request.fixturenames or "qapp" in request.fixturenames:
        gc.collect()


# Test files that assert a wall-clock bound a user would notice (typing saved within 2 s, the
# outbox flushed within 2 s of reconnecting, a deadline kept). `scripts/dev.sh test` runs the rest
# of the suite on several xdist workers and then these alone, so that the other workers' load
# on a two-core machine cannot make them fail. Listed here, not in each file, so that one place
# says which tests share the machine and which do not.
TIMED_FILES = frozenset(
    {
        "tests/imap/test_idle_folders.py",
        "tests/security/test_hostile_html.py",
        "tests/security/test_limits.py",
        "tests/security/test_login_throttle.py",
        "tests/security/test_quotas.py",
        "tests/security/test_token_cache.py",
        "tests/server/test_delivery.py",
        "tests/server/test_health.py",
        "tests/store/test_errors.py",
        "tests/sync/test_client_deadline.py",
        "tests/sync/test_connectivity_streams.py",
        "tests/ui/test_account_setup.py",
        "tests/ui/test_autosave_killed.py",
        "tests/ui/test_composer.py",
        "tests/ui/test_reconnect.py",
        "tests/ui/test_sync_worker.py",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    missing = [name for name in TIMED_FILES if not (root / name).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py TIMED_FILES names missing files: {missing}")
    for item in items:
        if item.path.relative_to(root).as_posix() in TIMED_FILES:
            item.add_marker(pytest.mark.timed)
