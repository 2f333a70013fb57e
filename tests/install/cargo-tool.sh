#!/usr/bin/env bash
# Installs a pinned tool from crates.io, project-locally, once: sourced by
# the installers of tools the tests build with cargo (insta-env.sh,
# mutants-env.sh, mdbook-env.sh), so the three share one way of doing it.
#
#   source tests/install/cargo-tool.sh
#   cargo_tool NAME CRATE VERSION DIR VERSION_ARGS [cargo install options…]
#
# NAME prefixes every line it prints; DIR/bin/CRATE's binary, run with
# VERSION_ARGS (e.g. "--version"), must print VERSION. Built in a target
# folder of its own (the workspace's target/ is not locked while it builds),
# at low priority. Idempotent: a DIR that already holds exactly this pin (its
# stamp file says so and the binary agrees) is left alone.
set -euo pipefail

cargo_tool() {
    local name=$1 crate=$2 version=$3 dir=$4 version_args=$5
    shift 5
    local bin=$dir/bin/$crate stamp=$dir/.mitid-pins want="$crate $version"
    say() { echo "$name: $*"; }
    die() {
        echo "$name: error: $*" >&2
        exit 1
    }
    command -v cargo >/dev/null || die "cargo is not on PATH"
    # shellcheck disable=SC2086 # VERSION_ARGS is words, e.g. "mutants --version"
    if [[ -f $stamp && $(cat "$stamp") == "$want" && -x $bin ]] &&
        [[ $("$bin" $version_args 2>/dev/null) == *"$version"* ]]; then
        say "$dir already has $crate $version: nothing to do"
        return 0
    fi
    say "building $crate $version into $dir (a few minutes on two cores)"
    mkdir -p -- "$dir" || die "cannot create $dir"
    rm -f -- "$stamp"
    local build
    build=$(mktemp -d)
    if ! CARGO_TARGET_DIR=$build nice -n 10 cargo install "$crate" --version "$version" --locked \
        --root "$dir" --quiet "$@"; then
        rm -rf -- "$build"
        die "cargo install $crate $version failed (is crates.io reachable?)"
    fi
    rm -rf -- "$build"
    # shellcheck disable=SC2086
    [[ $("$bin" $version_args 2>/dev/null) == *"$version"* ]] || die "$bin does not report version $version"
    printf '%s\n' "$want" >"$stamp"
}
