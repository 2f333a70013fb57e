#!/usr/bin/env bash
# Installs the report readers the tests hold our reports against,
# project-locally in .tools/report-tools (git-ignored), for
# tests/integration/report_consumers.rs:
#   @cucumber/messages                the Cucumber Messages JSON schema
#                                     (messages.schema.json: the Envelope and its $defs)
#   ajv, ajv-formats                  the JSON Schema validator
#   @cucumber/html-formatter          Cucumber's own HTML report from messages.ndjson
#   cucumber-html-reporter            HTML from cucumber.json
#   multiple-cucumber-html-reporter   HTML from cucumber.json
#   allure                            Allure Report 3's command line: the report
#                                     from allure-results/ (Apache-2.0, a tool)
# The scripts that drive them are committed in tests/node/.
#
#   bash tests/install/report-tools-env.sh && cargo nextest run --test integration report_consumers::
#
# Idempotent: a folder that already holds exactly these pins (stamp file) is
# left alone. Environment:
#   MITID_REPORT_TOOLS_DIR   where to install (default: <repo>/.tools/report-tools);
#                            the test reads the same variable
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${MITID_REPORT_TOOLS_DIR:-$ROOT/.tools/report-tools}

# Exact versions, verified together. @cucumber/html-formatter 24.2 takes
# @cucumber/messages >=18 as a peer; multiple-cucumber-html-reporter 3.11
# and 4.x want node 24/22, so 3.10 keeps node 20 enough.
MESSAGES_VERSION=34.2.1
HTML_FORMATTER_VERSION=24.2.0
AJV_VERSION=8.20.0
AJV_FORMATS_VERSION=3.0.1
CUCUMBER_HTML_REPORTER_VERSION=7.2.0
MULTIPLE_REPORTER_VERSION=3.10.0
# Allure Report 3 (npm `allure`), the CLI QA teams run on allure-results.
ALLURE_VERSION=3.18.0
PINS=(
    "@cucumber/messages $MESSAGES_VERSION"
    "@cucumber/html-formatter $HTML_FORMATTER_VERSION"
    "ajv $AJV_VERSION"
    "ajv-formats $AJV_FORMATS_VERSION"
    "cucumber-html-reporter $CUCUMBER_HTML_REPORTER_VERSION"
    "multiple-cucumber-html-reporter $MULTIPLE_REPORTER_VERSION"
    "allure $ALLURE_VERSION"
)

say() { echo "report-tools-env: $*"; }
die() {
    echo "report-tools-env: error: $*" >&2
    exit 1
}

command -v node >/dev/null || die "node is not on PATH; install Node.js 20 or newer (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is not on PATH (Debian: apt-get install npm)"
NODE_VERSION=$(node -p 'process.versions.node') || die "node does not run"
[[ ${NODE_VERSION%%.*} -ge 20 ]] || die "node $NODE_VERSION is too old: the report tools need node 20 or newer"
say "using node $NODE_VERSION, npm $(npm --version)"

STAMP=$DIR/.mitid-pins
WANT=$(printf '%s\n' "node $NODE_VERSION" "${PINS[@]}")
deps=""
for pin in "${PINS[@]}"; do
    deps+="${deps:+,
}    \"${pin% *}\": \"${pin#* }\""
done
PACKAGE_JSON=$(
    cat <<EOF
{
  "name": "mitid-e2e-report-tools",
  "description": "Report readers for tests/integration/report_consumers.rs (made by tests/install/report-tools-env.sh)",
  "private": true,
  "license": "GPL-3.0-or-later",
  "dependencies": {
$deps
  }
}
EOF
)

# The version an installed package reports, or nothing.
installed() { node -p "require('$DIR/node_modules/$1/package.json').version" 2>/dev/null || true; }

all_installed() {
    for pin in "${PINS[@]}"; do
        [[ $(installed "${pin% *}") == "${pin#* }" ]] || return 1
    done
}

if [[ -f $STAMP && $(cat "$STAMP") == "$WANT" ]] && all_installed; then
    say "$DIR already has ${PINS[*]}: nothing to do"
else
    say "installing ${PINS[*]} into $DIR"
    mkdir -p -- "$DIR" || die "cannot create $DIR"
    rm -f -- "$STAMP"
    printf '%s\n' "$PACKAGE_JSON" >"$DIR/package.json"
    if ! (cd "$DIR" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error); then
        die "npm install in $DIR failed (is the npm registry reachable?)"
    fi
    for pin in "${PINS[@]}"; do
        [[ $(installed "${pin% *}") == "${pin#* }" ]] || die "npm install finished but ${pin% *} is not version ${pin#* }"
    done
    [[ -f $DIR/node_modules/@cucumber/messages/messages.schema.json ]] ||
        die "@cucumber/messages $MESSAGES_VERSION ships no messages.schema.json (the Envelope schema)"
    printf '%s\n' "$WANT" >"$STAMP"
fi
say "ready: $DIR"
