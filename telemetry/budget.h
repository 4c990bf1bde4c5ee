// The cost accountant's state: hierarchical budgets and reservations. The
// accountant actor wraps one budget_ledger; nothing else grants money.
//
// Levels, each optional: task (a cap carried by the request), run (per
// run_id), fleet (the whole ledger), provider per day (per endpoint and a day
// string the caller gives, e.g. "2025-07-15"). A call may start only with a
// granted reservation of its worst case, and a reservation is granted only if
// it fits every level. After the call, reconcile() replaces the hold with the
// actual cost and releases the difference.
//
// Invariant, at every level with a cap and at all times:
//     reserved + spent <= cap
// It holds as long as an actual cost never exceeds its reservation (the
// worst case makes sure of that); an overrun is still recorded as spent,
// because the money is gone, and reconcile() reports it.
//
// Money is kept in integer nano-dollars: reservations and spend round up,
// caps to the nearest nano-dollar, so the invariant is checked exactly.
// Thread-safe: one mutex guards the state (the actor serializes anyway).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "messages/data/routing.h"

namespace casm::telemetry {

constexpr double no_cap = -1;

struct reserve_request {
  std::string run_id;
  std::string task_id;
  std::string endpoint;
  std::string model;
  std::string day;            // the provider-per-day key
  bool price_known = true;    // an unknown price can never be reserved
  double worst_case_usd = 0;  // telemetry::worst_case_cost()
  double task_cap_usd = no_cap;
};

struct reconcile_result {
  bool ok = false;  // false: no such outstanding reservation (unknown id, or already reconciled)
  double reserved_usd = 0;
  double actual_usd = 0;
  double released_usd = 0;  // reserved - actual, when positive
  double overrun_usd = 0;   // actual - reserved, when positive: a broken worst case
};

struct level_state {
  double cap_usd = no_cap;  // negative: no cap
  double reserved_usd = 0;
  double spent_usd = 0;
  double remaining_usd() const { return cap_usd < 0 ? no_cap : cap_usd - reserved_usd - spent_usd; }
};

class budget_ledger {
public:
  explicit budget_ledger(double fleet_cap_usd = no_cap);

  // A run must be opened before it can reserve (unknown runs are refused).
  void open_run(const std::string& run_id, double cap_usd = no_cap);
  void set_provider_day_cap(const std::string& endpoint, double cap_usd);
  // Spend of an earlier process on that endpoint and day (from recorded runs).
  void add_prior_spend(const std::string& endpoint, const std::string& day, double usd);

  messages::reservation_reply reserve(const reserve_request& req);
  reconcile_result reconcile(uint64_t reservation_id, double actual_usd);
  // The call never ran: release the whole hold.
  reconcile_result release(uint64_t reservation_id) { return reconcile(reservation_id, 0); }

  level_state run(const std::string& run_id) const;
  level_state fleet() const;
  level_state provider_day(const std::string& endpoint, const std::string& day) const;
  // What the router needs: remaining money per level for this run and day.
  messages::budget_view view(const std::string& run_id, const std::string& day) const;

  bool invariant_holds() const;
  size_t outstanding() const;

private:
  struct level {
    int64_t cap = -1;  // nano-dollars; negative: no cap
    int64_t reserved = 0;
    int64_t spent = 0;
    bool fits(int64_t amount) const { return cap < 0 || amount <= cap - reserved - spent; }
  };
  struct hold {
    messages::reservation info;
    int64_t amount = 0;
  };

  level_state state_of(const level& l) const;
  level& provider_day_level(const std::string& endpoint, const std::string& day);

  mutable std::mutex mu_;
  level fleet_;
  std::map<std::string, level> runs_;
  std::map<std::string, int64_t> provider_caps_;  // endpoint -> cap per day
  std::map<std::pair<std::string, std::string>, level> provider_days_;
  std::map<uint64_t, hold> holds_;
  uint64_t next_id_ = 1;
};

}  // namespace casm::telemetry
