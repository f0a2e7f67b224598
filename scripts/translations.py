"""Keep the translation sources in resources/translations/ up to date with the code.

    python scripts/translations.py update   # pyside6-lupdate: add new tr() texts, drop gone ones
    python scripts/translations.py check    # exit 1 if a text lacks a finished translation

After `update`, translate what it reports as unfinished (Qt Linguist: `pyside6-linguist
resources/translations/mailapp_de.ts`, or any editor): each <translation> needs its text, and its
type="unfinished" removed. mailapp_en.ts holds only the English plural forms ("%n message" /
"%n messages") of texts written with tr("...", "", n). The app compiles the catalogues itself
(mailapp/ui/translations.py); tests/ui/test_translations.py runs `check`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "resources" / "translations"
# Where tr() and translate() are called: only the desktop app speaks Qt.
SOURCES = ROOT / "mailapp" / "ui"


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    translations: tuple[str, ...]  # one, or one per plural form
    finished: bool
    numerus: bool


def lupdate() -> Path:
    import PySide6

    suffix = ".exe" if sys.platform == "win32" else ""
    return Path(PySide6.__file__).resolve().parent / f"lupdate{suffix}"


def extract(ts_file: Path, *, plural_only: bool = False) -> None:
    """Adds the code's texts to ts_file (created if missing), keeping its translations."""
    language = ts_file.stem.split("_", 1)[1]
    files = sorted(str(p) for p in SOURCES.rglob("*.py"))
    command = [str(lupdate()), "-silent", "-locations", "none", "-no-obsolete"]
    command += ["-source-language", "en", "-target-language", language]
    if plural_only:
        command.append("-pluralonly")
    subprocess.run([*command, *files, "-ts", str(ts_file)], check=True, timeout=120)


def catalogs() -> list[Path]:
    return sorted(FOLDER.glob("mailapp_*.ts"))


def read(ts_file: Path) -> list[Message]:
    messages = []
    for context in ET.parse(ts_file).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            forms = translation.findall("numerusform")
            texts = tuple(f.text or "" for f in forms) if forms else (translation.text or "",)
            messages.append(
                Message(
                    context=name,
                    source=message.findtext("source") or "",
                    translations=texts,
                    finished=translation.get("type") not in ("unfinished", "vanished", "obsolete")
                    and all(texts),
                    numerus=message.get("numerus") == "yes",
                )
            )
    return messages


def updated_copy(ts_file: Path, folder: Path) -> Path:
    """ts_file as `update` would leave it, written into `folder` (the original is untouched)."""
    copy = folder / ts_file.name
    shutil.copyfile(ts_file, copy)
    extract(copy, plural_only=ts_file.stem.endswith("_en"))
    return copy


def problems() -> list[str]:
    """Every text of the code without a finished translation, in every catalogue."""
    found = []
    with tempfile.TemporaryDirectory() as folder:
        for ts_file in catalogs():
            for message in read(updated_copy(ts_file, Path(folder))):
                if not message.finished:
                    found.append(f"{ts_file.name}: {message.context}: {message.source!r}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "check"])
    args = parser.parse_args()
    if args.command == "update":
        for ts_file in catalogs():
            extract(ts_file, plural_only=ts_file.stem.endswith("_en"))
    missing = problems()
    for line in missing:
        print(f"unfinished: {line}")
    print(f"{len(missing)} unfinished" if missing else "every text is translated")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
