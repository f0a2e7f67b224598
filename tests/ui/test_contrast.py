"""Every screen of scripts/screens.py, in light and dark, shows its text at WCAG AA contrast.

The screens are the real ones (the demo server, two devices, a conflict, the dialogs); the
contrast is measured in their rendered pixels (tests/support/contrast.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from tests.support.contrast import Measure, measure_region, measure_widget, unreadable

SCREENS = Path(__file__).resolve().parents[2] / "scripts" / "screens.py"


def _screens_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mailapp_screens", SCREENS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_measure_finds_text_colour_and_background(qtbot: QtBot) -> None:
    image = QImage(60, 20, QImage.Format.Format_RGB32)
    image.fill(QColor("#fff1c2"))
    painter = QPainter(image)
    painter.setPen(QColor("#e9ecef"))
    painter.drawText(QRect(0, 0, 60, 20), 0, "Lisbon")
    painter.end()
    result = measure_region(image, image.rect())
    assert result is not None
    ratio, text, background = result
    assert background.name() == "#fff1c2"
    assert text.name() == "#e9ecef"  # the old conflict highlight under dark text: 1.1:1
    assert ratio < 1.5


@pytest.mark.slow
@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_every_screen_has_readable_text_in_light_and_dark(qtbot: QtBot, tmp_path: Path) -> None:
    screens = _screens_module()
    measured: dict[str, list[Measure]] = {}

    def check(name: str, widget: QWidget) -> None:
        measured[name] = measure_widget(widget, name)

    written = []
    for scheme in ("light", "dark"):
        written += screens.render(tmp_path, scheme, check)
    assert {p.stem for p in written} == set(measured)
    assert any("dark" in p.stem for p in written) and len(written) >= 2 * 15
    # Each screen showed text that was measured: an empty list would prove nothing.
    assert all(len(found) >= 3 for found in measured.values()), {
        name: len(found) for name, found in measured.items()
    }
    failures = [str(m) for found in measured.values() for m in unreadable(found)]
    assert not failures, "\n".join(failures)
