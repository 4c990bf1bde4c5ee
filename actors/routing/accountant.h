// The cost accountant: the single budget authority of a process.
//
// Its state is an accountant_core (a telemetry::budget_ledger, thread-safe,
// plus one circuit breaker per provider endpoint behind a mutex). There is
// one core per process: a single `casm run` makes its own, and a fleet makes
// one with its cap and hands it to every run, so every run of the fleet
// reserves against the same fleet, run and provider-day levels. The actor is
// a shell over the core (each run's actor system spawns one over the shared
// core), so a reservation is granted only if it fits every level, whichever
// run asks.
//
// Fleet use:
//   auto core = casm::routing::make_accountant_core({.fleet_cap_usd = 10.0});
//   for each run: casm::runtime::drive_run(scfg, start, home, {core});
// or, with one actor system for all runs:
//   auto acc = casm::routing::spawn_accountant(sys, core);
//   // pass `acc` to spawn_router() of each run
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor_system.hpp>

#include "messages/protocol/interfaces.h"
#include "telemetry/budget.h"
#include "telemetry/circuit_breaker.h"

namespace casm::routing {

struct accountant_config {
  double fleet_cap_usd = telemetry::no_cap;         // < 0: no fleet cap
  std::map<std::string, double> provider_day_caps;  // endpoint -> USD per day
  telemetry::breaker_config breakers;
};

class accountant_core {
public:
  explicit accountant_core(accountant_config cfg);

  bool open_run(const messages::budget_open& o);
  messages::budget_snapshot snapshot(const messages::budget_query& q);
  messages::reservation_reply reserve(const messages::reserve_ask& a);
  messages::reconcile_answer reconcile(const messages::reconcile_ask& a);
  messages::budget_levels levels(const std::string& run_id) const;

  telemetry::budget_ledger& ledger() { return ledger_; }

private:
  static int64_t now_ms();
  telemetry::budget_ledger ledger_;
  std::mutex breakers_mu_;
  telemetry::circuit_breakers breakers_;
};

std::shared_ptr<accountant_core> make_accountant_core(accountant_config cfg = {});

// The actor over `core` (event-based: every operation is a short critical
// section, no I/O).
protocol::accountant_actor spawn_accountant(caf::actor_system& sys,
                                            std::shared_ptr<accountant_core> core);

}  // namespace casm::routing
