"""Build the desktop app with PyInstaller (one-dir), smoke-test it and measure it.

    python packaging/build_desktop.py [--out build/desktop] [--runs 7]

Steps, each printed as it goes:
1. build the wheel (`python -m build --wheel`), so the bundle holds exactly what a wheel ships;
2. install it with --no-deps into a fresh virtual environment whose other packages come from the
   running interpreter's site-packages (a .pth file), so nothing is downloaded;
3. run PyInstaller on packaging/pyinstaller/mailapp.spec from that environment;
4. print the bundle size, run `mailapp --smoke-test` from the bundle (exit status is the build's);
5. with --runs N > 0, time N cold starts (fresh processes, to the first painted message list) of
   the frozen and the unfrozen app, in turns, and print the medians and their ratio.
Works the same on Linux, Windows and macOS (run it on the system you build for).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "pyinstaller" / "mailapp.spec"
SIZE_TARGET_MB = 130
START_RATIO_TARGET = 1.2
FIRST_PAINT_ENV = {"MAILAPP_REPORT_FIRST_PAINT": "1", "MAILAPP_EXIT_AFTER_FIRST_PAINT": "1"}
STEP_TIMEOUT = 900  # seconds; PyInstaller takes 1-3 minutes here


def step(text: str) -> None:
    print(f"== {text}", flush=True)


def build_wheel(out: Path) -> Path:
    step("building the wheel")
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        timeout=STEP_TIMEOUT,
        stdout=subprocess.DEVNULL,
    )
    (wheel,) = out.glob("mailapp-*.whl")
    return wheel


def venv_python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def venv_script(env_dir: Path, name: str) -> Path:
    return env_dir / ("Scripts" if sys.platform == "win32" else "bin") / name


def install_wheel(wheel: Path, env_dir: Path) -> Path:
    """A fresh environment with the wheel installed and this interpreter's packages visible."""
    shutil.rmtree(env_dir, ignore_errors=True)
    venv.create(env_dir, with_pip=False)
    python = venv_python(env_dir)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Appended after the environment's own site-packages, so the installed wheel wins.
    own = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(purelib) / "_build_host_packages.pth").write_text("\n".join(sorted(own)) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=STEP_TIMEOUT,
    )
    return python


def run_pyinstaller(python: Path, out: Path) -> Path:
    step("running PyInstaller")
    dist, work = out / "dist", out / "work"
    shutil.rmtree(dist, ignore_errors=True)
    with (out / "pyinstaller.log").open("w") as log:
        # Not from the source tree: its mailapp/ must not shadow the installed wheel.
        subprocess.run(
            [
                str(python),
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--log-level",
                "WARN",
                "--distpath",
                str(dist),
                "--workpath",
                str(work),
                str(SPEC),
            ],
            check=True,
            cwd=out,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=STEP_TIMEOUT,
        )
    return dist / "mailapp"


def bundle_executable(bundle: Path) -> Path:
    return bundle / ("mailapp.exe" if sys.platform == "win32" else "mailapp")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def isolated_env(home: Path) -> dict[str, str]:
    """The environment for a child: offscreen, and logs/profiles kept out of the user's home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAPP_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    return env


def smoke_test(command: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, "--smoke-test"],
        env=isolated_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def make_profile(python: Path, profile: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from mailapp.store import open_store; "
        "from mailapp.ui.demo_profile import fill_demo; "
        "s = open_store(Path(sys.argv[1]) / 'mail.sqlite3'); fill_demo(s); s.close()"
    )
    profile.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-c", code, str(profile)], check=True, timeout=300)


def first_paint_seconds(command: list[str], profile: Path, home: Path) -> float:
    env = {**isolated_env(home), **FIRST_PAINT_ENV}
    started = time.time()
    result = subprocess.run(
        [*command, "--profile", str(profile)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("first-paint "):
            return float(line.split()[1]) - started
    raise RuntimeError(f"{command} exited {result.returncode} without painting: {result.stderr}")


def compare_starts(
    frozen: list[str], unfrozen: list[str], profile: Path, home: Path, runs: int
) -> tuple[float, float]:
    """Medians of `runs` starts each, taken in turns after one discarded warm-up of each."""
    for command in (frozen, unfrozen):
        first_paint_seconds(command, profile, home)
    times: dict[str, list[float]] = {"frozen": [], "unfrozen": []}
    for _ in range(runs):
        times["frozen"].append(first_paint_seconds(frozen, profile, home))
        times["unfrozen"].append(first_paint_seconds(unfrozen, profile, home))
    return statistics.median(times["frozen"]), statistics.median(times["unfrozen"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "desktop")
    parser.add_argument("--runs", type=int, default=0, help="cold starts to time (0: none)")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    wheel = build_wheel(out / "wheel")
    step(f"installing {wheel.name} into a build environment")
    python = install_wheel(wheel, out / "venv")
    bundle = run_pyinstaller(python, out)
    size_mb = folder_size(bundle) / 1e6
    print(f"bundle: {bundle} {size_mb:.1f} MB (target < {SIZE_TARGET_MB} MB)")
    print(f"build time: {time.perf_counter() - started:.0f} s")
    home = Path(tempfile.mkdtemp(prefix="mailapp-build-home-"))
    try:
        step("smoke test of the bundle")
        result = smoke_test([str(bundle_executable(bundle))], home)
        print(result.stdout + result.stderr, end="")
        if result.returncode != 0:
            return result.returncode
        if args.runs > 0:
            step(f"timing {args.runs} starts of each (first painted message list)")
            profile = home / "profile"
            make_profile(python, profile)
            frozen, unfrozen = compare_starts(
                [str(bundle_executable(bundle))],
                [str(venv_script(out / "venv", "mailapp"))],
                profile,
                home,
                args.runs,
            )
            print(
                f"start: frozen {frozen * 1000:.0f} ms, unfrozen {unfrozen * 1000:.0f} ms, "
                f"ratio {frozen / unfrozen:.2f} (target <= {START_RATIO_TARGET})"
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
