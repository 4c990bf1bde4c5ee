#!/usr/bin/env bash
# Turns a directory tree that nobody here wrote (default /usr/include, about
# 125 MB in 9k files) into a git repository for the audit benchmarks.
# Usage: bench/make_corpus_repo.sh [SRC] [DEST]
set -euo pipefail
src="${1:-/usr/include}"
dest="${2:-${TMPDIR:-/tmp}/casm-bench-corpus}"
if [ -d "$dest/.git" ]; then echo "$dest"; exit 0; fi
rm -rf "$dest"
mkdir -p "$dest"
cp -R --no-dereference "$src/." "$dest/"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@casm.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@casm.invalid
export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
git -C "$dest" init -q -b main .
git -C "$dest" add -A
git -C "$dest" -c gc.auto=0 commit -q -m "corpus: $src"
git -C "$dest" gc -q
echo "$dest"
