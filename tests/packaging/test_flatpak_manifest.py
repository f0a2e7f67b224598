"""The Flatpak manifest cannot be built here (no Flathub runtimes): it is checked as data."""

from __future__ import annotations

import json
import re

from mailapp.ui.app import APP_ID
from tests.packaging.support import PACKAGING, REPO, project

MANIFEST = PACKAGING / "flatpak" / f"{APP_ID}.json"


def test_manifest_builds_the_app_on_the_pyside_base_app() -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert manifest["id"] == APP_ID
    assert manifest["base"] == "io.qt.PySide.BaseApp"
    assert manifest["runtime"] == "org.kde.Platform"
    assert manifest["runtime-version"] == manifest["base-version"]
    assert manifest["command"] in project()["gui-scripts"]
    # The keyring (Secret Service or KWallet) and the sync server must be reachable.
    assert {"--share=network", "--talk-name=org.freedesktop.secrets"} <= set(
        manifest["finish-args"]
    )


def test_every_file_the_manifest_installs_exists() -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    (app,) = [m for m in manifest["modules"] if isinstance(m, dict) and m["name"] == "mailapp"]
    source = (MANIFEST.parent / app["sources"][0]["path"]).resolve()
    assert source == REPO
    installed = re.findall(r"packaging/\S+", " ".join(app["build-commands"]))
    assert installed
    for path in installed:
        assert (source / path).exists(), path
