#include "telemetry/budget.h"

#include <cmath>

namespace casm::telemetry {

namespace {

constexpr double nanos_per_usd = 1e9;

// Amounts round up (never under-hold or under-count); caps to the nearest.
int64_t amount_nanos(double usd) {
  return static_cast<int64_t>(std::ceil(usd * nanos_per_usd - 1e-6));
}
int64_t cap_nanos(double usd) {
  return usd < 0 ? -1 : static_cast<int64_t>(std::llround(usd * nanos_per_usd));
}
double usd_of(int64_t nanos) {
  return static_cast<double>(nanos) / nanos_per_usd;
}

bool valid_amount(double usd) {
  return std::isfinite(usd) && usd >= 0 && usd < 1e9;  // under a billion dollars
}

}  // namespace

budget_ledger::budget_ledger(double fleet_cap_usd) {
  fleet_.cap = cap_nanos(fleet_cap_usd);
}

void budget_ledger::open_run(const std::string& run_id, double cap_usd) {
  std::lock_guard<std::mutex> lock(mu_);
  runs_[run_id].cap = cap_nanos(cap_usd);
}

void budget_ledger::set_provider_day_cap(const std::string& endpoint, double cap_usd) {
  std::lock_guard<std::mutex> lock(mu_);
  provider_caps_[endpoint] = cap_nanos(cap_usd);
  for (auto& [key, l] : provider_days_)
    if (key.first == endpoint) l.cap = cap_nanos(cap_usd);
}

budget_ledger::level& budget_ledger::provider_day_level(const std::string& endpoint,
                                                        const std::string& day) {
  auto [it, inserted] = provider_days_.try_emplace({endpoint, day});
  if (inserted) {
    auto cap = provider_caps_.find(endpoint);
    it->second.cap = cap == provider_caps_.end() ? -1 : cap->second;
  }
  return it->second;
}

void budget_ledger::add_prior_spend(const std::string& endpoint, const std::string& day,
                                    double usd) {
  if (!valid_amount(usd)) return;
  std::lock_guard<std::mutex> lock(mu_);
  provider_day_level(endpoint, day).spent += amount_nanos(usd);
}

messages::reservation_reply budget_ledger::reserve(const reserve_request& req) {
  messages::reservation_reply reply;
  if (!req.price_known) {
    reply.reason_code = "PRICE_UNKNOWN";
    return reply;
  }
  if (!valid_amount(req.worst_case_usd)) {
    reply.reason_code = "INVALID_AMOUNT";
    return reply;
  }
  const int64_t amount = amount_nanos(req.worst_case_usd);

  std::lock_guard<std::mutex> lock(mu_);
  auto refuse = [&](const char* lvl, const level& l) {
    reply.refused_level = lvl;
    reply.reason_code = "OVER_BUDGET";
    reply.available_usd = usd_of(l.cap - l.reserved - l.spent);
    return reply;
  };
  if (req.task_cap_usd >= 0 && amount > cap_nanos(req.task_cap_usd)) {
    reply.refused_level = "task";
    reply.reason_code = "OVER_BUDGET";
    reply.available_usd = req.task_cap_usd;
    return reply;
  }
  auto run = runs_.find(req.run_id);
  if (run == runs_.end()) {
    reply.refused_level = "run";
    reply.reason_code = "UNKNOWN_RUN";
    return reply;
  }
  if (!run->second.fits(amount)) return refuse("run", run->second);
  if (!fleet_.fits(amount)) return refuse("fleet", fleet_);
  level& day = provider_day_level(req.endpoint, req.day);
  if (!day.fits(amount)) return refuse("provider_day", day);

  run->second.reserved += amount;
  fleet_.reserved += amount;
  day.reserved += amount;
  hold h;
  h.amount = amount;
  h.info.id = next_id_++;
  h.info.run_id = req.run_id;
  h.info.task_id = req.task_id;
  h.info.endpoint = req.endpoint;
  h.info.model = req.model;
  h.info.day = req.day;
  h.info.amount_usd = usd_of(amount);
  reply.granted = true;
  reply.held = h.info;
  holds_.emplace(h.info.id, std::move(h));
  return reply;
}

reconcile_result budget_ledger::reconcile(uint64_t reservation_id, double actual_usd) {
  reconcile_result out;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = holds_.find(reservation_id);
  if (it == holds_.end()) return out;
  const hold h = it->second;
  holds_.erase(it);
  // A non-finite or negative actual cost is not money: count the whole hold.
  const int64_t actual = valid_amount(actual_usd) ? amount_nanos(actual_usd) : h.amount;
  level* levels[] = {&runs_[h.info.run_id], &fleet_,
                     &provider_day_level(h.info.endpoint, h.info.day)};
  for (level* l : levels) {
    l->reserved -= h.amount;
    l->spent += actual;
  }
  out.ok = true;
  out.reserved_usd = usd_of(h.amount);
  out.actual_usd = usd_of(actual);
  if (actual <= h.amount)
    out.released_usd = usd_of(h.amount - actual);
  else
    out.overrun_usd = usd_of(actual - h.amount);
  return out;
}

level_state budget_ledger::state_of(const level& l) const {
  level_state s;
  s.cap_usd = l.cap < 0 ? no_cap : usd_of(l.cap);
  s.reserved_usd = usd_of(l.reserved);
  s.spent_usd = usd_of(l.spent);
  return s;
}

level_state budget_ledger::run(const std::string& run_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(run_id);
  return it == runs_.end() ? level_state{} : state_of(it->second);
}

level_state budget_ledger::fleet() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_of(fleet_);
}

level_state budget_ledger::provider_day(const std::string& endpoint, const std::string& day) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = provider_days_.find({endpoint, day});
  if (it != provider_days_.end()) return state_of(it->second);
  level_state s;
  auto cap = provider_caps_.find(endpoint);
  if (cap != provider_caps_.end()) s.cap_usd = usd_of(cap->second);
  return s;
}

messages::budget_view budget_ledger::view(const std::string& run_id, const std::string& day) const {
  std::lock_guard<std::mutex> lock(mu_);
  messages::budget_view v;
  auto remaining = [](const level& l) {
    return l.cap < 0 ? no_cap : usd_of(l.cap - l.reserved - l.spent);
  };
  auto run = runs_.find(run_id);
  // An unknown run has nothing to spend.
  v.run_remaining_usd = run == runs_.end() ? 0 : remaining(run->second);
  v.fleet_remaining_usd = remaining(fleet_);
  for (const auto& [endpoint, cap] : provider_caps_) {
    auto it = provider_days_.find({endpoint, day});
    messages::endpoint_budget b;
    b.endpoint = endpoint;
    b.remaining_usd = it == provider_days_.end() ? usd_of(cap) : remaining(it->second);
    v.provider_day.push_back(std::move(b));
  }
  return v;
}

bool budget_ledger::invariant_holds() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto ok = [](const level& l) {
    return l.reserved >= 0 && l.spent >= 0 && (l.cap < 0 || l.reserved + l.spent <= l.cap);
  };
  if (!ok(fleet_)) return false;
  for (const auto& [id, l] : runs_)
    if (!ok(l)) return false;
  for (const auto& [key, l] : provider_days_)
    if (!ok(l)) return false;
  return true;
}

size_t budget_ledger::outstanding() const {
  std::lock_guard<std::mutex> lock(mu_);
  return holds_.size();
}

}  // namespace casm::telemetry
