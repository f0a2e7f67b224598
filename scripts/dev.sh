#!/usr/bin/env bash
# One entry point for people and CI: sets up everything the app or its tests need, then runs it.
#   scripts/dev.sh demo      set up, then open the demo window
#   scripts/dev.sh test      set up, then run the whole default test suite
#   scripts/dev.sh setup     only set up
# Extra arguments after `test` go to pytest; after `demo`, to mailapp.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${MAILAPP_VENV:-.venv}"
PY="${PYTHON:-python3}"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

apt_install() {
    command -v apt-get >/dev/null || return 1
    [ -n "${_APT_UPDATED:-}" ] || { as_root apt-get update -qq || return 1; _APT_UPDATED=1; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_python() {
    "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "mailapp needs Python 3.11 or newer; $("$PY" --version 2>&1) was found." >&2; exit 1; }
    if [ ! -x "$VENV/bin/python" ]; then
        # Debian and Ubuntu ship venv/ensurepip as a separate package.
        "$PY" -m venv "$VENV" 2>/dev/null || {
            rm -rf "$VENV"
            apt_install python3-venv || { echo "Install python3-venv, then run this again." >&2; exit 1; }
            "$PY" -m venv "$VENV"; }
    fi
    local stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
    if [ ! -f "$stamp" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e ".[server,test,dev,packaging]"
        touch "$stamp"
    fi
}

# Qt's xcb and offscreen platforms load these at run time; a bare server image lacks them.
QT_LIBS=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
         libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0
         libxcb-render-util0 libxcb-image0 libxcb-xinerama0 fonts-dejavu-core)

ensure_qt_runtime() {
    if ! QT_QPA_PLATFORM=offscreen "$VENV/bin/python" -c \
        'from PySide6.QtWidgets import QApplication; QApplication([])' >/dev/null 2>&1; then
        echo "Installing the system libraries that Qt needs…" >&2
        apt_install "${QT_LIBS[@]}" || {
            echo "Qt cannot start: install these packages: ${QT_LIBS[*]}" >&2; exit 1; }
    fi
}

# The server tests run against PostgreSQL too. Where it is installed but stopped, start it;
# where it is missing, install it from the distribution.
ensure_postgres() {
    local url="${MAILAPP_TEST_PG:-postgresql://postgres@127.0.0.1:5432/test}"
    export MAILAPP_TEST_PG="$url"
    "$VENV/bin/python" scripts/pg_ready.py "$url" && return 0
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
        echo "Installing PostgreSQL…" >&2
        apt_install postgresql || { echo "PostgreSQL is needed for the server tests." >&2; exit 1; }
    fi
    local ver; ver=$(ls /etc/postgresql | sort -V | tail -1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || true
    local hba="/etc/postgresql/$ver/main/pg_hba.conf"
    if ! "$VENV/bin/python" scripts/pg_ready.py "$url" && [ -f "$hba" ] \
        && ! grep -q "mailapp-test" "$hba"; then
        # A fresh cluster only trusts local sockets; the tests connect over loopback TCP.
        as_root sed -i '1i host all all 127.0.0.1/32 trust # mailapp-test\nhost all all ::1/128 trust # mailapp-test' "$hba"
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true
    fi
    for _ in $(seq 1 30); do
        "$VENV/bin/python" scripts/pg_ready.py "$url" && break
        sleep 1
    done
    as_root su postgres -c "psql -tc \"select 1 from pg_database where datname='test'\" | grep -q 1 \
        || createdb test" 2>/dev/null || true
    "$VENV/bin/python" scripts/pg_ready.py "$url" --verbose
}

# The upstream IMAP tests (tests/imap) start a throwaway Dovecot of their own on a loopback
# port; only the binaries are needed. Debian's package also enables a system service, which
# the tests neither need nor touch.
ensure_dovecot() {
    command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] && return 0
    echo "Installing Dovecot (for the IMAP tests)…" >&2
    apt_install dovecot-imapd || echo "dovecot-imapd is missing: the IMAP tests will be skipped." >&2
}

# The packaging tests validate the desktop file and the AppStream metadata offline.
ensure_desktop_validators() {
    command -v desktop-file-validate >/dev/null && command -v appstreamcli >/dev/null && return 0
    apt_install desktop-file-utils appstream || \
        echo "desktop-file-utils and appstream are missing: the desktop-file tests will say so." >&2
}

# The whole default suite: most tests wait on servers, subprocesses and sockets, so they share
# the machine on MAILAPP_TEST_WORKERS xdist workers (default 3; 0 runs everything in one process).
# The tests that assert a wall-clock bound (marker `timed`, listed in tests/conftest.py) then run
# alone, so that the other workers' load cannot fail them.
run_default_suite() {
    local workers="${MAILAPP_TEST_WORKERS:-3}" default="not soak and not bench and not packaging"
    if [ "$workers" = 0 ]; then exec "$VENV/bin/python" -m pytest; fi
    local shared=0 alone=0
    echo "== the default suite but the timed tests, on $workers workers"
    "$VENV/bin/python" -m pytest -n "$workers" --dist loadfile -m "$default and not timed" || shared=$?
    echo "== the timed tests, alone"
    "$VENV/bin/python" -m pytest -m "$default and timed" || alone=$?
    [ "$shared" = 0 ] && [ "$alone" = 0 ] && return 0
    echo "The default suite failed: parallel part exit $shared, timed part exit $alone." >&2
    return 1
}

cmd="${1:-demo}"; shift || true
case "$cmd" in
    setup) ensure_python; ensure_qt_runtime ;;
    demo)  ensure_python; ensure_qt_runtime; exec "$VENV/bin/python" -m mailapp --demo "$@" ;;
    test)
        ensure_python; ensure_qt_runtime; ensure_postgres; ensure_dovecot; ensure_desktop_validators
        export QT_QPA_PLATFORM=offscreen
        [ $# -eq 0 ] || exec "$VENV/bin/python" -m pytest "$@"
        run_default_suite ;;
    *) echo "usage: scripts/dev.sh {demo|test|setup} [args…]" >&2; exit 2 ;;
esac
