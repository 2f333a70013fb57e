#!/usr/bin/env bash
# Creates the project-local Python environment for tests/python (the
# Appium-Python-Client proof that the virtual farm is a real
# Appium-compatible server): a venv at .tools/venv with pinned packages.
#
#   bash tests/install/python-env.sh && .tools/venv/bin/pytest -q tests/python
#
# Idempotent: a venv that already holds exactly these pins is left alone.
# Environment:
#   PYTHON          the interpreter to build the venv from (default: python3)
#   MITID_PY_VENV   where the venv goes (default: <repo>/.tools/venv)
#
# On Debian's own python3, `python3 -m venv` needs the python3-venv package
# (ensurepip is split out of python3 there); run as root, this script
# installs it with apt-get, otherwise it says what to install.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${MITID_PY_VENV:-$ROOT/.tools/venv}
PYTHON=${PYTHON:-python3}

# The packages the tests import (first five), then every package they pull
# in, each at the version this suite was verified with. Bump them together:
# `pip index versions NAME` lists what PyPI has.
PINS=(
    Appium-Python-Client==6.0.9
    selenium==4.51.0
    zxing-cpp==3.1.1
    pillow==13.0.0
    pytest==9.2.0
    # dependencies of the above
    attrs==26.1.0
    certifi==2026.10.19.post1
    h11==0.16.0
    idna==3.20
    iniconfig==2.3.1
    outcome==1.3.0.post0
    packaging==26.4
    pluggy==1.7.0
    Pygments==2.21.0
    PySocks==1.7.1
    sniffio==1.3.1
    sortedcontainers==2.4.0
    trio==0.35.0
    trio-websocket==0.12.2
    typing_extensions==4.16.0
    urllib3==2.8.0
    websocket-client==1.9.2
    wsproto==1.3.2
)
# pillow 13 and pytest 9 need Python 3.11 / 3.10 or newer.
MIN_PYTHON=(3 11)

say() { echo "python-env: $*"; }
die() {
    echo "python-env: error: $*" >&2
    exit 1
}

# --- the interpreter ------------------------------------------------------------
PY=$(command -v "$PYTHON" 2>/dev/null) || die "'$PYTHON' is not on PATH; install Python ${MIN_PYTHON[0]}.${MIN_PYTHON[1]}+ (Debian 12: apt-get install python3 python3-venv) or set PYTHON=/path/to/python3"
PY_VERSION=$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') || die "'$PY' does not run"
if ! "$PY" -c "import sys; sys.exit(0 if sys.version_info[:2] >= (${MIN_PYTHON[0]}, ${MIN_PYTHON[1]}) else 1)"; then
    die "$PY is Python $PY_VERSION; the pinned packages need Python ${MIN_PYTHON[0]}.${MIN_PYTHON[1]} or newer (set PYTHON=...)"
fi
say "using $PY (Python $PY_VERSION)"

# --- venv support (Debian splits it out into python3-venv) ----------------------
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
    real=$(readlink -f "$PY")
    minor=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    pkg="python$minor-venv"
    if [[ $real == /usr/bin/python3* ]] && command -v apt-get >/dev/null; then
        if [[ $(id -u) -eq 0 ]]; then
            say "$PY has no ensurepip: installing Debian's $pkg with apt-get"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -q >/dev/null || die "apt-get update failed; install $pkg by hand"
            apt-get install -y -q "$pkg" >/dev/null || die "apt-get install $pkg failed; install it by hand"
            "$PY" -c 'import venv, ensurepip' 2>/dev/null || die "$pkg is installed but $PY still has no ensurepip"
        else
            die "$PY cannot create a venv with pip: run 'sudo apt-get install $pkg' and try again"
        fi
    else
        die "$PY has no venv/ensurepip module; install a Python with venv support or set PYTHON=/path/to/python3"
    fi
fi

# --- the venv ---------------------------------------------------------------------
VPY=$VENV/bin/python
STAMP=$VENV/.mitid-pins
WANT=$(printf '%s\n' "python $PY_VERSION" "${PINS[@]}")

if [[ -e $VENV ]]; then
    if [[ ! -f $VENV/pyvenv.cfg ]]; then
        die "$VENV exists but is not a venv (no pyvenv.cfg); move it away and run again"
    fi
    have_version=$("$VPY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null || true)
    if [[ $have_version != "$PY_VERSION" ]] || ! "$VPY" -m pip --version >/dev/null 2>&1; then
        say "$VENV is broken or built from another Python (${have_version:-none} != $PY_VERSION): recreating it"
        rm -rf -- "$VENV"
    fi
fi

if [[ ! -e $VENV ]]; then
    say "creating venv $VENV"
    mkdir -p -- "$(dirname "$VENV")"
    "$PY" -m venv "$VENV" || die "'$PY -m venv $VENV' failed"
    "$VPY" -m pip --version >/dev/null 2>&1 || die "the new venv at $VENV has no working pip"
fi

if [[ -f $STAMP && $(cat "$STAMP") == "$WANT" ]] && "$VPY" -c 'import appium, selenium, zxingcpp, PIL, pytest' 2>/dev/null; then
    say "$VENV already has the pinned packages: nothing to do"
else
    say "installing into $VENV: ${PINS[*]:0:5} (and their pinned dependencies)"
    rm -f -- "$STAMP"
    # Wheels only: a missing wheel must fail here, clearly, rather than
    # start a long native build of zxing-cpp or pillow.
    if ! "$VPY" -m pip install --quiet --disable-pip-version-check --only-binary=:all: "${PINS[@]}"; then
        die "pip install failed (is PyPI reachable? does every pin have a wheel for Python $PY_VERSION on this platform?)"
    fi
    "$VPY" -m pip check >/dev/null || die "the installed packages are inconsistent: $("$VPY" -m pip check 2>&1 | head -5)"
    "$VPY" -c 'import appium, selenium, zxingcpp, PIL, pytest' || die "the packages installed but do not import"
    printf '%s\n' "$WANT" >"$STAMP"
fi

say "ready: $VPY"
say "run the tests with: $VENV/bin/pytest -q tests/python"
