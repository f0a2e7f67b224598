"""The Linux desktop files: valid for the desktop and software centres, one id everywhere."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication, QImage

from mailapp.ui.app import APP_ID, _create_application
from tests.packaging.support import PACKAGING, REPO, load_script, project

LINUX = PACKAGING / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package {package}): cannot validate"
        print(message)
        pytest.skip(message)
    return path


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_is_valid() -> None:
    tool = require_tool("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_metainfo_is_valid_offline() -> None:
    tool = require_tool("appstreamcli", "appstream")
    result = subprocess.run(
        [tool, "validate", "--no-net", "--explain", str(METAINFO)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Exit status 0 allows infos and pedantic notes (e.g. older appstream not knowing
    # <developer>), never warnings or errors.
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_application_id_everywhere(qapp: QGuiApplication) -> None:
    entry = desktop_entry()
    assert entry["Icon"] == APP_ID
    assert entry["Exec"].split()[0] == "mailapp" and "mailapp" in project()["gui-scripts"]
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert root.findtext("provides/binary") == "mailapp"
    saved = (qapp.applicationName(), qapp.applicationDisplayName(), qapp.windowIcon())
    saved_desktop_file = QGuiApplication.desktopFileName()
    try:
        _create_application([])
        # Wayland compositors find the window's desktop file, and so its icon, by this name.
        assert QGuiApplication.desktopFileName() == APP_ID
    finally:  # the application object is shared with the other tests
        qapp.setApplicationName(saved[0])
        qapp.setApplicationDisplayName(saved[1])
        qapp.setWindowIcon(saved[2])
        QGuiApplication.setDesktopFileName(saved_desktop_file)


def test_metainfo_describes_the_current_release() -> None:
    root = ET.parse(METAINFO).getroot()
    releases = [release.get("version") for release in root.iter("release")]
    assert releases and releases[0] == project()["version"]
    assert root.find("description/p") is not None and root.findtext("summary")
    image = root.find("screenshots/screenshot/image")
    assert image is not None and image.text
    committed = QImage(str(LINUX / "screenshots" / Path(image.text).name))
    assert (committed.width(), committed.height()) == (
        int(image.get("width", 0)),
        int(image.get("height", 0)),
    )


def test_icons_are_the_app_icon_in_every_hicolor_size(
    qapp: QGuiApplication, tmp_path: Path
) -> None:
    render_icons = load_script("linux/render_icons.py")
    fresh = {p.relative_to(tmp_path): p for p in render_icons.render(tmp_path)}
    committed_root = LINUX / "icons"
    committed = {p.relative_to(committed_root) for p in committed_root.rglob("*") if p.is_file()}
    assert committed == set(fresh), "run packaging/linux/render_icons.py again"
    scalable = Path("hicolor/scalable/apps") / f"{APP_ID}.svg"
    assert (committed_root / scalable).read_bytes() == (
        REPO / "resources" / "icons" / "mailapp.svg"
    ).read_bytes()
    for size in render_icons.SIZES:
        relative = Path(f"hicolor/{size}x{size}/apps/{APP_ID}.png")
        image = QImage(str(committed_root / relative))
        assert (image.width(), image.height()) == (size, size)
        # Up to date with the SVG: the same picture as a fresh render (antialiasing may differ
        # by a shade between Qt versions, a changed drawing does not).
        centre, corner = (size // 2, size // 3), (0, 0)
        new = QImage(str(fresh[relative]))
        for x, y in (centre, corner):
            assert abs(image.pixelColor(x, y).blue() - new.pixelColor(x, y).blue()) < 8
            assert abs(image.pixelColor(x, y).alpha() - new.pixelColor(x, y).alpha()) < 8
        assert image.pixelColor(0, 0).alpha() == 0  # the rounded corner is transparent


def test_mailto_links_open_a_composer_through_the_desktop_file() -> None:
    from mailapp.cli import build_parser

    entry = desktop_entry()
    assert "x-scheme-handler/mailto" in entry["MimeType"].split(";")
    # %u: the desktop runs `mailapp mailto:…` with the link, which the app takes as its argument.
    program, *arguments = entry["Exec"].split()
    assert (program, arguments) == ("mailapp", ["%u"])
    link = "mailto:ada@example.net?subject=Hello"
    assert build_parser().parse_args([link]).link == link
