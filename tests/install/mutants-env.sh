#!/usr/bin/env bash
# Installs cargo-mutants, project-locally in .tools/cargo-mutants (git-ignored):
# the mutation tester `tests/mutants` runs over the simulated app and
# backend, with the suite on the virtual farm as the test.
#
#   bash tests/install/mutants-env.sh
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
# shellcheck source=tests/install/cargo-tool.sh
source "$ROOT/tests/install/cargo-tool.sh"

cargo_tool mutants-env cargo-mutants "$VERSION" "$DIR" "mutants --version"
echo "mutants-env: ready: $DIR/bin/cargo-mutants"
