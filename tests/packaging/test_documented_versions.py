"""The versions packaging/README.md names are the installed ones its figures come from."""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, version

import pytest

from tests.packaging.support import PACKAGING

# "Figures on this machine (Linux x86-64, Python 3.11, PySide6 6.11, PyInstaller 6.22; ...)"
NAMED = re.compile(r"\b(Python|PySide6|PyInstaller) (\d+\.\d+)\b")
# The distributions that carry each name (PySide6 installs as PySide6_Essentials too).
DISTRIBUTIONS = {"PySide6": ("PySide6", "PySide6_Essentials"), "PyInstaller": ("pyinstaller",)}


def _installed(name: str) -> str | None:
    if name == "Python":
        return f"{sys.version_info.major}.{sys.version_info.minor}"
    for distribution in DISTRIBUTIONS[name]:
        try:
            return ".".join(version(distribution).split(".")[:2])
        except PackageNotFoundError:
            continue
    return None


def test_the_packaging_readme_names_the_installed_versions() -> None:
    text = (PACKAGING / "README.md").read_text(encoding="utf-8")
    (figures_line,) = [line for line in text.splitlines() if line.startswith("Figures on")]
    named = dict(NAMED.findall(figures_line))
    assert set(named) == {"Python", "PySide6", "PyInstaller"}, figures_line
    checked = 0
    for name, documented in named.items():
        installed = _installed(name)
        if installed is None:
            continue  # PyInstaller is the `packaging` extra: absent from a plain install
        assert documented == installed, f"packaging/README.md names {name} {documented}"
        checked += 1
    if checked < 2:
        pytest.skip("PySide6 is not installed here")
