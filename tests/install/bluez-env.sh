#!/usr/bin/env bash
# Creates the project-local BlueZoo environment for tests/integration/bluetooth.rs: a
# venv at .tools/bluez-venv with BlueZoo (a BlueZ D-Bus emulator, PyPI
# `bluezoo`) and its dependencies, pinned. The test starts a private
# dbus-daemon and `.tools/bluez-venv/bin/bluezoo` itself.
#
#   bash tests/install/bluez-env.sh
#
# Idempotent: a venv that already holds exactly these pins is left alone.
# Environment:
#   PYTHON             the interpreter to build the venv from (default: python3)
#   MITID_BLUEZ_VENV   where the venv goes (default: <repo>/.tools/bluez-venv)
# Also needs dbus-daemon (Debian: dbus-daemon); run as root, this script
# installs it when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${MITID_BLUEZ_VENV:-$ROOT/.tools/bluez-venv}
PYTHON=${PYTHON:-python3}

# BlueZoo, then what it pulls in, at the versions the suite was verified with.
PINS=(
    bluezoo==1.0.2
    coloredlogs==15.0.1
    humanfriendly==10.0
    pyparsing==3.3.3
    pyventus==0.8.0
    sdbus==0.14.3
    typing_extensions==4.16.0
)

say() { echo "bluez-env: $*"; }
die() {
    echo "bluez-env: error: $*" >&2
    exit 1
}

if ! command -v dbus-daemon >/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        say "installing dbus-daemon (Debian)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null && apt-get install -y -q dbus-daemon >/dev/null || die "apt-get install dbus-daemon failed"
    else
        die "dbus-daemon is not installed (Debian: sudo apt-get install dbus-daemon)"
    fi
fi

PY=$(command -v "$PYTHON" 2>/dev/null) || die "'$PYTHON' is not on PATH; install Python 3 with venv support or set PYTHON=/path/to/python3"
PY_VERSION=$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') || die "'$PY' does not run"
"$PY" -c 'import venv, ensurepip' 2>/dev/null || die "$PY cannot create a venv with pip (Debian: apt-get install python3-venv; tests/install/python-env.sh does this as root)"

VPY=$VENV/bin/python
STAMP=$VENV/.mitid-pins
WANT=$(printf '%s\n' "python $PY_VERSION" "${PINS[@]}")

if [[ -e $VENV ]]; then
    [[ -f $VENV/pyvenv.cfg ]] || die "$VENV exists but is not a venv (no pyvenv.cfg); move it away and run again"
    have=$("$VPY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null || true)
    if [[ $have != "$PY_VERSION" ]] || ! "$VPY" -m pip --version >/dev/null 2>&1; then
        say "$VENV is broken or from another Python (${have:-none} != $PY_VERSION): recreating it"
        rm -rf -- "$VENV"
    fi
fi
if [[ ! -e $VENV ]]; then
    say "creating venv $VENV"
    mkdir -p -- "$(dirname "$VENV")"
    "$PY" -m venv "$VENV" || die "'$PY -m venv $VENV' failed"
fi

if [[ -f $STAMP && $(cat "$STAMP") == "$WANT" && -x $VENV/bin/bluezoo ]]; then
    say "$VENV already has the pinned packages: nothing to do"
else
    say "installing into $VENV: ${PINS[*]}"
    rm -f -- "$STAMP"
    "$VPY" -m pip install --quiet --disable-pip-version-check "${PINS[@]}" \
        || die "pip install failed (is PyPI reachable? sdbus builds against libsystemd when it has no wheel for this Python)"
    "$VPY" -m pip check >/dev/null || die "the installed packages are inconsistent: $("$VPY" -m pip check 2>&1 | head -5)"
    [[ -x $VENV/bin/bluezoo ]] || die "bluezoo installed but $VENV/bin/bluezoo is missing"
    printf '%s\n' "$WANT" >"$STAMP"
fi
say "ready: $VENV/bin/bluezoo"
