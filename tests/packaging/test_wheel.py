"""The wheel as a user gets it: built from the tree, installed into a fresh environment."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.packaging.support import REPO, clean_env, load_script, project


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # pip's own PEP 517 build: the same backend as `python -m build`, and pip is always there.
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("mailapp-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel (--no-deps; dependencies from this one)."""
    env_dir = tmp_path_factory.mktemp("env") / "venv"
    build_desktop = load_script("build_desktop.py")
    build_desktop.install_wheel(wheel, env_dir)
    return env_dir


def run(env_dir: Path, command: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    # Outside the source tree, so nothing can be imported from it instead of the wheel.
    return subprocess.run(
        [str(env_dir / "bin" / command), *args],
        cwd=home,
        env=clean_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_wheel_ships_migrations_and_resources(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for tree in ("mailapp/store/migrations", "mailapp/server/migrations"):
        assert f"{tree}/env.py" in names and f"{tree}/script.py.mako" in names
        shipped = {n for n in names if n.startswith(f"{tree}/versions/") and n.endswith(".py")}
        in_tree = {
            f"{tree}/versions/{p.name}" for p in (REPO / tree / "versions").glob("[0-9]*.py")
        }
        assert shipped == in_tree
    icons = {p.name for p in (REPO / "resources" / "icons").glob("*.svg")}
    assert {f"mailapp/_resources/icons/{name}" for name in icons} <= names
    # Translation sources only: the app compiles them on first use (mailapp.ui.translations).
    catalogs = {p.name for p in (REPO / "resources" / "translations").glob("*.ts")}
    assert {"mailapp_de.ts", "mailapp_en.ts"} <= catalogs
    assert {f"mailapp/_resources/translations/{name}" for name in catalogs} <= names
    assert not any(n.endswith(".qm") for n in names)
    assert not any("__pycache__" in n for n in names)


def test_installed_commands_run_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    version = run(installed, "mailapp", "--version", home=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"mailapp {project()['version']}"
    server_help = run(installed, "mailapp-server", "--help", home=tmp_path)
    assert server_help.returncode == 0, server_help.stderr
    assert "The mailapp sync server." in server_help.stdout
    where = run(installed, "python", "-c", "import mailapp; print(mailapp.__file__)", home=tmp_path)
    assert where.stdout.startswith(str(installed)), where.stdout


def test_installed_app_passes_its_smoke_test(installed: Path, tmp_path: Path) -> None:
    result = run(installed, "mailapp", "--smoke-test", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke-test: store created and migrated to" in result.stdout
    assert "smoke-test: German translation found" in result.stdout
    assert result.stdout.rstrip().endswith("smoke-test: ok")


def test_installed_server_creates_its_database_from_the_wheel(
    installed: Path, tmp_path: Path
) -> None:
    result = run(
        installed, "mailapp-server", "--data", str(tmp_path / "srv"), "init", home=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "srv" / "server.sqlite3").is_file()


@pytest.mark.skipif(
    importlib.util.find_spec("build") is None,
    reason="the `build` package is missing (pip install -e '.[packaging]')",
)
def test_sdist_holds_the_packaging_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), str(REPO)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (sdist,) = tmp_path.glob("mailapp-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in (
        "pyproject.toml",
        "packaging/README.md",
        "packaging/pyinstaller/mailapp.spec",
        "packaging/linux/org.mailapp.MailApp.desktop",
        "resources/icons/mailapp.svg",
        "mailapp/store/migrations/env.py",
    ):
        assert needed in names, needed
