"""Session tokens live in the system keyring only: never in SQLite, config files or logs.

When no usable keyring exists (the "fail" backend, a locked or missing Secret Service), the token
is kept in memory for this process only, so the user stays signed in until they quit.

The backend that worked is remembered in the user's data folder: keyring's own detection imports
and asks every installed backend, 100-200 ms of CPU on each start of the app and each
`mailapp sync --once`, where loading the remembered one costs a few ms. An environment variable
or keyring's own config file still decides first, and a remembered backend that is no longer
usable (another desktop session, a removed package) is forgotten and detection runs again.

keyring itself is imported when a token is first saved, read or forgotten, not with this module:
with its importlib_metadata, jaraco and configparser it is ~2 MB of a window that has no
account to sign in (the sync machinery imports this module whether or not an account exists).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)

SERVICE = "mailapp-sync"

_session: dict[str, str] = {}
_lock = threading.Lock()
_chosen = False  # the backend was picked in this process (remembered, configured or detected)

REMEMBERED_FILE = "keyring-backend"


def _remembered_path() -> Path:
    import platformdirs  # the data folder of mailapp.paths, which sync may not import

    return platformdirs.user_data_path("mailapp", appauthor=False) / REMEMBERED_FILE


def _keyring() -> ModuleType:
    """keyring, with this process's backend chosen (once)."""
    import keyring

    _choose_backend()
    return keyring


def _keyring_errors() -> tuple[type[BaseException], ...]:
    """What a keyring call raises when there is no usable keyring: the session keeps the token."""
    from keyring.errors import KeyringError

    return (KeyringError, RuntimeError, OSError)


def _choose_backend() -> None:
    """Load the remembered backend, unless the user configured one; else let keyring detect."""
    global _chosen
    import keyring
    import keyring.core
    from keyring.backends import chainer, fail

    with _lock:
        if _chosen:
            return
        _chosen = True
        if keyring.core._keyring_backend is not None:
            return  # set already in this process (keyring.set_keyring)
        if os.environ.get("PYTHON_KEYRING_BACKEND") or keyring.core._config_path().exists():
            return  # the user's choice, which keyring reads itself
        path = _remembered_path()
        try:
            name = path.read_text(encoding="utf-8").strip()
        except OSError:
            name = ""
        if name:
            try:
                keyring.set_keyring(keyring.core.load_keyring(name))
                return
            except Exception as exc:  # an unloadable backend of any kind: detect again
                log.info("the remembered keyring backend %s is not usable (%s)", name, exc)
                with contextlib.suppress(OSError):
                    path.unlink()
        backend = keyring.get_keyring()  # keyring's detection
        if isinstance(backend, fail.Keyring | chainer.ChainerBackend):
            return  # nothing usable, or several: nothing one name would stand for
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{type(backend).__module__}.{type(backend).__name__}\n", "utf-8")


def account_key(server_url: str, username: str) -> str:
    """The keyring user name for one sign-in: stable per server and user name."""
    return f"{username}@{server_url.rstrip('/')}"


def store_token(account_key: str, token: str) -> bool:
    """Save the token; False when the keyring is unavailable (it is then kept in memory only)."""
    with _lock:
        _session[account_key] = token
    errors = _keyring_errors()
    try:
        _keyring().set_password(SERVICE, account_key, token)
    except errors as exc:
        log.warning("the system keyring is unavailable (%s); the sign-in lasts this session", exc)
        return False
    return True


def load_token(account_key: str) -> str | None:
    errors = _keyring_errors()
    try:
        token = _keyring().get_password(SERVICE, account_key)
    except errors:
        token = None
    if token:
        return token
    with _lock:
        return _session.get(account_key)


def forget_token(account_key: str) -> None:
    with _lock:
        _session.pop(account_key, None)
    with contextlib.suppress(*_keyring_errors()):
        _keyring().delete_password(SERVICE, account_key)
