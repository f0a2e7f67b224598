"""Helpers shared by the packaging tests: paths, loading the scripts in packaging/, clean envs."""

from __future__ import annotations

import importlib.util
import os
import sys
import tomllib
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"


def load_script(relative: str) -> ModuleType:
    """Import a script under packaging/ (not a package: `packaging` would shadow PyPI's)."""
    path = PACKAGING / relative
    spec = importlib.util.spec_from_file_location(f"_packaging_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def project() -> dict:
    with (REPO / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """No MAILAPP_* settings from the caller, offscreen Qt, logs and profiles under `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAPP_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    env.update(extra)
    return env
