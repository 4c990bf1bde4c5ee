#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds everything, runs
# every test through ctest (unit and integration, in parallel on 2 cores).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${CASM_BUILD_DIR:-$root/build}"
bash "$root/scripts/build.sh" >/dev/null
cd "$build"
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 600
