// Replay throughput: records per second through the replayer (in memory,
// already parsed) and through `casm replay`'s whole pass (verify the chain,
// split each line, resolve blobs, replay), against verify-log alone as the
// peer. The logs are recorded from the engine itself with fake agents, many
// runs side by side (a run has at most 2 x 64 reviewer records, so 100k
// records are many runs), one run dir each:
//   - "audit": 2000 repo-auditor runs of 200 files in 16 reviewer shards, a
//     finding in every tenth file: 61 records a run, 1.4 KB of payload per
//     record on average (the ingest listing and the report request are the
//     big ones, about 20 and 14 KB);
//   - "noop": 10000 noop runs (ingest, report): 11 small records a run;
//   - "one big run" (explain only): ONE run of >= 100k records, the first
//     audit run with its review.requested/review.completed pairs repeated
//     (fresh call ids) until it is that long. No engine makes such a run (a
//     run has at most 64 shards), so it is not replayed; it measures explain
//     on one long log, without the per-run cost of opening 10,000 runs.
// Records per second depend on record size, so bytes per second are shown
// too (the log and the blobs it references).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>

#include "actors/supervisor/run_log_reader.h"
#include "actors/supervisor/run_log_writer.h"
#include "actors/supervisor/run_store.h"
#include "actors/workflow/replay.h"
#include "runtime/log_replay.h"
#include "runtime/run_records.h"
#include "tests/unit/engine_recorder.h"

namespace {

namespace fs = std::filesystem;
using namespace casm;
using nlohmann::json;

constexpr size_t audit_runs = 2000;
constexpr size_t noop_runs = 10000;

const std::vector<std::vector<json>>& logs_of(const std::string& which) {
  static std::map<std::string, std::vector<std::vector<json>>> cache;
  auto& logs = cache[which];
  if (!logs.empty()) return logs;
  const bool audit = which == "audit";
  for (size_t i = 0; i < (audit ? audit_runs : noop_runs); ++i) {
    auto start = audit ? test::audit_start(16) : test::make_start("noop_v1");
    // A distinct run id per run: call ids differ from run to run.
    start.run_id = test::make_start("noop_v1", 1767225600000 + i).run_id;
    logs.push_back(test::record_run(start, test::audit_agents(200, 10)));
  }
  return logs;
}

// The first audit run, its reviewer records repeated to >= 100k records.
std::vector<json> one_big_log() {
  const auto& run = logs_of("audit").front();
  std::vector<json> review, out;
  for (const auto& rec : run)
    if (rec["type"] == "review.requested" || rec["type"] == "review.completed")
      review.push_back(rec);
  size_t first_review = 0;
  while (run[first_review]["type"] != "review.requested") ++first_review;
  out.assign(run.begin(), run.begin() + static_cast<std::ptrdiff_t>(first_review));
  for (size_t round = 0; out.size() + (run.size() - first_review) < 100000; ++round)
    for (auto rec : review) {
      rec["payload"]["call_id"] = rec["payload"]["call_id"].get<std::string>() + "-" +
                                  std::to_string(round);
      out.push_back(std::move(rec));
    }
  for (size_t i = first_review; i < run.size(); ++i) out.push_back(run[i]);
  return out;
}

// Writes `records` as a run dir the way the supervisor does: payloads over
// 4 KiB in blobs/, the head in state.json.
void write_run(const fs::path& dir, const std::string& run_id, const std::vector<json>& records) {
  fs::create_directories(supervisor::run_store::blobs_dir(dir));
  std::string error;
  auto w = supervisor::run_log_writer::open(supervisor::run_store::log_file(dir), run_id, nullptr,
                                            &error);
  if (!w) throw std::runtime_error(error);
  for (const auto& rec : records) {
    json payload = rec["payload"];
    std::string text = payload.dump();
    if (text.size() > 4096)
      payload = json{{"blob", supervisor::run_store::put_blob(dir, text)}, {"bytes", text.size()}};
    supervisor::record_fields f{"2026-01-01T00:00:00.000Z", rec["kind"].get_ref<const std::string&>(),
                                "bench", "bench", rec["type"].get<std::string>(), std::move(payload)};
    w->append(f);
  }
  w->sync();
  supervisor::run_state st;
  st.run_id = run_id;
  st.status = "succeeded";
  st.head_seq = w->last_seq();
  st.head_hash = w->last_hash();
  supervisor::run_store::write_state(dir, st);
}

struct run_dirs {
  fs::path root;
  std::vector<fs::path> dirs;
  size_t records = 0;
  size_t bytes = 0;  // events.jsonl and blobs/
  ~run_dirs() { fs::remove_all(root); }
};

run_dirs& disk(const std::string& which) {
  static std::map<std::string, std::unique_ptr<run_dirs>> cache;
  auto& slot = cache[which];
  if (slot) return *slot;
  slot = std::make_unique<run_dirs>();
  slot->root = fs::temp_directory_path() / ("casm-bench-replay-" + which + "-" +
                                            std::to_string(::getpid()));
  fs::remove_all(slot->root);
  auto add = [&](const std::vector<json>& log) {
    const std::string id = log[1]["payload"]["run_id"];
    auto dir = slot->root / id;
    write_run(dir, id, log);
    slot->dirs.push_back(dir);
    slot->records += log.size();
    for (const auto& f : fs::recursive_directory_iterator(dir))
      if (f.is_regular_file() && f.path().filename() != "state.json") slot->bytes += f.file_size();
  };
  if (which == "one_big") {
    add(one_big_log());
    return *slot;
  }
  for (const auto& log : logs_of(which)) add(log);
  return *slot;
}

void replay_in_memory(benchmark::State& state, const std::string& which) {
  const auto& logs = logs_of(which);
  size_t records = 0;
  for (const auto& log : logs) records += log.size();
  for (auto _ : state) {
    for (const auto& log : logs) {
      workflow::replayer r;
      for (const auto& rec : log) r.feed(rec);
      if (!r.finish().identical()) state.SkipWithError("the replay diverged");
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records));
  state.counters["records"] = static_cast<double>(records);
}

void verify_only(benchmark::State& state, const std::string& which) {
  auto& d = disk(which);
  for (auto _ : state)
    for (const auto& dir : d.dirs) {
      auto v = supervisor::verify_log(supervisor::run_store::log_file(dir));
      if (!v.ok) state.SkipWithError(v.problem.c_str());
    }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d.records));
}

void verify_and_replay(benchmark::State& state, const std::string& which) {
  auto& d = disk(which);
  for (auto _ : state)
    for (const auto& dir : d.dirs) {
      auto x = runtime::replay_log(dir, "test", /*allow_config_drift=*/true);
      if (x.result != "identical") state.SkipWithError(x.result.c_str());
    }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d.records));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * d.bytes));
  state.counters["records"] = static_cast<double>(d.records);
}

// What `casm explain` does for each run: verify the chain and the blobs,
// build the story, render the text.
void explain(benchmark::State& state, const std::string& which) {
  auto& d = disk(which);
  for (auto _ : state)
    for (const auto& dir : d.dirs) {
      telemetry::run_story story;
      if (!runtime::tell_story(dir, story).verified) state.SkipWithError("a log does not verify");
      auto text = story.to_text();
      benchmark::DoNotOptimize(text);
    }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d.records));
  state.counters["records"] = static_cast<double>(d.records);
}

void BM_Replayer_Audit(benchmark::State& state) { replay_in_memory(state, "audit"); }
void BM_VerifyLogOnly_Audit(benchmark::State& state) { verify_only(state, "audit"); }
void BM_VerifyAndReplay_Audit(benchmark::State& state) { verify_and_replay(state, "audit"); }
void BM_Replayer_Noop(benchmark::State& state) { replay_in_memory(state, "noop"); }
void BM_VerifyLogOnly_Noop(benchmark::State& state) { verify_only(state, "noop"); }
void BM_VerifyAndReplay_Noop(benchmark::State& state) { verify_and_replay(state, "noop"); }

BENCHMARK(BM_Replayer_Audit)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyLogOnly_Audit)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyAndReplay_Audit)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Replayer_Noop)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyLogOnly_Noop)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyAndReplay_Noop)->Unit(benchmark::kMillisecond);
void BM_Explain_Audit(benchmark::State& state) { explain(state, "audit"); }
void BM_Explain_Noop(benchmark::State& state) { explain(state, "noop"); }
BENCHMARK(BM_Explain_Audit)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Explain_Noop)->Unit(benchmark::kMillisecond);
void BM_Explain_OneBigRun(benchmark::State& state) { explain(state, "one_big"); }
BENCHMARK(BM_Explain_OneBigRun)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
