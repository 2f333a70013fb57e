#!/usr/bin/env bash
# Installs cargo-mutants, project-locally in .tools/cargo-mutants (git-ignored):
# the mutation tester `tests/mutants` runs over the simulated app and
# backend, with the suite on the virtual farm as the test.
#
#   bash tests/env/mutants-env.sh
#
# Pinned: 27.1 builds on the machine's Rust and is the version whose
# baseline and --test-package behaviour DESIGN.md records. Built in a target
# folder of its own, at low priority. Idempotent: a folder that already
# holds exactly this pin (stamp file) is left alone. Environment:
#   MITID_MUTANTS_DIR   where to install (default: <repo>/.tools/cargo-mutants)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${MITID_MUTANTS_DIR:-$ROOT/.tools/cargo-mutants}
VERSION=27.1.0

say() { echo "mutants-env: $*"; }
die() {
    echo "mutants-env: error: $*" >&2
    exit 1
}

command -v cargo >/dev/null || die "cargo is not on PATH"
STAMP=$DIR/.mitid-pins
WANT="cargo-mutants $VERSION"
is_ready() {
    [[ -f $STAMP && $(cat "$STAMP") == "$WANT" ]] && [[ -x $DIR/bin/cargo-mutants ]] &&
        [[ $("$DIR/bin/cargo-mutants" mutants --version 2>/dev/null) == *"$VERSION"* ]]
}

if is_ready; then
    say "$DIR already has cargo-mutants $VERSION: nothing to do"
else
    say "building cargo-mutants $VERSION into $DIR (a few minutes on two cores)"
    mkdir -p -- "$DIR" || die "cannot create $DIR"
    rm -f -- "$STAMP"
    BUILD=$(mktemp -d)
    trap 'rm -rf -- "$BUILD"' EXIT
    if ! CARGO_TARGET_DIR=$BUILD nice -n 10 cargo install cargo-mutants --version "$VERSION" --locked \
        --root "$DIR" --quiet; then
        die "cargo install cargo-mutants $VERSION failed (is crates.io reachable?)"
    fi
    [[ $("$DIR/bin/cargo-mutants" mutants --version 2>/dev/null) == *"$VERSION"* ]] ||
        die "$DIR/bin/cargo-mutants does not report version $VERSION"
    printf '%s\n' "$WANT" >"$STAMP"
fi

say "ready: $DIR/bin/cargo-mutants"
