"""Translations: every text of the code has a finished German translation, and the app started in
German shows its menus in German, with Qt's own texts (shortcut names) translated too."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore
from mailapp.ui import translations
from mailapp.ui.window.main_window import MainWindow

REPO = Path(__file__).resolve().parents[2]
GERMAN = {"LANG": "de_DE.UTF-8", "LANGUAGE": "de_DE:de", "LC_ALL": "de_DE.UTF-8"}
# %1, %n, %s and {name}: what the code fills in must survive translation.
ENGLISH = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
PLACEHOLDER = re.compile(r"%\d|%n|%s|\{\w*\}")


def _script() -> ModuleType:
    path = REPO / "scripts" / "translations.py"
    spec = importlib.util.spec_from_file_location("_scripts_translations", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_text_in_the_code_has_a_finished_translation() -> None:
    """pyside6-lupdate over the code, merged into copies of the committed catalogues: a new
    tr() text shows up here as unfinished until it is translated."""
    script = _script()
    assert script.problems() == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_translations_keep_placeholders_accelerators_and_plural_forms(language: str) -> None:
    script = _script()
    messages = script.read(REPO / "resources" / "translations" / f"mailapp_{language}.ts")
    assert len(messages) > (300 if language == "de" else 20)
    for message in messages:
        wanted = sorted(set(PLACEHOLDER.findall(message.source)))
        if message.numerus:
            assert len(message.translations) == 2, message  # German and English: one, many
        for form in message.translations:
            found = sorted(set(PLACEHOLDER.findall(form)))
            if message.numerus and form is message.translations[0]:
                # "Diese Nachricht wurde gespeichert" needs no number for one.
                found = sorted(set(found) | {"%n"} & set(wanted))
            assert found == wanted, (message.source, form)
            assert form.count("&") == message.source.count("&"), (message.source, form)


@pytest.fixture
def german(qapp: QApplication) -> Iterator[QApplication]:
    """The app in German. (Qt reads LANG and LANGUAGE once per process, so the test that
    starts with them set runs the app in a process of its own.)"""
    translations.install(qapp, QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield qapp
    translations.install(qapp, ENGLISH)  # as every other test has it (tests/conftest.py)


_MENU_TITLES = """
import json, sys
from mailapp.store import open_store
from mailapp.ui.app import _create_application
from mailapp.ui.window.main_window import MainWindow
app = _create_application([])
window = MainWindow(open_store(sys.argv[1]))
print(json.dumps([action.text() for action in window.menuBar().actions()]))
"""


def test_started_with_a_german_environment_the_app_is_in_german(
    store: MailStore, tmp_path: Path
) -> None:
    env = {**os.environ, **GERMAN, "QT_QPA_PLATFORM": "offscreen"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    result = subprocess.run(
        [sys.executable, "-c", _MENU_TITLES, str(store.path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    titles = json.loads(result.stdout.splitlines()[-1])
    assert titles[:6] == ["&Datei", "&Bearbeiten", "&Ansicht", "&Gehe zu", "&Nachricht", "E&xtras"]


def _menu_actions(menu: QMenu) -> Iterator[QAction]:
    for action in menu.actions():
        yield action
        if action.menu() is not None:
            yield from _menu_actions(action.menu())


def test_the_main_window_in_german_has_no_english_in_its_menus(
    qtbot: QtBot, store: MailStore, german: QApplication
) -> None:
    english = {
        message.source.replace("&", "")
        for message in _script().read(REPO / "resources" / "translations" / "mailapp_de.ts")
        if message.translations[0] != message.source
    }
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    window.select_message_row(0)

    titles = [action.text() for action in window.menuBar().actions()]
    assert titles[:6] == ["&Datei", "&Bearbeiten", "&Ansicht", "&Gehe zu", "&Nachricht", "E&xtras"]
    shown = []
    for top in window.menuBar().actions():
        for action in _menu_actions(top.menu()):
            if not action.isSeparator():
                shown.append(action.text().replace("&", ""))
                if not action.shortcut().isEmpty():
                    shown.append(action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
    for action in window.toolbar.actions():
        shown += [action.text().replace("&", ""), action.toolTip().replace("&", "")]
    assert shown
    assert [text for text in shown if text in english] == []
    # Qt's own catalogue is loaded too: the key names of shortcuts are German.
    reply = window.mail_actions.reply
    assert reply.text() == "&Antworten"
    assert reply.shortcut().toString(QKeySequence.SequenceFormat.NativeText) == "Strg+R"
    assert window.count_label.text() == "30 Nachrichten"


def test_english_plurals_come_from_the_english_catalogue(
    qtbot: QtBot, store: MailStore, qapp: QApplication
) -> None:
    translations.remove(qapp)
    window = MainWindow(store)
    qtbot.addWidget(window)
    assert window.count_label.text() == "30 messages"
    assert window.tr("%n messages selected.", "", 1) == "1 messages selected."  # no catalogue
    translations.install(qapp, ENGLISH)
    assert window.tr("%n messages selected.", "", 1) == "1 message selected."
    assert window.tr("%n messages selected.", "", 2) == "2 messages selected."


def test_a_checkout_compiles_its_catalogue_once_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    compiled = translations.catalog("de")
    assert compiled is not None and compiled.is_relative_to(tmp_path)
    assert compiled.read_bytes()[:4] == b"\x3c\xb8\x64\x18"  # a .qm file's magic
    stamp = compiled.stat().st_mtime_ns
    assert translations.catalog("de") == compiled
    assert compiled.stat().st_mtime_ns == stamp  # not compiled again


def test_bundles_get_compiled_catalogues(tmp_path: Path) -> None:
    built = translations.build_catalogs(tmp_path)
    assert {path.name for path in built} == {"mailapp_de.qm", "mailapp_en.qm"}
    assert all(path.stat().st_size > 100 for path in built)
