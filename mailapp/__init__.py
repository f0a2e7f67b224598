"""mailapp: an offline-first desktop email client and its sync server."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mailapp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
