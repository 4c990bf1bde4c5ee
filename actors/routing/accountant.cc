#include "actors/routing/accountant.h"

#include <chrono>

#include <caf/typed_event_based_actor.hpp>

namespace casm::routing {

using namespace casm::messages;

accountant_core::accountant_core(accountant_config cfg)
    : ledger_(cfg.fleet_cap_usd), breakers_(cfg.breakers) {
  for (const auto& [endpoint, cap] : cfg.provider_day_caps) ledger_.set_provider_day_cap(endpoint, cap);
}

int64_t accountant_core::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

bool accountant_core::open_run(const budget_open& o) {
  ledger_.open_run(o.run_id, o.cap_usd >= 0 ? o.cap_usd : telemetry::no_cap);
  return true;
}

budget_snapshot accountant_core::snapshot(const budget_query& q) {
  budget_snapshot s;
  s.budget = ledger_.view(q.run_id, q.day);
  std::lock_guard<std::mutex> lock(breakers_mu_);
  s.breakers = breakers_.view(now_ms());
  return s;
}

reservation_reply accountant_core::reserve(const reserve_ask& a) {
  telemetry::reserve_request r;
  r.run_id = a.run_id;
  r.task_id = a.task_id;
  r.endpoint = a.endpoint;
  r.model = a.model;
  r.day = a.day;
  r.price_known = a.price_known;
  r.worst_case_usd = a.worst_case_usd;
  r.task_cap_usd = a.task_cap_usd > 0 ? a.task_cap_usd : telemetry::no_cap;
  {
    // A call may start only on an endpoint whose breaker lets it: a
    // half-open breaker lets exactly one probe through.
    std::lock_guard<std::mutex> lock(breakers_mu_);
    if (!breakers_.allow(a.endpoint, now_ms())) {
      reservation_reply refused;
      refused.reason_code = "CIRCUIT_OPEN";
      refused.refused_level = "provider";
      return refused;
    }
  }
  return ledger_.reserve(r);
}

reconcile_answer accountant_core::reconcile(const reconcile_ask& a) {
  reconcile_answer out;
  auto r = ledger_.reconcile(a.reservation_id, a.actual_usd);
  out.ok = r.ok;
  out.reserved_usd = r.reserved_usd;
  out.actual_usd = r.actual_usd;
  out.released_usd = r.released_usd;
  out.overrun_usd = r.overrun_usd;
  std::lock_guard<std::mutex> lock(breakers_mu_);
  const int64_t now = now_ms();
  if (!a.endpoint.empty()) {
    if (a.call_ok) breakers_.record_success(a.endpoint, now);
    else if (a.trips_breaker) breakers_.record_failure(a.endpoint, now);
    out.breaker_state = std::string(telemetry::to_string(breakers_.state(a.endpoint, now)));
  }
  return out;
}

budget_levels accountant_core::levels(const std::string& run_id) const {
  budget_levels l;
  auto f = ledger_.fleet();
  l.fleet_cap_usd = f.cap_usd;
  l.fleet_reserved_usd = f.reserved_usd;
  l.fleet_spent_usd = f.spent_usd;
  auto r = ledger_.run(run_id);
  l.run_cap_usd = r.cap_usd;
  l.run_reserved_usd = r.reserved_usd;
  l.run_spent_usd = r.spent_usd;
  l.outstanding = ledger_.outstanding();
  l.invariant_holds = ledger_.invariant_holds();
  return l;
}

std::shared_ptr<accountant_core> make_accountant_core(accountant_config cfg) {
  return std::make_shared<accountant_core>(std::move(cfg));
}

protocol::accountant_actor spawn_accountant(caf::actor_system& sys,
                                            std::shared_ptr<accountant_core> core) {
  return sys.spawn([core](protocol::accountant_actor::pointer) -> protocol::accountant_actor::behavior_type {
    return {
      [core](const budget_open& o) { return core->open_run(o); },
      [core](const budget_query& q) { return core->snapshot(q); },
      [core](const reserve_ask& a) { return core->reserve(a); },
      [core](const reconcile_ask& a) { return core->reconcile(a); },
      [core](const std::string& run_id) { return core->levels(run_id); },
    };
  });
}

}  // namespace casm::routing
