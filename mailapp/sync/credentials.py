"""Session tokens live in the system keyring only: never in SQLite, config files or logs.

When no usable keyring exists (the "fail" backend, a locked or missing Secret Service), the token
is kept in memory for this process only, so the user stays signed in until they quit.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import keyring
from keyring.errors import KeyringError

log = logging.getLogger(__name__)

SERVICE = "mailapp-sync"

_session: dict[str, str] = {}
_lock = threading.Lock()


def account_key(server_url: str, username: str) -> str:
    """The keyring user name for one sign-in: stable per server and user name."""
    return f"{username}@{server_url.rstrip('/')}"


def store_token(account_key: str, token: str) -> bool:
    """Save the token; False when the keyring is unavailable (it is then kept in memory only)."""
    with _lock:
        _session[account_key] = token
    try:
        keyring.set_password(SERVICE, account_key, token)
    except (KeyringError, RuntimeError, OSError) as exc:
        log.warning("the system keyring is unavailable (%s); the sign-in lasts this session", exc)
        return False
    return True


def load_token(account_key: str) -> str | None:
    try:
        token = keyring.get_password(SERVICE, account_key)
    except (KeyringError, RuntimeError, OSError):
        token = None
    if token:
        return token
    with _lock:
        return _session.get(account_key)


def forget_token(account_key: str) -> None:
    with _lock:
        _session.pop(account_key, None)
    with contextlib.suppress(KeyringError, RuntimeError, OSError):
        keyring.delete_password(SERVICE, account_key)
