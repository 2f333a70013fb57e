#!/usr/bin/env bash
# Installs the Cucumber language service, the engine behind VS Code's
# Cucumber extension and @cucumber/language-server, project-locally in
# .tools/language-service (git-ignored), for tests/integration/editor.rs: the proof that
# an editor finds every step phrase of steps/ (through steps/glue.rs).
#
#   bash tests/install/editor-env.sh && cargo test --test integration editor::
#
# It parses Rust with tree-sitter compiled to WebAssembly (the .wasm files
# ship in the package), so nothing is built natively. Idempotent: a folder
# that already holds exactly this pin (stamp file) is left alone.
# Environment:
#   MITID_LANGUAGE_SERVICE_DIR  where to install (default: <repo>/.tools/language-service);
#                               the test reads the same variable
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${MITID_LANGUAGE_SERVICE_DIR:-$ROOT/.tools/language-service}
# The version the VS Code extension and @cucumber/language-server 1.7 use.
VERSION=1.7.0

say() { echo "editor-env: $*"; }
die() {
    echo "editor-env: error: $*" >&2
    exit 1
}

command -v node >/dev/null || die "node is not on PATH; install Node.js 18 or newer (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is not on PATH (Debian: apt-get install npm)"
node -e "process.exit(Number(process.versions.node.split('.')[0]) >= 18 ? 0 : 1)" ||
    die "node $(node -p process.versions.node) is too old: @cucumber/language-service $VERSION needs 18 or newer"

STAMP=$DIR/.mitid-pins
WANT="@cucumber/language-service $VERSION"
installed() { node -p "require('$DIR/node_modules/@cucumber/language-service/package.json').version" 2>/dev/null || true; }

if [[ -f $STAMP && $(cat "$STAMP") == "$WANT" && $(installed) == "$VERSION" ]]; then
    say "$DIR already has @cucumber/language-service $VERSION: nothing to do"
    exit 0
fi
say "installing @cucumber/language-service $VERSION into $DIR"
mkdir -p -- "$DIR" || die "cannot create $DIR"
rm -f -- "$STAMP"
cat >"$DIR/package.json" <<JSON
{
  "name": "mitid-e2e-language-service",
  "description": "The Cucumber language service for tests/integration/editor.rs (made by tests/install/editor-env.sh)",
  "private": true,
  "license": "GPL-3.0-or-later",
  "dependencies": { "@cucumber/language-service": "$VERSION" }
}
JSON
(cd "$DIR" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error) ||
    die "npm install in $DIR failed (is the npm registry reachable?)"
[[ $(installed) == "$VERSION" ]] || die "npm install finished but @cucumber/language-service is not version $VERSION"
[[ -f $DIR/node_modules/@cucumber/language-service/dist/rust.wasm ]] || die "the package in $DIR has no dist/rust.wasm"
printf '%s\n' "$WANT" >"$STAMP"
say "ready: $DIR"
