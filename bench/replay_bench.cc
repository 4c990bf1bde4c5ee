// Replay throughput: records per second through the replayer (in memory,
// already parsed) and through `casm replay`'s whole pass (verify the chain,
// parse each record, resolve blobs, replay), against verify-log alone as the
// peer. The logs are recorded from the engine itself with fake agents:
//   - "runs": 2000 repo-auditor runs of 200 files, 16 reviewer shards each
//     (about 60 records per run), one run dir each;
//   - "wide": one run of 50,000 one-file shards (over 100k records, with
//     multi-megabyte fix, gate, validate and report payloads in blobs).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>

#include "actors/supervisor/run_log_reader.h"
#include "actors/supervisor/run_log_writer.h"
#include "actors/supervisor/run_store.h"
#include "actors/workflow/replay.h"
#include "runtime/log_replay.h"
#include "tests/unit/engine_recorder.h"

namespace {

namespace fs = std::filesystem;
using namespace casm;
using nlohmann::json;

constexpr size_t runs_count = 2000;
constexpr size_t wide_shards = 50000;

std::vector<json> record_audit(uint32_t reviewers, size_t files, uint64_t clock_ms) {
  auto start = test::audit_start(reviewers);
  // A distinct run id per run: call ids differ from run to run.
  start.run_id = test::make_start("repo_auditor_v1", clock_ms).run_id;
  return test::record_run(start, test::audit_agents(files));
}

const std::vector<std::vector<json>>& many_runs() {
  static const auto logs = [] {
    std::vector<std::vector<json>> out;
    for (size_t i = 0; i < runs_count; ++i) out.push_back(record_audit(16, 200, 1767225600000 + i));
    return out;
  }();
  return logs;
}

const std::vector<json>& wide_run() {
  static const auto log = record_audit(wide_shards, wide_shards, 1767225600000);
  return log;
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
  };
  if (which == "runs")
    for (const auto& log : many_runs()) add(log);
  else
    add(wide_run());
  return *slot;
}

void replay_in_memory(benchmark::State& state, const std::vector<const std::vector<json>*>& logs) {
  size_t records = 0;
  for (auto* log : logs) records += log->size();
  for (auto _ : state) {
    for (auto* log : logs) {
      workflow::replayer r;
      for (const auto& rec : *log) r.feed(rec);
      if (!r.finish().identical()) state.SkipWithError("the replay diverged");
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records));
  state.counters["records"] = static_cast<double>(records);
}

void BM_Replayer_Runs(benchmark::State& state) {
  std::vector<const std::vector<json>*> logs;
  for (const auto& log : many_runs()) logs.push_back(&log);
  replay_in_memory(state, logs);
}

void BM_Replayer_Wide(benchmark::State& state) { replay_in_memory(state, {&wide_run()}); }

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
  state.counters["records"] = static_cast<double>(d.records);
}

void BM_VerifyLogOnly_Runs(benchmark::State& state) { verify_only(state, "runs"); }
void BM_VerifyAndReplay_Runs(benchmark::State& state) { verify_and_replay(state, "runs"); }
void BM_VerifyLogOnly_Wide(benchmark::State& state) { verify_only(state, "wide"); }
void BM_VerifyAndReplay_Wide(benchmark::State& state) { verify_and_replay(state, "wide"); }

BENCHMARK(BM_Replayer_Runs)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyLogOnly_Runs)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyAndReplay_Runs)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Replayer_Wide)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyLogOnly_Wide)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyAndReplay_Wide)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
