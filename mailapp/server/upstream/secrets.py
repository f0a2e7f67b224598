"""The server key that encrypts upstream passwords at rest.

The key lives in a file of its own (mode 0600, created by `mailapp-server init`), apart from the
database: a copy of the database alone (a backup, a dump shared for debugging) does not reveal
any upstream password. Fernet (AES-128-CBC with HMAC-SHA256) from `cryptography` does the
encryption; a token that does not authenticate under the key is refused, never half-decrypted.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE_NAME = "upstream.key"


class ServerKeyError(RuntimeError):
    """The key file is missing, unreadable, too open or not a key; the message says which."""


def key_path(settings: object) -> Path:
    configured = getattr(settings, "upstream_key_file", None)
    if configured:
        return Path(configured)
    return Path(getattr(settings, "data_dir")) / KEY_FILE_NAME  # noqa: B009


def key_path_of(settings_or_path: object) -> Path:
    """The key file of settings, or a path given directly (tests, tools)."""
    if isinstance(settings_or_path, (str, Path)):
        return Path(settings_or_path)
    return key_path(settings_or_path)


def create_key(path: Path) -> bool:
    """Create the key file (0600) unless it exists; True when it was created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two `init`s racing cannot both write a key (one would lose its passwords).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.write(fd, Fernet.generate_key() + b"\n")
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    os.close(fd)
    return True


def load_key(path: Path) -> Fernet:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ServerKeyError(
            f"the server key {path} is missing: run `mailapp-server init` "
            "(upstream passwords stored under another key cannot be read; link the accounts again)"
        ) from None
    except OSError as exc:
        raise ServerKeyError(f"cannot read the server key {path}: {exc.strerror}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ServerKeyError(
            f"the server key {path} is readable by other users: run `chmod 600 {path}`"
        )
    try:
        return Fernet(path.read_bytes().strip())
    except OSError as exc:
        raise ServerKeyError(f"cannot read the server key {path}: {exc.strerror}") from None
    except ValueError:
        raise ServerKeyError(f"{path} is not a server key (it must hold one Fernet key)") from None


def encrypt(key: Fernet, secret: str) -> bytes:
    return key.encrypt(secret.encode("utf-8"))


def decrypt(key: Fernet, token: bytes) -> str:
    try:
        return key.decrypt(bytes(token)).decode("utf-8")
    except InvalidToken:
        raise ServerKeyError(
            "the stored upstream password cannot be decrypted with this server key "
            "(was the key file replaced?): link the account again"
        ) from None
