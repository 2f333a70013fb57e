#!/usr/bin/env bash
# Installs a real Appium 3 server with the @appium/fake-driver, project-locally
# in .tools/appium (git-ignored), for tests/integration/appium_fake_driver.rs: the proof
# that the framework's phone driver talks to real Appium, not only to our
# own virtual farm.
#
#   bash tests/install/appium-env.sh && cargo test --test integration appium_fake_driver::
#
# What it makes: .tools/appium/package.json listing the two pinned packages,
# and their node_modules (npm install). Nothing is installed globally and no
# `appium driver install` is run: Appium 3 takes the folder as its home
# (APPIUM_HOME, or the nearest package.json at or above its working directory
# that depends on appium) and finds every package in its node_modules whose
# package.json has an "appium" section, such as the fake driver. To start it
# by hand:
#
#   cd .tools/appium && APPIUM_HOME=$PWD node_modules/.bin/appium --address 127.0.0.1 --port 4723
#
# Idempotent: a folder that already holds exactly these pins (stamp file) is
# left alone. Environment:
#   MITID_APPIUM_DIR   where to install (default: <repo>/.tools/appium); the
#                      test reads the same variable
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${MITID_APPIUM_DIR:-$ROOT/.tools/appium}

# Exact versions, verified together. Bump them together: `npm view appium
# versions`, `npm view @appium/fake-driver@VERSION peerDependencies`.
APPIUM_VERSION=3.8.0
FAKE_DRIVER_VERSION=6.2.4
# appium 3.8 and fake-driver 6.2 declare node ^20.19.0 || ^22.12.0 || >=24.
NODE_OK='(m === 20 && n >= 19) || (m === 22 && n >= 12) || m >= 24'

say() { echo "appium-env: $*"; }
die() {
    echo "appium-env: error: $*" >&2
    exit 1
}

# --- node and npm -----------------------------------------------------------------
command -v node >/dev/null || die "node is not on PATH; install Node.js 20.19+ / 22.12+ / 24+ (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is not on PATH; install npm 10 or newer (Debian: apt-get install npm)"
NODE_VERSION=$(node -p 'process.versions.node') || die "node does not run"
node -e "const [m, n] = process.versions.node.split('.').map(Number); process.exit(($NODE_OK) ? 0 : 1)" ||
    die "node $NODE_VERSION is too old or unsupported for appium $APPIUM_VERSION (needs ^20.19.0 || ^22.12.0 || >=24)"
NPM_VERSION=$(npm --version) || die "npm does not run"
[[ ${NPM_VERSION%%.*} -ge 10 ]] || die "npm $NPM_VERSION is too old (appium $APPIUM_VERSION needs npm 10 or newer)"
say "using node $NODE_VERSION, npm $NPM_VERSION"

# --- the folder -------------------------------------------------------------------
STAMP=$DIR/.mitid-pins
WANT=$(printf '%s\n' "node $NODE_VERSION" "appium $APPIUM_VERSION" "@appium/fake-driver $FAKE_DRIVER_VERSION")
PACKAGE_JSON=$(
    cat <<EOF
{
  "name": "mitid-e2e-appium",
  "description": "Appium 3 and its fake driver for tests/integration/appium_fake_driver.rs (made by tests/install/appium-env.sh)",
  "private": true,
  "license": "GPL-3.0-or-later",
  "dependencies": {
    "appium": "$APPIUM_VERSION",
    "@appium/fake-driver": "$FAKE_DRIVER_VERSION"
  }
}
EOF
)

# The version an installed package reports, or nothing.
installed() { node -p "require('$DIR/node_modules/$1/package.json').version" 2>/dev/null || true; }

is_ready() {
    [[ -f $STAMP && $(cat "$STAMP") == "$WANT" ]] &&
        [[ -x $DIR/node_modules/.bin/appium ]] &&
        [[ $(installed appium) == "$APPIUM_VERSION" ]] &&
        [[ $(installed @appium/fake-driver) == "$FAKE_DRIVER_VERSION" ]]
}

if is_ready; then
    say "$DIR already has appium $APPIUM_VERSION and @appium/fake-driver $FAKE_DRIVER_VERSION: nothing to do"
else
    say "installing appium $APPIUM_VERSION and @appium/fake-driver $FAKE_DRIVER_VERSION into $DIR"
    mkdir -p -- "$DIR" || die "cannot create $DIR"
    rm -f -- "$STAMP"
    printf '%s\n' "$PACKAGE_JSON" >"$DIR/package.json"
    # --ignore-scripts: appium's only install script (autoinstall-extensions)
    # does nothing inside a project that depends on appium; npm 11 skips it
    # anyway unless approved, so skipping it everywhere keeps runs alike.
    if ! (cd "$DIR" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error); then
        die "npm install in $DIR failed (is the npm registry reachable?)"
    fi
    [[ $(installed appium) == "$APPIUM_VERSION" ]] || die "npm install finished but $DIR/node_modules/appium is not version $APPIUM_VERSION"
    [[ $(installed @appium/fake-driver) == "$FAKE_DRIVER_VERSION" ]] || die "npm install finished but @appium/fake-driver is not version $FAKE_DRIVER_VERSION"
    [[ -x $DIR/node_modules/.bin/appium ]] || die "$DIR/node_modules/.bin/appium is missing after npm install"

    # Appium must find the fake driver from this folder by itself.
    say "checking that appium finds the fake driver"
    if ! list=$(cd "$DIR" && APPIUM_HOME=$DIR node_modules/.bin/appium driver list --installed --json 2>&1); then
        die "'appium driver list' failed in $DIR: $(printf '%s' "$list" | tail -5)"
    fi
    printf '%s' "$list" | grep -q '"fake"' || die "appium in $DIR does not list the fake driver: $(printf '%s' "$list" | tail -5)"
    printf '%s\n' "$WANT" >"$STAMP"
fi

say "ready: $DIR/node_modules/.bin/appium (appium $APPIUM_VERSION, fake driver $FAKE_DRIVER_VERSION)"
say "run the test with: cargo test --test integration appium_fake_driver::"
