"""The app's translations: Qt's QTranslator for the user's language, ours and Qt's own.

The catalogues' sources are committed as Qt Linguist files, resources/translations/mailapp_*.ts
(scripts/translations.py extracts them with pyside6-lupdate). They are compiled with the
`lrelease` PySide6 ships (what `pyside6-lrelease` runs), never committed compiled:

- the PyInstaller bundle has no lrelease, so packaging/pyinstaller/mailapp.spec compiles them
  into the bundle's resources (`build_catalogs`), where `catalog()` finds them first;
- a wheel or a source checkout has PySide6 and so lrelease: a catalogue is compiled on first use
  into the user's cache folder, named by a digest of its source, so that an update (or an edit
  in a checkout) compiles it again and nothing stale is ever loaded.

English needs a catalogue too, for plurals only: Qt picks the form of "%n messages" from the
loaded translation (mailapp_en.ts holds the English forms, extracted with -pluralonly).
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QLibraryInfo,
    QLocale,
    QStandardPaths,
    QTranslator,
)

from mailapp import paths

log = logging.getLogger(__name__)

CATALOG_PREFIX = "mailapp_"
SOURCE_LANGUAGE = "en"
# lrelease of a few hundred strings takes ~20 ms; a hung one must not hold up the start.
LRELEASE_TIMEOUT_S = 30


def catalog_folder() -> Path:
    return paths.resource("translations")


def languages() -> list[str]:
    """The languages with a catalogue of their own (English holds only plural forms)."""
    folder = catalog_folder()
    found = {p.stem.removeprefix(CATALOG_PREFIX) for p in folder.glob(f"{CATALOG_PREFIX}*.ts")}
    found |= {p.stem.removeprefix(CATALOG_PREFIX) for p in folder.glob(f"{CATALOG_PREFIX}*.qm")}
    return sorted(found - {SOURCE_LANGUAGE})


def qt_tool(name: str) -> Path:
    """A Qt tool PySide6 ships next to its modules (lrelease, lupdate)."""
    import PySide6

    suffix = ".exe" if sys.platform == "win32" else ""
    return Path(PySide6.__file__).resolve().parent / f"{name}{suffix}"


def compile_catalog(source: Path, target: Path) -> None:
    """source (.ts) -> target (.qm) with lrelease; the target appears whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=target.stem, suffix=".qm", dir=target.parent)
    os.close(handle)
    try:
        subprocess.run(
            [str(qt_tool("lrelease")), "-silent", str(source), "-qm", partial],
            check=True,
            capture_output=True,
            timeout=LRELEASE_TIMEOUT_S,
        )
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)


def build_catalogs(target: Path) -> list[Path]:
    """Compiles every catalogue into `target` (for bundles, which cannot compile at run time)."""
    built = []
    for source in sorted(catalog_folder().glob(f"{CATALOG_PREFIX}*.ts")):
        compiled = target / f"{source.stem}.qm"
        compile_catalog(source, compiled)
        built.append(compiled)
    return built


def _cache_folder() -> Path:
    # Qt's answer rather than platformdirs' (the same folder on Linux, ~/.cache or
    # $XDG_CACHE_HOME): platformdirs costs ~4 ms of imports that a start with --profile
    # otherwise defers until after the first paint.
    generic = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericCacheLocation)
    return Path(generic) / paths.APP_NAME / "translations"


def catalog(language: str) -> Path | None:
    """The compiled catalogue for `language` ("de"), compiling it first if need be."""
    shipped = catalog_folder() / f"{CATALOG_PREFIX}{language}.qm"
    if shipped.is_file():
        return shipped
    source = catalog_folder() / f"{CATALOG_PREFIX}{language}.ts"
    if not source.is_file():
        return None
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    cached = _cache_folder() / f"{CATALOG_PREFIX}{language}-{digest}.qm"
    if cached.is_file():
        return cached
    try:
        compile_catalog(source, cached)
    except (OSError, subprocess.SubprocessError) as error:
        log.warning("cannot compile the %s translation: %s", language, error)
        return None
    for stale in cached.parent.glob(f"{CATALOG_PREFIX}{language}-*.qm"):
        if stale != cached:
            stale.unlink(missing_ok=True)
    return cached


def ui_language(locale: QLocale | None = None) -> str | None:
    """The first of the user's languages (LANGUAGE, LC_ALL, LC_MESSAGES, LANG on Unix) that
    has a catalogue; None for English or a language without one."""
    available = set(languages())
    for name in (locale or QLocale.system()).uiLanguages():
        language = name.replace("-", "_").split("_")[0].lower()
        if language == SOURCE_LANGUAGE:
            return None
        if language in available:
            return language
    return None


def _qt_catalog_folders() -> list[Path]:
    folders = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    import PySide6  # a bundle's Qt may report its build machine's path

    folders.append(Path(PySide6.__file__).resolve().parent / "Qt" / "translations")
    return folders


def _load(app: QCoreApplication, file: Path) -> QTranslator | None:
    translator = QTranslator(app)
    if not translator.load(str(file)):
        log.warning("cannot load the translation %s", file)
        return None
    app.installTranslator(translator)
    return translator


def install(app: QCoreApplication, locale: QLocale | None = None) -> list[QTranslator]:
    """Installs the translators for the user's language (replacing any this installed before);
    returns them."""
    remove(app)
    installed = _installed
    # Lowest priority (Qt asks the last installed first): English plural forms.
    english = catalog(SOURCE_LANGUAGE)
    if english is not None and (translator := _load(app, english)) is not None:
        installed.append(translator)
    language = ui_language(locale)
    if language is None:
        return list(installed)
    # Qt's own texts (standard buttons, file dialogs), only with a catalogue of ours: a window
    # half in the user's language and half in English reads worse than one in English.
    for folder in _qt_catalog_folders():
        qt_file = folder / f"qtbase_{language}.qm"
        if qt_file.is_file():
            if (translator := _load(app, qt_file)) is not None:
                installed.append(translator)
            break
    ours = catalog(language)
    if ours is not None and (translator := _load(app, ours)) is not None:
        installed.append(translator)
    return list(installed)


def remove(app: QCoreApplication) -> None:
    """Removes what `install` installed: the app is in English again."""
    while _installed:
        translator = _installed.pop()
        app.removeTranslator(translator)
        translator.deleteLater()


_installed: list[QTranslator] = []
