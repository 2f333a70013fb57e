#!/usr/bin/env bash
# Installs cargo-insta, project-locally in .tools/cargo-insta (git-ignored):
# QA's tool to review and approve screen texts (fixtures/screens/) and the
# report snapshots (src/report/snapshots/), `cargo insta review`.
#
#   bash tests/install/insta-env.sh
#   PATH="$PWD/.tools/cargo-insta/bin:$PATH" cargo insta review
#
# Pinned to the insta version in Cargo.lock, so the reviewer reads and writes
# the same snapshot format as the library. Built in a target folder of its
# own, at low priority, once (tests/install/cargo-tool.sh). Environment:
#   MITID_INSTA_DIR   where to install (default: <repo>/.tools/cargo-insta)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${MITID_INSTA_DIR:-$ROOT/.tools/cargo-insta}
VERSION=1.49.0
# shellcheck source=tests/install/cargo-tool.sh
source "$ROOT/tests/install/cargo-tool.sh"

grep -A1 '^name = "insta"$' "$ROOT/Cargo.lock" | grep -q "version = \"$VERSION\"" || {
    echo "insta-env: error: Cargo.lock no longer has insta $VERSION: bump VERSION here to match" >&2
    exit 1
}
cargo_tool insta-env cargo-insta "$VERSION" "$DIR" --version
echo "insta-env: ready: $DIR/bin/cargo-insta (put $DIR/bin on PATH for 'cargo insta review')"
