"""mailapp: an offline-first desktop email client and its sync server."""

# A constant rather than importlib.metadata.version("mailapp"): that lookup costs 50-100 ms of
# every start. pyproject.toml's [project].version stays the source of truth;
# tests/ui/test_startup_imports.py fails whenever the two differ.
__version__ = "0.1.0"
