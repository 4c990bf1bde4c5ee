// Run log throughput: appends per second with and without an fsync per
// record, and chain verification per second. Payloads are the size of a
// typical recorded message (~300 bytes of JSON).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>

#include "actors/supervisor/run_log_reader.h"
#include "actors/supervisor/run_log_writer.h"

namespace {

namespace fs = std::filesystem;
using casm::supervisor::record_fields;
using casm::supervisor::run_log_writer;

fs::path fresh_dir() {
  auto dir = fs::temp_directory_path() / ("casm-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

record_fields sample(int64_t i) {
  return record_fields{"2026-11-21T23:48:41.435Z", "input", "ingest", "coordinator",
                       "ingest.completed",
                       nlohmann::json{{"call_id", "01M80866AR01GKW965C5GQRQCD"},
                                      {"ok", true},
                                      {"head_commit", "28a3c2b39267ed10edd93ed7ff1c31fa4b90aff8"},
                                      {"file_count", i},
                                      {"repo_path", "/tmp/demo/"}}};
}

void append(benchmark::State& state, bool sync_each) {
  auto dir = fresh_dir();
  std::string error;
  auto w = run_log_writer::open(dir / "events.jsonl", "01M80866ARXNR57WXE1V5VJ661", nullptr, &error);
  int64_t i = 0;
  for (auto _ : state) {
    w->append(sample(++i));
    if (sync_each) w->sync();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(w->bytes()));
  w.reset();
  fs::remove_all(dir);
}

void BM_LogAppend_NoSync(benchmark::State& state) { append(state, false); }
void BM_LogAppend_FsyncEachRecord(benchmark::State& state) { append(state, true); }

void BM_LogVerify(benchmark::State& state) {
  auto dir = fresh_dir();
  std::string error;
  {
    auto w = run_log_writer::open(dir / "events.jsonl", "01M80866ARXNR57WXE1V5VJ661", nullptr, &error);
    for (int64_t i = 0; i < state.range(0); ++i) w->append(sample(i));
  }
  for (auto _ : state) {
    auto v = casm::supervisor::verify_log(dir / "events.jsonl");
    if (!v.ok || v.records != static_cast<uint64_t>(state.range(0))) state.SkipWithError("bad log");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  fs::remove_all(dir);
}

BENCHMARK(BM_LogAppend_NoSync)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LogAppend_FsyncEachRecord)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LogVerify)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
