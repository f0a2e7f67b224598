"""The package boundaries in docs/architecture.md, checked on every import statement in the tree."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mailapp"

# What each part of the tree may import from mailapp itself and from Qt.
ALLOWED: dict[str, tuple[str, ...]] = {
    "mime": ("mailapp.mime",),
    "core": ("mailapp.core", "mailapp.mime"),
    "store": ("mailapp.core", "mailapp.mime", "mailapp.store", "mailapp.wire"),
    "sync": ("mailapp.core", "mailapp.mime", "mailapp.store", "mailapp.sync", "mailapp.wire"),
    "server": ("mailapp.mime", "mailapp.server", "mailapp.wire"),
    # The wire checks header text (addresses) with the MIME package's stdlib-only rule.
    "wire": ("mailapp.mime.addresses", "mailapp.wire"),
}
# Third-party imports allowed where the tree is shared or must stay light (None: not checked).
THIRD_PARTY: dict[str, tuple[str, ...]] = {
    "mime": ("nh3",),
    "wire": ("pydantic", "typing_extensions"),
}
# mailapp.ui's feature packages, lowest first: each may import only itself and those before it,
# so no two import each other (docs/architecture.md). The start-up modules at the top of ui
# (app.py and what it starts) may import them all.
UI_PACKAGES = ("common", "syncing", "composer", "account", "outbox", "reading", "mailbox", "window")
# The one documented exception: the live demo wires the real server to the client.
EXCEPTIONS = {("ui/demo_live.py", "mailapp.server")}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(part: str) -> list[Path]:
    root = PACKAGE / part
    return [root] if root.is_file() else sorted(root.rglob("*.py"))


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_part_imports_only_what_it_may(part: str) -> None:
    offending = []
    for path in python_files(part):
        for name in imported_modules(path):
            if name.startswith(("PySide6", "shiboken6")):
                offending.append(f"{path.relative_to(PACKAGE)} imports Qt ({name})")
            elif name.startswith("mailapp.") and not name.startswith(ALLOWED[part]):
                offending.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offending == []


@pytest.mark.parametrize("part", sorted(THIRD_PARTY))
def test_shared_parts_import_only_the_stdlib_and_their_libraries(part: str) -> None:
    offending = []
    for path in python_files(part):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "mailapp":
                continue
            if not name.startswith(THIRD_PARTY[part]):
                offending.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offending == []


def test_client_never_imports_the_server_outside_the_demo() -> None:
    offending = []
    for part in ("core", "store", "sync", "ui", "cli.py", "paths.py"):
        for path in python_files(part):
            relative = str(path.relative_to(PACKAGE))
            allowed = (relative, "mailapp.server") in EXCEPTIONS
            for name in imported_modules(path):
                if name.startswith("mailapp.server") and not allowed:
                    offending.append(f"{relative} imports {name}")
    assert offending == []


def test_ui_packages_import_only_the_ones_before_them() -> None:
    on_disk = {p.parent.name for p in (PACKAGE / "ui").glob("*/__init__.py")}
    assert on_disk == set(UI_PACKAGES), "a ui package is missing from UI_PACKAGES (or gone)"
    offending = []
    for rank, package in enumerate(UI_PACKAGES):
        allowed = {f"mailapp.ui.{p}" for p in UI_PACKAGES[: rank + 1]}
        for path in python_files(f"ui/{package}"):
            for name in imported_modules(path):
                if not name.startswith("mailapp.ui"):
                    continue
                if ".".join(name.split(".")[:3]) not in allowed:
                    offending.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offending == []
