// The router's decisions, as pure functions of their inputs: which model a
// task gets, every candidate considered with its estimates and reject
// reasons, and what to do when a call fails. Deterministic (same inputs, same
// decision, including ties), so replay re-runs it and compares.
//
// Strategies (constraints_applied says which constraints bind):
//   cost_aware_quality_floor  cheapest model at or above the quality floor (default)
//   quality_first             highest quality
//   budget_first              cheapest, quality floor not applied
//   latency_first             lowest latency estimate
// The budget always binds; the latency SLO binds when set (> 0); the quality
// floor binds for every strategy but budget_first.
//
// Ties break by: the strategy's key, then lower cost, higher quality, lower
// latency, then provider and model names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/data/routing.h"

namespace casm::telemetry {

enum class strategy { cost_aware_quality_floor, quality_first, budget_first, latency_first };
std::string_view to_string(strategy s);
std::optional<strategy> parse_strategy(std::string_view name);

// routing_decisions.json routing_strategy.version.
constexpr std::string_view router_version = "casm-router-0.1";

// Reject reasons, in the order they are listed on a candidate.
namespace reject {
constexpr const char* already_tried = "ALREADY_TRIED";  // excluded by a fallback
constexpr const char* provider_not_allowed = "PROVIDER_NOT_ALLOWED";
constexpr const char* price_unknown = "PRICE_UNKNOWN";
constexpr const char* context_too_long = "CONTEXT_TOO_LONG";
constexpr const char* circuit_open = "CIRCUIT_OPEN";
constexpr const char* below_quality_floor = "BELOW_QUALITY_FLOOR";
constexpr const char* over_latency_slo = "OVER_LATENCY_SLO";
constexpr const char* over_budget = "OVER_BUDGET";
}  // namespace reject

// Candidates come from the task's profile. With constraints.providers given,
// only those providers' models qualify. The offline provider qualifies only
// when constraints.offline is set, and then it is the only one: it is never a
// silent fallback. A model without a known price is never selected. A
// candidate is over budget when its worst case (input tokens + max output
// tokens at the model's prices) does not fit the smallest remaining amount
// among the task cap, the run, the fleet and its endpoint's day.
messages::routing_decision route(const messages::routing_task& task, strategy strat,
                                 const messages::price_registry& prices,
                                 const std::vector<messages::model_profile>& profiles,
                                 const messages::budget_view& budget,
                                 const messages::breaker_view& breakers,
                                 const messages::routing_constraints& constraints);

// What went wrong with a call, as the fallbacks name it.
enum class failure_kind { timeout, provider_error, over_budget, low_quality };
std::string_view to_string(failure_kind k);
std::optional<failure_kind> parse_failure_kind(std::string_view name);

// The failure a connector error means (model_reply::error_kind):
// timeout -> timeout; rate_limited, server_error, network_error, auth_error,
// malformed_response -> provider_error; empty_content, truncated, bad_request
// -> low_quality. nullopt for "" (no error).
std::optional<failure_kind> failure_of(std::string_view model_error_kind);
// Whether the error counts against the endpoint's circuit breaker (the
// provider is unwell, not the request).
bool trips_breaker(std::string_view model_error_kind);

struct fallback_step {
  std::string on;      // timeout | provider_error | over_budget | low_quality
  std::string action;  // downgrade_model | switch_provider | reduce_scope | stop |
                       // upgrade_profile | escalate_hitl
  bool has_next = false;
  messages::candidate next;  // the model to call next, from the decision's eligible candidates
  std::string next_profile;  // set when the caller must route again with this profile
  std::string reason_code;   // e.g. FALLBACK_TIMEOUT_DOWNGRADE_MODEL
  std::string failed_model;  // the model whose failure this step answers
  std::string failed_endpoint;
};

// The next step after `failed_model` failed with `kind`, given the steps
// already taken for this task. The template's rules for `kind` are used in
// order (defaults: timeout -> downgrade_model, provider_error ->
// switch_provider, over_budget -> reduce_scope, low_quality ->
// upgrade_profile); once they are used up, a repeatable action
// (downgrade_model, switch_provider, upgrade_profile) repeats and any other
// becomes stop. downgrade_model picks a cheaper eligible candidate, else
// names the next lower profile, else stops; switch_provider picks the best
// eligible candidate on an endpoint that has not failed, else stops;
// upgrade_profile names the next higher profile, and past reasoning_high
// escalates to HITL. No step ever picks the offline provider unless the
// decision was offline.
fallback_step next_fallback(const messages::routing_decision& decision,
                            std::string_view failed_model, failure_kind kind,
                            const std::vector<messages::fallback_rule>& template_fallbacks,
                            const std::vector<fallback_step>& taken = {});

}  // namespace casm::telemetry
