// Router decisions per second and accountant reservations per second.
//
//   route/<strategy>   one routing decision on the shipped registry
//                      (reasoning_low: 4 candidates, every estimate, reject
//                      reasons, ranking)
//   route_json         the same decision, plus its JSON form as logged
//   ledger             one reserve + reconcile on a budget_ledger with run,
//                      fleet and provider-per-day caps, from 1 and 2 threads
//                      (one mutex: the second figure shows the contention)
//   ledger_vs_map      the peer: the same bookkeeping as bare std::map
//                      updates, no mutex, no levels checked (the floor)
#include <benchmark/benchmark.h>

#include <map>
#include <vector>

#include "runtime/embedded_config.h"
#include "telemetry/budget.h"
#include "telemetry/cost.h"
#include "telemetry/prices.h"
#include "telemetry/router.h"

namespace {

using namespace casm;

const messages::price_registry& registry() {
  static const messages::price_registry reg = [] {
    messages::price_registry r;
    std::vector<codec::config_error> errors;
    const auto* f = runtime::find_embedded("prices.yaml");
    if (!f || !telemetry::parse_price_registry("prices.yaml", f->content, r, errors)) std::abort();
    return r;
  }();
  return reg;
}

messages::routing_task task() {
  messages::routing_task t;
  t.task_id = "review-1";
  t.task_type = "review";
  t.stage = "analyze";
  t.profile = "reasoning_low";
  t.estimated_input_tokens = 20000;
  t.estimated_output_tokens = 2000;
  t.max_output_tokens = 4000;
  return t;
}

void route(benchmark::State& state) {
  const auto strat = static_cast<telemetry::strategy>(state.range(0));
  const auto& reg = registry();
  const auto t = task();
  messages::routing_constraints constraints;
  messages::budget_view budget;
  budget.run_remaining_usd = 3.5;
  budget.provider_day.push_back({"openai", 10.0});
  messages::breaker_view breakers;
  for (auto _ : state) {
    auto d = telemetry::route(t, strat, reg, reg.profiles, budget, breakers, constraints);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(telemetry::to_string(strat)));
}
BENCHMARK(route)->DenseRange(0, 3);

void route_json(benchmark::State& state) {
  const auto& reg = registry();
  const auto t = task();
  for (auto _ : state) {
    auto d = telemetry::route(t, telemetry::strategy::cost_aware_quality_floor, reg, reg.profiles,
                              {}, {}, {});
    auto text = nlohmann::json(d).dump();
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(route_json);

telemetry::budget_ledger& shared_ledger() {
  static telemetry::budget_ledger ledger(1e8);
  static bool init = [] {
    ledger.open_run("run-1", 1e8);
    ledger.set_provider_day_cap("openai", 1e8);
    return true;
  }();
  (void)init;
  return ledger;
}

void ledger(benchmark::State& state) {
  auto& l = shared_ledger();
  telemetry::reserve_request rq;
  rq.run_id = "run-1";
  rq.endpoint = "openai";
  rq.model = "o4-mini";
  rq.day = "2025-07-15";
  rq.worst_case_usd = 0.0396;
  for (auto _ : state) {
    auto r = l.reserve(rq);
    auto rec = l.reconcile(r.held.id, 0.0308);
    benchmark::DoNotOptimize(rec);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ledger)->Threads(1)->Threads(2)->UseRealTime();

void ledger_vs_map(benchmark::State& state) {
  std::map<uint64_t, int64_t> holds;
  int64_t reserved = 0, spent = 0;
  uint64_t id = 0;
  for (auto _ : state) {
    holds.emplace(++id, 39600000);
    reserved += 39600000;
    auto it = holds.find(id);
    reserved -= it->second;
    spent += 30800000;
    holds.erase(it);
    benchmark::DoNotOptimize(spent);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ledger_vs_map);

}  // namespace

BENCHMARK_MAIN();
