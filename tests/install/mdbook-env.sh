#!/usr/bin/env bash
# Installs mdBook, project-locally in .tools/mdbook (git-ignored): it builds
# the documentation in docs/ (tests/run builds it and checks its links).
#
#   bash tests/install/mdbook-env.sh
#   .tools/mdbook/bin/mdbook build docs     # the book, in target/book/index.html
#
# Pinned; built with its search only (no file watcher or web server: for
# `mdbook serve`, install mdbook with its default features yourself).
# Environment:
#   MITID_MDBOOK_DIR   where to install (default: <repo>/.tools/mdbook)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/install/cargo-tool.sh
source "$ROOT/tests/install/cargo-tool.sh"
DIR=${MITID_MDBOOK_DIR:-$ROOT/.tools/mdbook}

cargo_tool mdbook-env mdbook 0.5.4 "$DIR" --version --no-default-features --features search
echo "mdbook-env: ready: $DIR/bin/mdbook"
