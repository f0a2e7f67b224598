"""What a cold start of the window loads: only what painting the message list needs.

Alembic (with Mako and Pygments), the ORM, pydantic and the wire schemas, the MIME parser and the
demo generator each cost tens to hundreds of milliseconds of start-up, and the window needs none
of them to show a store that is already current. Nor does it need SQLAlchemy at all: the first
screen is read with the stdlib sqlite3 module (mailapp.store.first_screen) and the store, with
everything that needs it, is opened right after the first paint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import mailapp
from mailapp.store import MailStore

REPO = Path(__file__).resolve().parents[2]

# Not wanted on the way to the first painted message list (a package matches its submodules).
SLOW_AND_UNNEEDED = (
    "alembic",
    "mako",
    "pygments",
    "sqlalchemy.orm",
    "pydantic",
    "mailapp.wire",
    "mailapp.mime",  # the MIME parser and composer: only import, search and the composer
    "mailapp.core.demo",
    "mailapp.store.importer",
    "mailapp.store.deferred_rows",  # their dataclasses cost ~0.6 ms each to create
    "PySide6.QtSvg",  # a light theme's icons are drawn by Qt's SVG icon engine
    # The second phase, after the first paint: the store and what needs it.
    "sqlalchemy",
    "mailapp.store.store",
    "mailapp.store.views",
    "mailapp.store.migrate",
    "mailapp.core.addresses",  # email.utils
    "mailapp.core.html",  # nh3
    "mailapp.ui.common.store_bridge",
    "mailapp.ui.mailbox.search_box",
    "mailapp.ui.mailbox.undo_commands",
    "mailapp.ui.reading.attachments",
    "mailapp.ui.window.tray",
    "mailapp.ui.composer.composer",
    "mailapp.ui.outbox.conflict_dialog",
    "mailapp.ui.outbox.outbox_view",
    "mailapp.ui.syncing.sync_worker",
    "mailapp.ui.account.account_setup",
)

_START_AND_LIST_MODULES = """
import json, sys
from mailapp.cli import main
status = main(["--profile", sys.argv[1]])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def test_version_is_the_one_in_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert mailapp.__version__ == project["version"]


def test_window_starts_and_paints_without_loading_slow_unneeded_modules(
    store: MailStore, tmp_path: Path
) -> None:
    profile = store.path.parent  # the fixture's store file is this profile's mail.sqlite3
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MAILAPP_REPORT_FIRST_PAINT": "1",
        "MAILAPP_EXIT_AFTER_FIRST_PAINT": "1",
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _START_AND_LIST_MODULES, str(profile)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    painted, report = result.stdout.strip().splitlines()[-2:]
    assert painted.startswith("first-paint ")
    started = json.loads(report)
    assert started["status"] == 0
    loaded = [
        module
        for module in started["modules"]
        if any(module == slow or module.startswith(f"{slow}.") for slow in SLOW_AND_UNNEEDED)
    ]
    assert loaded == []


# The window complete (its store attached, the sync machinery and menus set up) for a profile
# with no account to sign in: nothing asks for a secret, so the keyring is not loaded; nothing
# talks to a server, so neither is the HTTP stack (requests, urllib3: ~6 MB of RSS).
_ATTACH_AND_LIST_MODULES = """
import json, sys
from contextlib import ExitStack
from pathlib import Path
from PySide6.QtCore import QTimer
from mailapp.gui_options import GuiOptions
from mailapp.ui import app as desktop_app

qapp = desktop_app._create_application([])
options = GuiOptions(Path(sys.argv[1]), False, None, False, False)
with ExitStack() as cleanup:
    (window,) = desktop_app._open_first_screen(options, cleanup, qapp)
    window.storeAttached.connect(lambda: QTimer.singleShot(200, qapp.quit))
    QTimer.singleShot(60_000, qapp.quit)  # bounded
    window.show()
    qapp.exec()
    print(json.dumps({"attached": window.store is not None, "modules": sorted(sys.modules)}))
    window.close()
"""


def test_window_without_an_account_loads_neither_the_keyring_nor_an_http_stack(
    store: MailStore, tmp_path: Path
) -> None:
    profile = store.path.parent
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _ATTACH_AND_LIST_MODULES, str(profile)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["attached"]
    assert "mailapp.sync.credentials" in report["modules"]  # the sync machinery is there
    unneeded = ("keyring", "requests", "urllib3")
    assert [m for m in report["modules"] if m.split(".")[0] in unneeded] == []
