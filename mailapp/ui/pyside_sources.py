"""PySide6 reads the source of each module imported after it; this keeps it from staying in memory.

PySide6 replaces `__import__` with a hook (its "feature" support, PYSIDE-2029) that decides, for
every module imported while it is loaded, whether the module may use `from __feature__ import`
by searching the module's source for the word "PySide6". It gets that source through
`inspect.getsource`, which keeps every file it reads in `linecache`, as a list of line strings,
for the life of the process: the app imports ~340 modules after Qt (SQLAlchemy, pydantic,
requests, its own), ~117,000 lines, 10 MB of Python heap nobody reads again.

The replacement asks the same question of the file's bytes, read once and dropped, so its answer
(and what PySide6 does with it) is the one PySide6 would have given. For modules without a source
file on disk, or if PySide6 changes this private hook, PySide6's own check is kept. Sources the
check cached before the swap (modules imported between PySide6 and this package) are dropped
from `linecache`, which rereads a file whenever a traceback needs it.
"""

from __future__ import annotations

import linecache
import sys
from collections.abc import Callable
from types import ModuleType

# PySide6's module holding the check; private, hence looked up rather than imported.
FEATURE_MODULE = "shibokensupport.feature"
CHECK = "_mod_uses_pyside"


def stop_caching_module_sources() -> None:
    """Swap PySide6's source check for one that leaves `linecache` alone. Idempotent."""
    import PySide6  # noqa: F401  (loads shiboken6, which installs the hook and its module)

    feature = sys.modules.get(FEATURE_MODULE)
    original = getattr(feature, CHECK, None)
    if feature is None or not callable(original) or getattr(original, "reads_bytes", False):
        return
    setattr(feature, CHECK, _reading_bytes(original))
    checked = getattr(feature, "pyside_feature_dict", {})  # module name -> the check's answer
    for name in list(checked):
        path = getattr(sys.modules.get(name), "__file__", None)
        if isinstance(path, str):
            linecache.cache.pop(path, None)


def _reading_bytes(original: Callable[[ModuleType], bool]) -> Callable[[ModuleType], bool]:
    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)  # a package's data, a zip, a frozen module: PySide6's way
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return original(module)

    uses_pyside.reads_bytes = True  # type: ignore[attr-defined]
    return uses_pyside
