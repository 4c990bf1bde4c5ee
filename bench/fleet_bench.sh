#!/usr/bin/env bash
# A fleet of repositories built from code nobody here wrote: every directory
# of /usr/include that holds files becomes one git repository of its own
# files (disjoint; the first REPOS of them in path order). Then:
#   - casm run --repos (local, --parallel P): wall, repos/s, MB/s, peak RSS;
#   - the same with CASM_BENCH_NO_RECORD=1 (no log, blobs or head): what
#     recording costs;
#   - the same through 1 and 2 `casm node` processes on loopback;
#   - the libgit2 floor: blob_floor_bench --threads 1 over each repository,
#     one after another (the seconds it reports, summed);
#   - git grep -E -f <the rule pack's ERE patterns> HEAD over each
#     repository, one after another.
#
#   bench/fleet_bench.sh [BUILD_DIR]      (default build)
#   REPOS=240 PARALLEL=2 PASSES=3 WORK=/tmp/casm-fleet-bench SRC=/usr/include
#
# Every fleet and the floor are measured PASSES times; the medians are
# compared.
#
# Builds nothing. Caches the repositories in $WORK/repos (delete to rebuild).
# Every fleet gets a fresh $CASM_HOME under $WORK (with the rule pack cache
# of the warm-up), all removed at the end.
set -euo pipefail

build="${1:-build}"
casm="$build/casm"
floor="$build/bench/blob_floor_bench"
patterns="$build/bench/patterns_bench"
n="${REPOS:-240}"
parallel="${PARALLEL:-2}"
work="${WORK:-/tmp/casm-fleet-bench}"
src="${SRC:-/usr/include}"
for tool in "$casm" "$floor" "$patterns"; do
  [[ -x "$tool" ]] || { echo "fleet_bench: $tool is not an executable (build first)" >&2; exit 2; }
done
mkdir -p "$work"

export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@casm.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@casm.invalid
export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

repos="$work/repos"
if [[ ! -f "$repos/.complete-$n" ]]; then
  rm -rf "$repos"
  mkdir -p "$repos"
  i=0
  while IFS= read -r dir; do
    ((i >= n)) && break
    if ! find "$dir" -maxdepth 1 -type f -print -quit | grep -q .; then continue; fi
    name=$(printf '%04d-%s' "$i" "$(echo "${dir#"$src"}" | tr '/' '_' | sed 's/^_//')")
    [[ "$name" == *- ]] && name="${name}root"
    dest="$repos/$name"
    mkdir -p "$dest"
    find "$dir" -maxdepth 1 -type f -exec cp {} "$dest/" \;
    git -C "$dest" init -q -b main .
    git -C "$dest" add -A
    git -C "$dest" -c gc.auto=0 commit -q -m "bench: $dir"
    i=$((i + 1))
  done < <(find "$src" -type d | LC_ALL=C sort)
  touch "$repos/.complete-$n"
fi
count=$(find "$repos" -mindepth 1 -maxdepth 1 -type d | wc -l)
read -r files bytes < <(find "$repos" -path '*/.git' -prune -o -type f -printf '%s\n' | awk '{n++; s+=$1} END {print n, s}')
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}')
echo "fleet: $count repositories from $src, $files files, $mb MB; $(nproc) cores; parallel $parallel"

secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
now() { date +%s.%N; }

# Only the node processes started here are ever signalled, by PID.
nodes_pids=()
node_rss=""
stop_nodes() {
  node_rss=""
  for p in "${nodes_pids[@]:-}"; do
    [[ -z "$p" ]] && continue
    node_rss+="$(awk '/VmHWM/ {printf "%.0f MB ", $2 / 1024}' "/proc/$p/status" 2>/dev/null || true)"
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  nodes_pids=()
}
cleanup() {
  stop_nodes
  [[ -n "${homes_made:-}" ]] && rm -rf "$work"/home-*
  return 0
}
trap cleanup EXIT

# start_node K WORKERS: node K on 127.0.0.1 (any free port); writes its
# host:port to $work/node$K.addr.
start_node() {
  local k="$1"
  "$casm" node --listen 127.0.0.1:0 --workers "$2" >"$work/node$k.out" 2>"$work/node$k.err" &
  nodes_pids+=($!)
  for _ in $(seq 1 100); do
    grep -q 'node listening on' "$work/node$k.out" 2>/dev/null && break
    sleep 0.05
  done
  grep -o '127\.0\.0\.1:[0-9]*' "$work/node$k.out" | head -1 >"$work/node$k.addr"
}

# fleet LABEL [casm run flags...]: PASSES fleets (default 3), each with a
# fresh home; prints one row: the median wall (and the range), with repos/s,
# MB/s and peak RSS of the median pass. One pass is at the mercy of
# whatever else writes to this filesystem (a durable point is a syncfs,
# which flushes every writer's dirty data), so the median is reported.
# The home starts with the compiled rule pack the warm-up left in its cache
# (a user's home keeps it: it is compiled once per rule pack, not per fleet).
# Homes are removed at the end, not between fleets: on this disk (ext4
# without a journal) a file created soon after thousands were deleted pays
# for an inode search that skips recently deleted ones, which would charge
# one fleet for the cleanup of the one before it.
fleet() {
  local label="$1"
  shift
  local passes="${PASSES:-3}"
  [[ "$label" == "warm-up" ]] && passes=1
  local walls=() rsss=() oks=() rcs=()
  for k in $(seq 1 "$passes"); do
    local home="$work/home-$label-$k"
    rm -rf "$home"
    if [[ -d "$work/home-warm-up-1/cache" ]]; then
      mkdir -p "$home"
      cp -r "$work/home-warm-up-1/cache" "$home/cache"
    fi
    local t0 t1 rc=0
    t0=$(now)
    /usr/bin/time -f '%M' -o "$work/fleet.rss" "$casm" --home "$home" run --repos "$repos" \
      --parallel "${PARALLEL_OVERRIDE:-$parallel}" "$@" >"$work/fleet-$label.out" 2>"$work/fleet-$label.err" || rc=$?
    t1=$(now)
    walls+=("$(secs "$t0" "$t1")")
    rsss+=("$(awk '{printf "%.0f", $1 / 1024}' "$work/fleet.rss")")
    oks+=("$(grep -c '"event":"run_finished".*"exit_code":0' "$work/fleet-$label.out" || true)")
    rcs+=("$rc")
  done
  # The median pass (by wall).
  local mid
  mid=$(for i in "${!walls[@]}"; do echo "${walls[$i]} $i"; done | sort -n | awk -v n="$passes" 'NR == int((n + 1) / 2) {print $2}')
  local wall="${walls[$mid]}" range
  range=$(printf '%s\n' "${walls[@]}" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%s-%s", lo, hi}')
  printf '%-22s %8s s (%s over %s) %8.1f repos/s %8.1f MB/s %6s MB peak RSS (origin)  %s/%s exit 0 (fleet exit %s)\n' \
    "$label" "$wall" "$range" "$passes" "$(awk -v c="$count" -v w="$wall" 'BEGIN {print c / w}')" \
    "$(awk -v b="$bytes" -v w="$wall" 'BEGIN {print b / 1e6 / w}')" "${rsss[$mid]}" "${oks[$mid]}" "$count" "${rcs[$mid]}"
  echo "$wall" >"$work/wall-$label"
}
homes_made=1

echo
echo "== fleets (wall clock: the median of PASSES=${PASSES:-3} passes, warm page cache) =="
fleet "warm-up" >/dev/null
fleet "local"
CASM_BENCH_NO_RECORD=1 fleet "local, no record"
# Runs wait on their durable points (syncfs), so more runs in flight than
# cores keeps the cores busy: the same fleet at WIDE (default 4x cores).
wide="${WIDE:-$(($(nproc) * 4))}"
PARALLEL_OVERRIDE="$wide" fleet "local, --parallel $wide"
start_node 0 2
fleet "1 node (2 workers)" --nodes "$(cat "$work/node0.addr")"
stop_nodes
echo "   node peak RSS: $node_rss"
start_node 0 1
start_node 1 1
fleet "2 nodes (1 worker each)" --nodes "$(cat "$work/node0.addr"),$(cat "$work/node1.addr")"
stop_nodes
echo "   node peak RSS: $node_rss"

echo
echo "== floors (one repository after another) =="
# The floor is measured PASSES times too; its median is the one compared.
floors=()
for k in $(seq 1 "${PASSES:-3}"); do
  f=0
  for r in "$repos"/*/; do
    s=$("$floor" "$r" --threads 1 | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
    f=$(awk -v a="$f" -v b="$s" 'BEGIN {print a + b}')
  done
  floors+=("$f")
done
floor_s=$(printf '%s\n' "${floors[@]}" | sort -n | awk -v n="${#floors[@]}" 'NR == int((n + 1) / 2)')
floor_range=$(printf '%s\n' "${floors[@]}" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}')
"$patterns" --dump-patterns "$work/rg.txt" --dump-posix "$work/ere.txt" >/dev/null
# git grep runs the patterns one by one (the engine of git-secrets); it is
# slow, so the whole pass is cut off after GIT_TIMEOUT seconds.
git_timeout="${GIT_TIMEOUT:-300}"
printf '%s\n' "$repos"/*/ >"$work/list"
t2=$(now)
rc=0
timeout "$git_timeout" bash -c 'while IFS= read -r r; do git -C "$r" grep -n -E -f "$1" HEAD >/dev/null 2>&1 || true; done <"$2"' \
  _ "$work/ere.txt" "$work/list" || rc=$?
t3=$(now)
grep_s=$(secs "$t2" "$t3")
[[ "$rc" == 124 ]] && grep_s=">$git_timeout"
local_s=$(cat "$work/wall-local")
wide_s=$(cat "$work/wall-local, --parallel $wide")
norec_s=$(cat "$work/wall-local, no record")
printf 'libgit2 floor (read every blob, 1 thread, summed)  %8.2f s (%s over %s)\n' "$floor_s" "$floor_range" "${#floors[@]}"
printf 'git grep -n -E -f <%s ERE patterns> HEAD, in turn  %8s s\n' "$(wc -l <"$work/ere.txt")" "$grep_s"
echo
printf 'recording (log, blobs, head, syncs) = %.0f%% of the local fleet wall (%s s vs %s s without)\n' \
  "$(awk -v a="$local_s" -v b="$norec_s" 'BEGIN {print 100 * (a - b) / a}')" "$local_s" "$norec_s"
printf 'local fleet / libgit2 floor = %.2fx (target <= 3x)\n' "$(awk -v a="$local_s" -v b="$floor_s" 'BEGIN {print a / b}')"
printf 'local fleet --parallel %s / libgit2 floor = %.2fx\n' "$wide" "$(awk -v a="$wide_s" -v b="$floor_s" 'BEGIN {print a / b}')"
printf 'local fleet / git grep      = %sx (target <= 0.2x)\n' \
  "$(awk -v a="$local_s" -v b="${grep_s#>}" -v cut="${grep_s:0:1}" 'BEGIN {printf "%s%.3f", (cut == ">" ? "< " : ""), a / b}')"
