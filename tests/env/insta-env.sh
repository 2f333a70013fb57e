#!/usr/bin/env bash
# Installs cargo-insta, project-locally in .tools/cargo-insta (git-ignored):
# QA's tool to review and approve screen texts (fixtures/screens/) and the
# report snapshots (src/report/snapshots/), `cargo insta review`.
#
#   bash tests/env/insta-env.sh
#   PATH="$PWD/.tools/cargo-insta/bin:$PATH" cargo insta review
#
# Pinned to the insta version in Cargo.lock, so the reviewer reads and writes
# the same snapshot format as the library. Built in a target folder of its
# own (the workspace's target/ is not locked while it builds), at low
# priority. Idempotent: a folder that already holds exactly this pin (stamp
# file) is left alone. Environment:
#   MITID_INSTA_DIR   where to install (default: <repo>/.tools/cargo-insta)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${MITID_INSTA_DIR:-$ROOT/.tools/cargo-insta}
VERSION=1.49.0

say() { echo "insta-env: $*"; }
die() {
    echo "insta-env: error: $*" >&2
    exit 1
}

command -v cargo >/dev/null || die "cargo is not on PATH"
grep -A1 '^name = "insta"$' "$ROOT/Cargo.lock" | grep -q "version = \"$VERSION\"" ||
    die "Cargo.lock no longer has insta $VERSION: bump VERSION here to match"

STAMP=$DIR/.mitid-pins
WANT="cargo-insta $VERSION"
is_ready() {
    [[ -f $STAMP && $(cat "$STAMP") == "$WANT" ]] && [[ -x $DIR/bin/cargo-insta ]] &&
        [[ $("$DIR/bin/cargo-insta" --version 2>/dev/null) == *"$VERSION"* ]]
}

if is_ready; then
    say "$DIR already has cargo-insta $VERSION: nothing to do"
else
    say "building cargo-insta $VERSION into $DIR (a few minutes on two cores)"
    mkdir -p -- "$DIR" || die "cannot create $DIR"
    rm -f -- "$STAMP"
    BUILD=$(mktemp -d)
    trap 'rm -rf -- "$BUILD"' EXIT
    if ! CARGO_TARGET_DIR=$BUILD nice -n 10 cargo install cargo-insta --version "$VERSION" --locked \
        --root "$DIR" --quiet; then
        die "cargo install cargo-insta $VERSION failed (is crates.io reachable?)"
    fi
    [[ $("$DIR/bin/cargo-insta" --version 2>/dev/null) == *"$VERSION"* ]] ||
        die "$DIR/bin/cargo-insta does not report version $VERSION"
    printf '%s\n' "$WANT" >"$STAMP"
fi

say "ready: $DIR/bin/cargo-insta (put $DIR/bin on PATH for 'cargo insta review')"
