// The messages of routed model work inside a run: what the coordinator asks
// the router, the model connector and the cost accountant, and what they
// answer. Plain data; recorded in the run log like every workflow message
// (docs/events.md), so replay re-runs the router on the recorded budget and
// breaker views and compares its decision, and never calls a provider.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/data/fields.h"
#include "messages/data/model_call.h"
#include "messages/data/routing.h"

namespace casm::messages {

// How the run routes its model tasks; recorded in run_start. The default is
// offline: only the offline provider (`other` / `casm-offline`), no spend.
struct routing_setup {
  bool enabled = false;  // the workflow has model tasks (analyze, apply)
  std::string strategy = "cost_aware_quality_floor";
  routing_constraints constraints;  // constraints.offline by default
  price_registry prices;            // the registry, override merged, as pinned
  std::string day;                  // YYYY-MM-DD (UTC): the provider-per-day budget key
  std::string reviewer_profile = "reasoning_low";
  std::string fixer_profile = "code_mid";
  bool reviewer_enabled = true;
  bool fixer_enabled = true;
  uint64_t review_excerpt_bytes = 12000;  // code sent per shard, before any reduce_scope
  uint64_t review_max_output_tokens = 1024;
  uint64_t fix_max_output_tokens = 2048;
  int64_t call_timeout_ms = 60000;  // one attempt
  uint32_t max_attempts = 3;        // connector retries (429, 5xx, network)
};

// coordinator -> router: route one task (and reserve its worst case).
struct route_request {
  std::string call_id;
  std::string run_id;
  std::string day;
  std::string strategy;
  routing_task task;
  routing_constraints constraints;
};

// router -> coordinator. `budget` and `breakers` are what the decision was
// made on; the coordinator runs telemetry::route() on them again and must
// get the same decision. `reservation` is the accountant's answer for the
// selected model (not asked for the offline provider: it holds no money).
struct route_result {
  std::string call_id;
  bool ok = false;
  std::string error;
  routing_decision decision;
  budget_view budget;
  breaker_view breakers;
  bool reservation_asked = false;
  reservation_reply reservation;
};

// coordinator -> connector: one model call under a granted reservation.
struct model_call {
  std::string call_id;
  std::string task_id;
  std::string endpoint;
  uint64_t reservation_id = 0;
  int64_t timeout_ms = 60000;
  uint32_t max_attempts = 3;
  model_request request;
};

// coordinator -> accountant (through the router): the call is over; replace
// the hold with the actual cost of its usage, and tell the breaker.
struct settle_request {
  std::string call_id;
  std::string run_id;
  std::string task_id;
  uint64_t reservation_id = 0;
  std::string endpoint;
  std::string model;           // the model reserved for (its price applies)
  std::string answered_model;  // the model the provider says answered
  bool ok = false;
  std::string error_kind;
  bool usage_present = false;
  usage tokens;
};

struct settle_result {
  std::string call_id;
  bool ok = false;  // false: the reservation was unknown
  std::string error;
  double reserved_usd = 0;
  cost_figure actual;
  double released_usd = 0;
  double overrun_usd = 0;
  std::string breaker_state;  // closed | open | half_open after this call
};

// A fallback taken for a task (recorded; never silent).
struct fallback_note {
  std::string task_id;
  std::string on;
  std::string action;
  std::string reason_code;
  std::string failed_model;
  std::string failed_endpoint;
  std::string next_model;    // the candidate the fallback names, if any
  std::string next_profile;  // when it routes again with another profile
  std::string detail;
};

// What the coordinator made of a model's answer.
struct output_check {
  std::string call_id;
  std::string task_id;
  std::string model;
  bool accepted = false;
  std::string reason;  // why it was rejected
  uint64_t items = 0;  // issues parsed, or files the diff touches
};

// An issue a model reported (review), as accepted.
struct model_issue {
  std::string task_id;
  std::string model;
  std::string path;
  uint32_t line = 0;
  std::string severity;
  std::string message;
};

// One model call as it happened, for the report and the artifacts.
struct call_record {
  std::string call_id;
  std::string task_id;
  std::string task_type;
  std::string stage;
  std::string provider;
  std::string endpoint;
  std::string model;           // reserved and priced
  std::string answered_model;  // as the provider said
  bool ok = false;
  std::string error_kind;
  usage tokens;
  bool usage_present = false;
  cost_figure cost;
  double reserved_usd = 0;
  int64_t latency_ms = 0;
  uint32_t attempts = 0;
  std::string output;  // accepted | rejected: <why> | "" (no content)
};

// Everything the reporter needs for routing_decisions.json, cost_forecast.json,
// cost_report.md and run_summary.json (rendered by the coordinator, as text).
struct routing_report {
  std::string routing_decisions;  // routing_decisions.json
  std::string cost_forecast;      // cost_forecast.json
  std::string cost_report;        // cost_report.md
  std::string run_summary;        // run_summary.json
  std::string model_patch;        // model_patch.diff ("" for none)
};

CASM_JSON(routing_setup, enabled, strategy, constraints, prices, day, reviewer_profile,
          fixer_profile, reviewer_enabled, fixer_enabled, review_excerpt_bytes,
          review_max_output_tokens, fix_max_output_tokens, call_timeout_ms, max_attempts)
CASM_JSON(route_request, call_id, run_id, day, strategy, task, constraints)
CASM_JSON(route_result, call_id, ok, error, decision, budget, breakers, reservation_asked,
          reservation)
CASM_JSON(model_call, call_id, task_id, endpoint, reservation_id, timeout_ms, max_attempts, request)
CASM_JSON(settle_request, call_id, run_id, task_id, reservation_id, endpoint, model,
          answered_model, ok, error_kind, usage_present, tokens)
CASM_JSON(settle_result, call_id, ok, error, reserved_usd, actual, released_usd, overrun_usd,
          breaker_state)
CASM_JSON(fallback_note, task_id, on, action, reason_code, failed_model, failed_endpoint,
          next_model, next_profile, detail)
CASM_JSON(output_check, call_id, task_id, model, accepted, reason, items)
CASM_JSON(model_issue, task_id, model, path, line, severity, message)
CASM_JSON(call_record, call_id, task_id, task_type, stage, provider, endpoint, model,
          answered_model, ok, error_kind, tokens, usage_present, cost, reserved_usd, latency_ms,
          attempts, output)
CASM_JSON(routing_report, routing_decisions, cost_forecast, cost_report, run_summary, model_patch)

// --- the cost accountant's protocol (one accountant per process) -----------

// Opens a run's budget (its cap, or < 0 for none; 0 is a cap of nothing)
// before it reserves.
struct budget_open {
  std::string run_id;
  double cap_usd = -1;
};

// The money left for a run on a day, and the endpoints whose breaker is open.
struct budget_query {
  std::string run_id;
  std::string day;
};
struct budget_snapshot {
  budget_view budget;
  breaker_view breakers;
};

// A hold on the worst case of one call. The accountant also asks the
// endpoint's breaker (a half-open breaker lets one probe through).
struct reserve_ask {
  std::string run_id;
  std::string task_id;
  std::string endpoint;
  std::string model;
  std::string day;
  bool price_known = true;
  double worst_case_usd = 0;
  double task_cap_usd = -1;
};

// The call is over: replace the hold with `actual_usd`; `ok` / `trips`
// feed the endpoint's breaker.
struct reconcile_ask {
  uint64_t reservation_id = 0;
  std::string endpoint;
  double actual_usd = 0;
  bool call_ok = false;
  bool trips_breaker = false;
};
struct reconcile_answer {
  bool ok = false;
  double reserved_usd = 0;
  double actual_usd = 0;
  double released_usd = 0;
  double overrun_usd = 0;
  std::string breaker_state;
};

// A level's money, for `casm cost`, benches and fleet reports.
struct budget_levels {
  double fleet_cap_usd = -1;
  double fleet_reserved_usd = 0;
  double fleet_spent_usd = 0;
  double run_cap_usd = -1;
  double run_reserved_usd = 0;
  double run_spent_usd = 0;
  uint64_t outstanding = 0;
  bool invariant_holds = true;
};

CASM_JSON(budget_open, run_id, cap_usd)
CASM_JSON(budget_query, run_id, day)
CASM_JSON(budget_snapshot, budget, breakers)
CASM_JSON(reserve_ask, run_id, task_id, endpoint, model, day, price_known, worst_case_usd,
          task_cap_usd)
CASM_JSON(reconcile_ask, reservation_id, endpoint, actual_usd, call_ok, trips_breaker)
CASM_JSON(reconcile_answer, ok, reserved_usd, actual_usd, released_usd, overrun_usd, breaker_state)
CASM_JSON(budget_levels, fleet_cap_usd, fleet_reserved_usd, fleet_spent_usd, run_cap_usd,
          run_reserved_usd, run_spent_usd, outstanding, invariant_holds)

}  // namespace casm::messages
