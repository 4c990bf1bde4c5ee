#include "telemetry/circuit_breaker.h"

namespace casm::telemetry {

std::string_view to_string(breaker_state s) {
  switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
  }
  return "closed";
}

breaker_state circuit_breakers::state(const std::string& endpoint, int64_t now_ms) const {
  auto it = entries_.find(endpoint);
  if (it == entries_.end() || !it->second.open) return breaker_state::closed;
  if (now_ms - it->second.opened_at_ms >= config_.cooldown_ms) return breaker_state::half_open;
  return breaker_state::open;
}

bool circuit_breakers::allow(const std::string& endpoint, int64_t now_ms) {
  switch (state(endpoint, now_ms)) {
    case breaker_state::closed: return true;
    case breaker_state::open: return false;
    case breaker_state::half_open: {
      auto& e = entries_[endpoint];
      if (e.probe_in_flight) return false;
      e.probe_in_flight = true;
      return true;
    }
  }
  return false;
}

void circuit_breakers::record_success(const std::string& endpoint, int64_t) {
  entries_[endpoint] = entry{};
}

void circuit_breakers::record_failure(const std::string& endpoint, int64_t now_ms) {
  auto& e = entries_[endpoint];
  e.probe_in_flight = false;
  if (e.open) {
    // A failed probe (or a late failure while open) restarts the cooldown.
    e.opened_at_ms = now_ms;
    return;
  }
  if (++e.failures >= config_.failure_threshold) {
    e.open = true;
    e.opened_at_ms = now_ms;
  }
}

messages::breaker_view circuit_breakers::view(int64_t now_ms) const {
  messages::breaker_view v;
  for (const auto& [endpoint, e] : entries_) {
    const auto s = state(endpoint, now_ms);
    if (s == breaker_state::open || (s == breaker_state::half_open && e.probe_in_flight))
      v.open_endpoints.push_back(endpoint);
  }
  return v;
}

}  // namespace casm::telemetry
