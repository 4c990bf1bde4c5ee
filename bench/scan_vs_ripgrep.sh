#!/usr/bin/env bash
# `casm scan` against peers running the same patterns over the same tree:
# ripgrep (the speed to match), `git grep -E` (the engine of git-secrets) and
# git-secrets itself (`git grep -nwHEI`, its patterns joined with '|'). Prints seconds (best of N, wall clock), MB/s, the ratio
# to ripgrep, and casm's peak RSS.
#
#   bench/scan_vs_ripgrep.sh [CASM_BINARY] [CORPUS]
#     CASM_BINARY  default build/casm; patterns_bench is expected beside it
#                  in bench/ (override with PATTERNS_BENCH=path)
#     CORPUS       default /usr/include
#   RUNS=5 (casm, rg)  GIT_RUNS=3 (git grep, git-secrets: seconds per run)
#   GIT_TIMEOUT=600 seconds per git run; a run cut off shows as ">600"
#   SKIP_GIT=1 skips the git rows (they copy the corpus into a temp repo).
#
# Builds nothing. Every tool reads a warm page cache: the best of N runs is
# reported. casm scans hidden files and skips .git and binary files, so
# ripgrep runs with -uu (no ignore files, hidden files) and skips binary
# files by its default.
set -euo pipefail

casm="${1:-build/casm}"
corpus="${2:-/usr/include}"
runs="${RUNS:-5}"
git_runs="${GIT_RUNS:-3}"
git_timeout="${GIT_TIMEOUT:-600}"
patterns_bench="${PATTERNS_BENCH:-$(dirname "$casm")/bench/patterns_bench}"
max_git_copy=$((1024 * 1024 * 1024))

for tool in "$casm" "$patterns_bench"; do
  [[ -x "$tool" ]] || { echo "scan_vs_ripgrep: $tool is not an executable (build first)" >&2; exit 2; }
done
[[ -d "$corpus" ]] || { echo "scan_vs_ripgrep: corpus $corpus is not a directory" >&2; exit 2; }
command -v rg >/dev/null || { echo "scan_vs_ripgrep: ripgrep (rg) is not installed" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/casm-bench-XXXXXX")"
trap 'rm -rf "$work"' EXIT

"$patterns_bench" --dump-patterns "$work/rg.txt" --dump-posix "$work/ere.txt"

read -r files bytes < <(find "$corpus" -type f -printf '%s\n' | awk '{n++; s+=$1} END {print n, s}')
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}')
echo "corpus: $corpus, $files files, $mb MB; $(nproc) cores; $(wc -l < "$work/rg.txt") rg patterns, $(wc -l < "$work/ere.txt") ERE patterns"

now() { date +%s.%N; }

# best_of N CMD...: the fastest wall-clock seconds of N runs, or ">LIMIT"
# when BEST_OF_TIMEOUT is set and every run hit it. A tool's exit code is not
# an error here (rg exits 1 without matches, casm 4 on --fail-on).
best_of() {
  local n="$1" best="" start end t rc
  shift
  local limit="${BEST_OF_TIMEOUT:-}"
  for ((i = 0; i < n; i++)); do
    start=$(now)
    rc=0
    if [[ -n "$limit" ]]; then timeout "$limit" "$@" >/dev/null 2>&1 || rc=$?
    else "$@" >/dev/null 2>&1 || rc=$?; fi
    end=$(now)
    [[ -n "$limit" && "$rc" == 124 ]] && continue
    t=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.4f", b - a}')
    if [[ -z "$best" ]] || awk -v t="$t" -v b="$best" 'BEGIN {exit !(t < b)}'; then best="$t"; fi
  done
  echo "${best:->$limit}"
}

# Peak resident set size of one run, in MB.
peak_rss_mb() {
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1 || true
    awk '{printf "%.1f", $1 / 1024}' "$work/rss"
    return
  fi
  "$@" >/dev/null 2>&1 &
  local pid=$! hwm=0 v
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [[ -n "$v" ]] && hwm="$v"
    sleep 0.005
  done
  wait "$pid" || true
  awk -v k="$hwm" 'BEGIN {printf "%.1f (sampled)", k / 1024}'
}

declare -a names=() secs=()
row() {
  names+=("$1")
  secs+=("$2")
  echo "  measured: $1: $2 s" >&2
}

row "rg -uu -c -f rg.txt (default threads)" "$(best_of "$runs" rg -uu -c -f "$work/rg.txt" "$corpus")"
row "rg -uu -c -f rg.txt -j1" "$(best_of "$runs" rg -uu -j1 -c -f "$work/rg.txt" "$corpus")"
row "casm scan --json (default threads)" "$(best_of "$runs" "$casm" scan "$corpus" --json)"
row "casm scan --json --threads 1" "$(best_of "$runs" "$casm" scan "$corpus" --json --threads 1)"
row "casm scan (text output)" "$(best_of "$runs" "$casm" scan "$corpus")"

if [[ "${SKIP_GIT:-0}" != 1 ]]; then
  if ((bytes > max_git_copy)); then
    echo "(git rows skipped: the corpus is over 1 GiB)"
  else
    repo="$work/repo"
    cp -r "$corpus" "$repo"
    export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
    git -C "$repo" init -q
    git -C "$repo" add -A
    git -C "$repo" -c user.name=bench -c user.email=bench@casm.invalid commit -q -m corpus
    export BEST_OF_TIMEOUT="$git_timeout"
    # As git-secrets runs it: one combined ERE (git grep -f runs each
    # pattern's regexec on every line: minutes here) in the C locale (glibc's
    # regex is ~20x slower in a UTF-8 locale; casm and rg match bytes too).
    combined="$(paste -sd'|' "$work/ere.txt")"
    row "LC_ALL=C git grep -E -c -e <ERE|ERE...> HEAD" \
      "$(best_of "$git_runs" env LC_ALL=C git -C "$repo" grep -E -c -e "$combined" HEAD)"
    if command -v git-secrets >/dev/null; then
      while IFS= read -r p; do git -C "$repo" config --add secrets.patterns "$p"; done < "$work/ere.txt"
      row "git secrets --scan (same ERE patterns)" "$(cd "$repo" && best_of "$git_runs" git secrets --scan)"
    else
      echo "(git-secrets row skipped: git-secrets is not installed)"
    fi
    unset BEST_OF_TIMEOUT
  fi
fi

rg_s="${secs[0]}"
printf '\n%-46s %9s %9s %12s\n' "tool" "seconds" "MB/s" "x ripgrep"
for i in "${!names[@]}"; do
  s="${secs[$i]}"
  if [[ "$s" == ">"* ]]; then  # cut off: a lower bound
    awk -v n="${names[$i]}" -v s="${s#>}" -v b="$bytes" -v r="$rg_s" \
      'BEGIN {printf "%-46s %9s %9s %12s\n", n, ">" s, "<" int(b / 1e6 / s), ">" int(s / r)}'
  else
    awk -v n="${names[$i]}" -v s="$s" -v b="$bytes" -v r="$rg_s" \
      'BEGIN {printf "%-46s %9.3f %9.0f %12.2f\n", n, s, b / 1e6 / s, s / r}'
  fi
done
echo
echo "casm peak RSS: $(peak_rss_mb "$casm" scan "$corpus" --json) MB"
"$casm" scan "$corpus" | tail -n 1 | sed 's/^/casm: /'
