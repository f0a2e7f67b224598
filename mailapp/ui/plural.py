"""Plural-aware tr() for a source language with no compiled translation loaded.

Qt resolves "%n message(s)" only through a .qm file; until the app ships one, English plurals
are picked here and each form still goes through tr() so a translation can replace it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject


def ntr(context: QObject, one: str, many: str, n: int) -> str:
    return context.tr(one if n == 1 else many, "", n)
