"""Settings every test needs before anything imports Qt."""

import os

# Real widgets, no screen: Qt's offscreen platform. Set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The keyring must never touch a developer's real secrets from a test.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
