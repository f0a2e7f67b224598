"""Settings every test needs before anything imports Qt."""

import os

import pytest

# Real widgets, no screen: Qt's offscreen platform. Set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The keyring must never touch a developer's real secrets from a test.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


@pytest.fixture(scope="session")
def qapp(qapp):  # type: ignore[no-untyped-def]  # pytest-qt's, as the app sets it up
    """Qt's application with the translators the app installs at start-up: in English, the
    English catalogue with the plural forms ("1 message", "2 messages")."""
    from PySide6.QtCore import QLocale

    from mailapp.ui import translations

    translations.install(qapp, QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    return qapp
