// Recorded messages per second through a live supervisor: a driver actor
// keeps a window of requests in flight to the supervisor, which records each
// request and each reply (2 records per round trip) before delivering it.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/supervisor/run_store.h"
#include "actors/supervisor/supervisor.h"
#include "messages/protocol/interfaces.h"
#include "runtime/actor_boot.h"

namespace {

namespace fs = std::filesystem;
using namespace casm;

protocol::ingest_actor::behavior_type instant_ingest(protocol::ingest_actor::pointer) {
  return {[](const messages::ingest_request& r) {
    messages::ingest_result res;
    res.call_id = r.call_id;
    res.ok = true;
    res.head_commit = "28a3c2b39267ed10edd93ed7ff1c31fa4b90aff8";
    return res;
  }};
}

protocol::reporter_actor::behavior_type no_reporter(protocol::reporter_actor::pointer) {
  return {[](const messages::report_request&) { return messages::report_result{}; }};
}

// Sends `total` requests with at most `window` outstanding, then tells
// `done`.
void driver(caf::event_based_actor* self, protocol::supervisor_actor sup, int total, int window,
            caf::actor done) {
  auto sent = std::make_shared<int>(0);
  auto received = std::make_shared<int>(0);
  auto send_one = std::make_shared<std::function<void()>>();
  *send_one = [=] {
    int n = (*sent)++;
    messages::ingest_request req{"call-" + std::to_string(n), "/tmp/repo", "HEAD", ""};
    self->request(sup, caf::infinite, req).then([=](const messages::ingest_result&) {
      if (++*received == total) {
        self->send(done, true);
        *send_one = nullptr;  // break the self-reference so the handles are released
        self->quit();
      } else if (*sent < total) {
        (*send_one)();
      }
    });
  };
  for (int i = 0; i < window && *sent < total; ++i) (*send_one)();
}

void BM_SupervisorRecordedRoundTrips(benchmark::State& state) {
  const int total = 20000;
  const int window = static_cast<int>(state.range(0));
  auto home = fs::temp_directory_path() / ("casm-bench-sup-" + std::to_string(::getpid()));
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(home);
    supervisor::run_store store(home);
    store.create_run_dir("BENCH");
    runtime::casm_config cfg;
    caf::actor_system sys{cfg};
    supervisor::supervisor_config scfg;
    scfg.run_dir = store.run_dir("BENCH");
    scfg.run_id = "BENCH";
    scfg.max_inflight = static_cast<size_t>(window);
    supervisor::agent_set agents;
    agents.ingest = sys.spawn(instant_ingest);
    agents.reporter = sys.spawn(no_reporter);
    auto sup = sys.spawn<caf::detached>(supervisor::supervisor, scfg, agents);
    caf::scoped_actor self{sys};
    state.ResumeTiming();
    sys.spawn(driver, sup, total, window, caf::actor_cast<caf::actor>(self));
    self->receive([](bool) {});
    state.PauseTiming();
    self->send_exit(sup, caf::exit_reason::user_shutdown);
    self->send_exit(agents.ingest, caf::exit_reason::user_shutdown);
    self->send_exit(agents.reporter, caf::exit_reason::user_shutdown);
    state.ResumeTiming();
  }
  // Two records (request, reply) per round trip.
  state.SetItemsProcessed(state.iterations() * total * 2);
  fs::remove_all(home);
}

BENCHMARK(BM_SupervisorRecordedRoundTrips)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
