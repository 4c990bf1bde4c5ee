#!/usr/bin/env bash
# Installs what is missing and builds casm (Release with debug info) in
# build/, using both cores. Prints the path of the casm binary last.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/deps.sh"
build="${CASM_BUILD_DIR:-$root/build}"
jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j "$jobs" --target "${CASM_BUILD_TARGET:-all}" >&2
echo "$build/casm"
