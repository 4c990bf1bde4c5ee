#!/usr/bin/env bash
# A whole offline `casm run --template repo-auditor` against the time libgit2
# alone needs to read the same blobs (blob_floor_bench), interleaved in one
# run so both see the same machine load. Prints the best and the median of N
# wall-clock seconds for each, the ratios, MB/s and casm's peak RSS.
#
#   bench/audit_vs_floor.sh [CASM_BINARY] [REPO]
#     CASM_BINARY  default build/casm; blob_floor_bench is expected beside it
#                  in bench/ (override with FLOOR_BENCH=path)
#     REPO         default /tmp/casm-bench-corpus (bench/make_corpus_repo.sh)
#   RUNS=7
#
# The compiled rule packs are cached in a private CASM_HOME that one warm-up
# run fills, as on any machine after its first run. Each measured run starts
# with no runs in that home. Builds nothing.
set -euo pipefail

casm="${1:-build/casm}"
repo="${2:-/tmp/casm-bench-corpus}"
runs="${RUNS:-7}"
floor_bench="${FLOOR_BENCH:-$(dirname "$casm")/bench/blob_floor_bench}"

for tool in "$casm" "$floor_bench"; do
  [[ -x "$tool" ]] || { echo "audit_vs_floor: $tool is not an executable (build first)" >&2; exit 2; }
done
git -C "$repo" rev-parse --verify -q HEAD >/dev/null ||
  { echo "audit_vs_floor: $repo is not a git repository with a commit (run bench/make_corpus_repo.sh)" >&2; exit 2; }

home="$(mktemp -d "${TMPDIR:-/tmp}/casm-bench-home-XXXXXX")"
trap 'rm -rf "$home"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f", b - a}'; }

audit_once() {
  rm -rf "$home/runs"
  local s e rc=0
  s=$(now)
  CASM_HOME="$home" /usr/bin/time -f '%M' -o "$home/rss" "$casm" run --template repo-auditor \
    --repo "$repo" >/dev/null 2>&1 || rc=$?
  e=$(now)
  # 0 (clean) or 4 (findings at --fail-on) are both complete audits.
  [[ "$rc" == 0 || "$rc" == 4 ]] || { echo "audit_vs_floor: casm exited $rc" >&2; exit 1; }
  elapsed "$s" "$e"
}

floor_once() {
  local s e
  s=$(now)
  "$floor_bench" "$repo" >"$home/floor.out"
  e=$(now)
  elapsed "$s" "$e"
}

audit_once >/dev/null  # warm-up: fills the rule-pack cache and the page cache
floor_once >/dev/null
audits=() floors=()
for ((i = 0; i < runs; i++)); do
  floors+=("$(floor_once)")
  audits+=("$(audit_once)")
done
bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$home/floor.out")
files=$(sed -n 's/.*files=\([0-9]*\).*/\1/p' "$home/floor.out")

stats() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {printf "%s %s\n", v[1], v[int((NR+1)/2)]}'; }
read -r a_best a_med < <(stats "${audits[@]}")
read -r f_best f_med < <(stats "${floors[@]}")

echo "repo: $repo, $files blobs, $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB; $(nproc) cores; $runs runs each, interleaved"
printf '%-34s %8s %8s %9s\n' "" "best s" "median s" "MB/s"
printf '%-34s %8s %8s %9.1f\n' "libgit2 reads every blob (floor)" "$f_best" "$f_med" "$(awk -v b="$bytes" -v t="$f_med" 'BEGIN {print b / 1e6 / t}')"
printf '%-34s %8s %8s %9.1f\n' "casm run --template repo-auditor" "$a_best" "$a_med" "$(awk -v b="$bytes" -v t="$a_med" 'BEGIN {print b / 1e6 / t}')"
echo "ratio to the floor: best $(awk -v a="$a_best" -v f="$f_best" 'BEGIN {printf "%.2f", a / f}')x, median $(awk -v a="$a_med" -v f="$f_med" 'BEGIN {printf "%.2f", a / f}')x (target: at most 1.5x)"
echo "casm peak RSS (last run): $(( $(cat "$home/rss") / 1024 )) MB"
