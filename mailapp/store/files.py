"""Private files: a profile holds the user's mail, so its folders are 0700 and its files 0600.

SQLite creates a database as 0644 (less the umask) and gives its -wal and -shm files the mode of
the database itself; so tightening the database right after it is created covers them too.
Stdlib only: the window uses this before SQLAlchemy is imported.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

SIDE_FILES = ("", "-wal", "-shm", "-journal")


def make_private_dir(folder: Path) -> None:
    """Create `folder` and any missing parents as 0700; folders that exist are left alone."""
    missing: list[Path] = []
    current = Path(folder)
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:  # created meanwhile by another process: theirs to keep
            continue
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


def make_private(path: Path) -> None:
    """Give `path` and its SQLite side files mode 0600 where they are more open than that."""
    for suffix in SIDE_FILES:
        candidate = Path(f"{path}{suffix}")
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
            if mode & 0o077:
                os.chmod(candidate, mode & 0o600)
        except OSError:  # absent, or not ours to change: the open itself reports real problems
            continue


def discard_new(path: Path) -> None:
    """Remove a database this process has just created and could not finish, with its side
    files; never called for a file that existed before."""
    for suffix in SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)
