"""Where mailapp keeps profiles and logs, and where its bundled resources live.

Qt-free so that headless commands can use it.
"""

from __future__ import annotations

from pathlib import Path

APP_NAME = "mailapp"
STORE_FILENAME = "mail.sqlite3"
LOG_FILENAME = "mailapp.log"

_PACKAGE_DIR = Path(__file__).resolve().parent


# platformdirs is imported where it is used: ~4 ms of imports, and a window started with
# --profile paints before it opens the log, the only other user of these folders.


def data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def profile_dir(name: str = "default") -> Path:
    return data_dir() / "profiles" / name


def store_path(profile: Path) -> Path:
    return profile / STORE_FILENAME


def log_dir() -> Path:
    import platformdirs

    return platformdirs.user_log_path(APP_NAME, appauthor=False)


def log_file() -> Path:
    return log_dir() / LOG_FILENAME


def resources_dir() -> Path:
    # A wheel force-includes resources/ as mailapp/_resources; a source tree has it at the top.
    installed = _PACKAGE_DIR / "_resources"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
