"""The window's process does not keep the source text of every module it imported.

PySide6's import hook read each module imported after Qt through `inspect.getsource`, which
left ~117,000 lines (10 MB, more when SQLAlchemy is imported after Qt) in `linecache` for the
life of the app. Each case runs in a fresh interpreter, since the hook sees only what is
imported after PySide6.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# What the window with its sync worker imports; `first` is loaded before the rest.
SCRIPT = """
import importlib, json, linecache, sys
importlib.import_module(sys.argv[1])
from mailapp.store import open_store
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.window_sync import setup_window_sync
feature = sys.modules["shibokensupport.feature"].pyside_feature_dict
print(json.dumps({
    "files": sorted(name for name in linecache.cache if not name.startswith("<")),
    "lines": sum(len(entry[2]) for entry in linecache.cache.values()),
    "uses_pyside": {name: feature.get(name) for name in (
        "mailapp.ui.window.main_window", "mailapp.store.store", "sqlalchemy.engine.base"
    )},
}))
"""


@pytest.mark.parametrize(
    "first",
    [
        "mailapp.ui",  # as `mailapp` starts: the ui package before the store
        "PySide6.QtCore",  # Qt before mailapp.ui, as a script or a test may do
    ],
)
def test_imported_module_sources_are_not_kept_in_memory(first: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, first],
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["files"] == []
    assert report["lines"] < 5_000  # SQLAlchemy's generated functions only (before: 116,630)
    # PySide6's answer is unchanged: the module naming PySide6 may use its features (0), the
    # others are left alone (-1).
    assert report["uses_pyside"] == {
        "mailapp.ui.window.main_window": 0,
        "mailapp.store.store": -1,
        "sqlalchemy.engine.base": -1,
    }
