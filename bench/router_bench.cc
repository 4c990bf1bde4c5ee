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
//   accountant_actor   one reserve + reconcile as request/reply messages to
//                      the accountant actor (the path every run takes), from
//                      a blocking caller: two round trips per item
//   router_actor       one route_request to a run's router actor (budget
//                      view from the accountant, route(), reservation: three
//                      round trips), then its settle (reconcile)
#include <benchmark/benchmark.h>

#include <map>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/routing/accountant.h"
#include "actors/routing/router_actor.h"
#include "runtime/actor_boot.h"
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

std::shared_ptr<routing::accountant_core> bench_core() {
  static auto core = [] {
    auto c = routing::make_accountant_core({1e8, {{"openai", 1e8}}, {}});
    c->open_run({"run-1", 1e8});
    return c;
  }();
  return core;
}

void accountant_actor(benchmark::State& state) {
  runtime::casm_config cfg;
  caf::actor_system sys{cfg};
  auto acc = routing::spawn_accountant(sys, bench_core());
  caf::scoped_actor self{sys};
  messages::reserve_ask ask{"run-1", "t", "openai", "o4-mini", "2025-07-15", true, 0.0396, -1};
  for (auto _ : state) {
    messages::reservation_reply rr;
    self->request(acc, caf::infinite, ask).receive([&](messages::reservation_reply& r) { rr = r; },
                                                   [](caf::error&) { std::abort(); });
    self->request(acc, caf::infinite, messages::reconcile_ask{rr.held.id, "openai", 0.0308, true, false})
      .receive([](messages::reconcile_answer&) {}, [](caf::error&) { std::abort(); });
  }
  state.SetItemsProcessed(state.iterations());
  self->send_exit(acc, caf::exit_reason::user_shutdown);
}
BENCHMARK(accountant_actor)->UseRealTime();

// Many runs at once: 256 reservations in flight from one caller, then their
// 256 reconciles (what a fleet's parallel runs look like to the accountant).
void accountant_actor_pipelined(benchmark::State& state) {
  runtime::casm_config cfg;
  caf::actor_system sys{cfg};
  auto acc = routing::spawn_accountant(sys, bench_core());
  caf::scoped_actor self{sys};
  constexpr int batch = 256;
  messages::reserve_ask ask{"run-1", "t", "openai", "o4-mini", "2025-07-15", true, 0.0396, -1};
  std::vector<uint64_t> ids;
  ids.reserve(batch);
  for (auto _ : state) {
    ids.clear();
    for (int i = 0; i < batch; ++i) self->send(acc, ask);
    int got = 0;
    self->receive_for(got, batch)(
      [&](messages::reservation_reply& r) { ids.push_back(r.held.id); });
    for (auto id : ids) self->send(acc, messages::reconcile_ask{id, "openai", 0.0308, true, false});
    int n = 0;
    self->receive_for(n, batch)([](messages::reconcile_answer&) {});
  }
  state.SetItemsProcessed(state.iterations() * batch);
  self->send_exit(acc, caf::exit_reason::user_shutdown);
}
BENCHMARK(accountant_actor_pipelined)->UseRealTime();

void router_actor(benchmark::State& state) {
  runtime::casm_config cfg;
  caf::actor_system sys{cfg};
  auto acc = routing::spawn_accountant(sys, bench_core());
  auto router = routing::spawn_router(sys, acc, registry());
  caf::scoped_actor self{sys};
  messages::route_request q;
  q.call_id = "c";
  q.run_id = "run-1";
  q.day = "2025-07-15";
  q.strategy = "cost_aware_quality_floor";
  q.task = task();
  q.constraints.providers = {"openai"};
  for (auto _ : state) {
    messages::route_result r;
    self->request(router, caf::infinite, q).receive([&](messages::route_result& x) { r = std::move(x); },
                                                    [](caf::error&) { std::abort(); });
    if (!r.reservation.granted) std::abort();
    messages::settle_request s;
    s.call_id = "s";
    s.run_id = "run-1";
    s.reservation_id = r.reservation.held.id;
    s.endpoint = r.decision.selected.endpoint;
    s.model = r.decision.selected.model;
    s.ok = true;
    s.usage_present = true;
    s.tokens = {20000, 5000, 0, 1500};
    self->request(router, caf::infinite, s).receive([](messages::settle_result&) {},
                                                    [](caf::error&) { std::abort(); });
  }
  state.SetItemsProcessed(state.iterations());
  self->send_exit(router, caf::exit_reason::user_shutdown);
  self->send_exit(acc, caf::exit_reason::user_shutdown);
}
BENCHMARK(router_actor)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
