"""Whether an attachment would run code when handed to the system, and marking saved files.

A mail client opens an attachment by handing it to the operating system, which picks a handler by
the file's extension (Windows), its content (Linux and macOS sniff it), or both. A program, a
script, a shortcut or a launcher is then run, not shown: one double-click on ``invoice.pdf.exe``
and the sender's code runs. So a file is risky when **any** of its extensions is one that runs
code (``invoice.pdf.exe``, but also ``photo.exe.jpg``, which only makes sense as a disguise), when
its declared type is such a type, or when its content is a program whatever its name says.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class RiskKind(Enum):
    WINDOWS_PROGRAM = "windows-program"
    LINUX_PROGRAM = "linux-program"
    MAC_PROGRAM = "mac-program"
    SCRIPT = "script"
    SHORTCUT = "shortcut"
    LAUNCHER = "launcher"  # a freedesktop .desktop file: it names a command to run
    EXTENSION = "extension"  # a name or declared type that runs code when opened


@dataclass(frozen=True)
class Risk:
    kind: RiskKind
    detail: str  # the extension (".exe") or the declared type that made it risky, else ""


# Extensions whose default handler runs code, installs something, or mounts a disk whose files
# escape the checks (Windows, macOS, Linux, and cross-platform runtimes).
_RISKY_WORDS = """
    exe com scr pif bat cmd vbs vbe js jse wsf wsh wsc ws msi msp mst msix msixbundle appx
    appxbundle appinstaller hta cpl msc jar jnlp ps1 ps1xml ps2 ps2xml psc1 psc2 psm1 psd1 reg lnk
    url inf scf sct shs shb chm hlp gadget application appref-ms settingcontent-ms library-ms
    search-ms searchconnector-ms diagcab xll xlam ppam dll ocx sys drv cab iso img vhd vhdx
    mde mda ade adp accde vb vbscript
    app command tool terminal workflow action pkg mpkg dmg scpt scptd applescript webloc inetloc
    fileloc osax prefpane
    desktop sh bash zsh csh ksh fish run appimage deb rpm snap flatpakref flatpakrepo
    py pyw pyz pyc pl rb php class
"""
RISKY_EXTENSIONS = frozenset(_RISKY_WORDS.split())
_RISKY_TYPES = re.compile(
    r"x-msdownload|x-msdos-program|x-ms-installer|x-msi|x-dosexec|portable-executable|x-executable"
    r"|x-elf|x-mach-binary|x-sh\b|x-shellscript|x-csh|x-bat|x-desktop|x-ms-shortcut|x-hta"
    r"|java-archive|x-java-jnlp|x-apple-diskimage|x-iso9660|x-python|x-perl|vbscript|javascript",
    re.IGNORECASE,
)
_MACH_O = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
           b"\xca\xfe\xba\xbe")  # fmt: skip  # the last is also a Java class: code either way
_LNK = b"L\x00\x00\x00\x01\x14\x02\x00"
# A .desktop launcher or a Windows .url shortcut is text; a leading BOM or comments may come first.
_LAUNCHER = re.compile(rb"^[ \t]*\[Desktop Entry\]", re.MULTILINE)
_INTERNET_SHORTCUT = re.compile(rb"^[ \t]*\[InternetShortcut\]", re.MULTILINE | re.IGNORECASE)
_SNIFF_BYTES = 8192
_EXTENSION = re.compile(r"^[a-z0-9][a-z0-9_-]{0,15}$")


def extensions(name: str) -> list[str]:
    """Every extension in a file name, lower case: ``["pdf", "exe"]`` for ``Invoice.PDF.exe``.

    Format characters (a right-to-left override can show ``exe.pdf`` as ``fdp.exe``) are removed
    first, and trailing dots and spaces, which Windows drops, are ignored.
    """
    text = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip().rstrip(". ").lower()
    parts = [part.strip() for part in text.split(".")[1:]]
    return [part for part in parts if _EXTENSION.match(part)]


def content_risk(data: bytes) -> RiskKind | None:
    """What the bytes are when they are code, whatever the file is called."""
    head = data[:_SNIFF_BYTES]
    if head.startswith(b"MZ"):
        return RiskKind.WINDOWS_PROGRAM
    if head.startswith(b"\x7fELF"):
        return RiskKind.LINUX_PROGRAM
    if head.startswith(_MACH_O):
        return RiskKind.MAC_PROGRAM
    if head.startswith(_LNK) or _INTERNET_SHORTCUT.search(head):
        return RiskKind.SHORTCUT
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith(b"#!"):
        return RiskKind.SCRIPT
    if _LAUNCHER.search(text):
        return RiskKind.LAUNCHER
    return None


def assess(names: list[str], content_type: str, data: bytes | None) -> Risk | None:
    """The reason not to hand a file to the system, or None.

    ``names`` are every name the file goes by (the sender's and the one written to disk);
    ``data`` is its content when it is available.
    """
    if data is not None:
        kind = content_risk(data)
        if kind is not None:
            return Risk(kind, "")
    for name in names:
        for extension in extensions(name):
            if extension in RISKY_EXTENSIONS:
                return Risk(RiskKind.EXTENSION, f".{extension}")
    if _RISKY_TYPES.search(content_type or ""):
        return Risk(RiskKind.EXTENSION, content_type)
    return None


_ZONE_IDENTIFIER = "[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=about:internet\r\n"


def write_zone_identifier(path: Path) -> None:
    """Writes Windows' Mark-of-the-Web (the ``Zone.Identifier`` stream, zone 3: Internet).

    On NTFS ``name:Zone.Identifier`` is an alternate data stream of the file, which Windows,
    Office (Protected View) and SmartScreen read; elsewhere it would be a separate file, so
    ``mark_of_the_web`` only calls this on Windows.
    """
    with open(f"{path}:Zone.Identifier", "w", encoding="ascii", newline="") as stream:
        stream.write(_ZONE_IDENTIFIER)


def mark_of_the_web(path: Path) -> bool:
    """Marks a file written from a mail as coming from the Internet, where the system has a mark.

    Returns whether it was marked. A file system without alternate streams (FAT, some network
    shares) cannot carry the mark; the file is still saved.
    """
    if sys.platform != "win32":
        return False
    try:
        write_zone_identifier(path)
    except OSError:
        return False
    return True
