#!/usr/bin/env bash
# Turns examples/demo-repo into a git repository at $1 with fixed author and
# dates, so its commit ids are the same on every machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:?usage: make-demo-repo.sh DEST}"
rm -rf "$dest"
mkdir -p "$dest"
cp -R "$root/examples/demo-repo/." "$dest/"
export GIT_AUTHOR_NAME="CASM Demo" GIT_AUTHOR_EMAIL="demo@casm.invalid"
export GIT_COMMITTER_NAME="CASM Demo" GIT_COMMITTER_EMAIL="demo@casm.invalid"
export GIT_AUTHOR_DATE="2026-01-01T12:00:00Z" GIT_COMMITTER_DATE="2026-01-01T12:00:00Z"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
git -C "$dest" init -q -b main .
git -C "$dest" add -A
git -C "$dest" commit -q -m "demo: initial import"
