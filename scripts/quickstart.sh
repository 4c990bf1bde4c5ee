#!/usr/bin/env bash
# The main job on the embedded default: builds casm, turns examples/demo-repo
# into a real git repository, runs the default template on it, and explains
# the run from its log. Runs go to $CASM_HOME (default ./.casm).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
casm="$(CASM_BUILD_TARGET=casm bash "$root/scripts/build.sh")"
demo="${TMPDIR:-/tmp}/casm-demo-repo"
bash "$root/scripts/make-demo-repo.sh" "$demo"
template="${CASM_TEMPLATE:-repo-auditor}"
echo "== casm run --template $template --repo $demo"
set +e
out="$("$casm" run --template "$template" --repo "$demo")"
rc=$?
set -e
echo "$out"
run_id="$(echo "$out" | sed -n 's/^run_id: //p')"
if [ -n "$run_id" ]; then
  echo
  echo "== casm explain --run-id $run_id"
  "$casm" explain --run-id "$run_id"
  echo "== casm verify-log --run-id $run_id"
  "$casm" verify-log --run-id "$run_id"
fi
exit "$rc"
