#!/usr/bin/env bash
# The whole test suite: installs what the tests need, then runs every test of the workspace
# (unit tests, RFC vectors, and the end-to-end tests against knotd, unbound, delv, ldns and
# BIND tools).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
cargo test --workspace --all-targets --locked "$@"
