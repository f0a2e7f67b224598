"""Attachment file names that are safe to create on Windows, macOS and Linux."""

from __future__ import annotations

import mimetypes
import re
import unicodedata

_RESERVED_WINDOWS = re.compile(r"(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)",
                               re.IGNORECASE)
_FORBIDDEN = re.compile(r'[<>:"|?*]')
_MAX_CHARS = 120
_MAX_BYTES = 200  # file systems limit names to 255 bytes; leave room for " (2)" suffixes
_MAX_EXTENSION = 16


def extension_for(content_type: str) -> str:
    """A file extension (with dot) for a MIME type; ".bin" when unknown."""
    if content_type.lower() == "text/plain":
        return ".txt"  # mimetypes may answer ".bat" or ".ksh" depending on the system tables
    return mimetypes.guess_extension(content_type.lower(), strict=False) or ".bin"


def _truncate_utf8(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def safe_filename(name: str | None, content_type: str = "application/octet-stream",
                  index: int = 1) -> str:
    """Turn an untrusted file name into a plain name with no directories or surprises.

    Paths are cut to their last component, control/format characters (including bidi overrides
    used to disguise extensions) removed, characters Windows forbids replaced, reserved device
    names (CON, NUL, COM1...) prefixed, and long names shortened keeping the extension. An empty
    result becomes ``attachment-<index><ext>`` with the extension guessed from the MIME type.
    """
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl",
                                                                          "Zp"))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _FORBIDDEN.sub("_", text)
    text = " ".join(text.split())  # also turns tabs and odd spaces into single spaces
    text = text.strip(" .")
    if not text:
        return f"attachment-{index}{extension_for(content_type)}"
    stem, dot, extension = text.rpartition(".")
    if not dot or len(extension) > _MAX_EXTENSION or not stem:
        stem, extension = text, ""
    extension = f".{extension}" if extension else ""
    if _RESERVED_WINDOWS.fullmatch(stem.split(".")[0].strip()):
        stem = f"_{stem}"
    budget_chars = _MAX_CHARS - len(extension)
    budget_bytes = _MAX_BYTES - len(extension.encode("utf-8"))
    if len(stem) > budget_chars or len(stem.encode("utf-8")) > budget_bytes:
        stem = _truncate_utf8(stem[:budget_chars], budget_bytes).rstrip(" .")
    return f"{stem}{extension}" if stem else f"attachment-{index}{extension}"
