// One circuit breaker per provider endpoint, with a cooldown. Pure state
// machine: the caller passes the time (recorded, so replay gives the same
// answers). Not thread-safe: the router actor owns it.
//
//   closed --(failure_threshold consecutive failures)--> open
//   open   --(cooldown_ms elapsed)--> half_open: one probe call is allowed
//   half_open --probe succeeds--> closed;  --probe fails--> open (cooldown again)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "messages/data/routing.h"

namespace casm::telemetry {

enum class breaker_state { closed, open, half_open };
std::string_view to_string(breaker_state s);

struct breaker_config {
  uint32_t failure_threshold = 3;
  int64_t cooldown_ms = 30000;
};

class circuit_breakers {
public:
  explicit circuit_breakers(breaker_config config = {}) : config_(config) {}

  // May a call to `endpoint` start now? In half_open, true once (the probe).
  bool allow(const std::string& endpoint, int64_t now_ms);
  void record_success(const std::string& endpoint, int64_t now_ms);
  void record_failure(const std::string& endpoint, int64_t now_ms);

  breaker_state state(const std::string& endpoint, int64_t now_ms) const;
  // The endpoints the router must not pick now: open ones, and half-open
  // ones whose probe is in flight.
  messages::breaker_view view(int64_t now_ms) const;

private:
  struct entry {
    uint32_t failures = 0;
    bool open = false;
    int64_t opened_at_ms = 0;
    bool probe_in_flight = false;
  };
  breaker_config config_;
  std::map<std::string, entry> entries_;
};

}  // namespace casm::telemetry
