"""Render the app icon (resources/icons/mailapp.svg) into the hicolor theme sizes.

    python packaging/linux/render_icons.py [OUTPUT_DIR]

Writes OUTPUT_DIR/hicolor/<N>x<N>/apps/org.mailapp.MailApp.png for every size in SIZES and
OUTPUT_DIR/hicolor/scalable/apps/org.mailapp.MailApp.svg (default OUTPUT_DIR: packaging/linux/icons,
which is committed; run this again after changing the SVG). Uses Qt's own SVG renderer, so it
needs nothing beyond the app's dependencies; it runs on the offscreen platform.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
APP_ID = "org.mailapp.MailApp"
SOURCE = ROOT / "resources" / "icons" / "mailapp.svg"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(target: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SOURCE}")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = target / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path)):  # the format follows the .png suffix
            raise SystemExit(f"cannot write {path}")
        written.append(path)
    scalable = target / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, scalable)
    return [*written, scalable]


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "icons"
    for written in render(out):
        print(written)
