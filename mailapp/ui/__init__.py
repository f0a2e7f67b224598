"""The PySide6 desktop app. The only package that imports Qt.

Importing this package first makes PySide6 stop keeping the source of every module imported
after it (see mailapp.ui.pyside_sources), so it must stay ahead of the store, SQLAlchemy and the
rest in a process that shows a window.
"""

from mailapp.ui.pyside_sources import stop_caching_module_sources

stop_caching_module_sources()
