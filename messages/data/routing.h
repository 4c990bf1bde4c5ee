// The router's and the cost accountant's vocabulary: the price registry and
// model profiles (config/prices.yaml), what a task asks of the router, the
// decision it gets back, budget reservations, token usage and labelled cost
// figures. Plain data (no CAF); the JSON forms come from one field list each
// (fields.h). The logic lives in telemetry/ (prices, cost, router, budget).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/data/fields.h"
#include "messages/data/manifest.h"

namespace casm::messages {

// Truth labels (from runcap): how much a figure can be trusted. They live in
// cost_report.md, run_summary.json and `explain`, never in the proof
// artifacts (DESIGN.md, Conventions). Ordered strongest first.
namespace truth {
constexpr const char* measured = "measured";      // observed: provider usage, a clock
constexpr const char* calculated = "calculated";  // derived from measured values and config prices
constexpr const char* simulated = "simulated";    // the offline provider's stand-in figures
constexpr const char* unknown = "unknown";        // no price, or no usage: never shown as $0
}  // namespace truth

// A connector endpoint: how to reach a provider. Keys are read from the
// environment at call time, by the name held here, and never stored.
struct provider_entry {
  std::string name;              // openai | anthropic | kimi | deepseek | offline
  std::string api;               // openai_chat | anthropic_messages | offline
  std::string base_url;          // the default; base_url_env overrides it
  std::string base_url_env;      // e.g. OPENAI_BASE_URL
  std::string api_key_env;       // e.g. OPENAI_API_KEY (the NAME, never the key)
  std::string max_tokens_field;  // OpenAI-compatible: max_tokens | max_completion_tokens
};

// One model's prices, in USD per million tokens. Prices are config, not truth:
// `source` and `verified` say where they came from and when.
struct price_entry {
  std::string provider;  // the proof artifacts' vocabulary: openai | anthropic | kimi | hf | other
  std::string endpoint;  // a provider_entry name: the connector, breaker and daily budget key
  std::string model;
  bool price_known = true;  // false: priced "unknown", never $0, never reservable
  double price_in_per_1m = 0;
  double price_out_per_1m = 0;
  double price_cache_read_per_1m = 0;
  double price_cache_write_per_1m = 0;  // Anthropic cache creation; defaults to price_in
  uint64_t context_tokens = 0;
  uint64_t max_output_tokens = 0;
  std::string source;                     // the pricing page
  std::string verified;                   // YYYY-MM-DD
  std::string truth = truth::calculated;  // "simulated" for the offline provider
};

// A model a profile may use, with estimates (not measurements).
struct profile_candidate {
  std::string model;
  std::string provider;  // only needed for a model the registry does not price
  double quality = 0;    // expected confidence in [0, 1]
  int64_t latency_ms = 0;
};

struct model_profile {
  std::string name;  // cheap | code_mid | reasoning_low | reasoning_high
  std::vector<profile_candidate> candidates;
};

struct price_registry {
  std::string registry_version;
  std::string currency = "USD";
  std::string prices_as_of;  // YYYY-MM-DD
  std::vector<provider_entry> providers;
  std::vector<price_entry> models;
  std::vector<model_profile> profiles;
};

// Token counts of one call. input_tokens counts every prompt token, cached
// ones included (OpenAI prompt_tokens; Anthropic input_tokens +
// cache_read_input_tokens + cache_creation_input_tokens). The cached and
// cache-creation counts are parts of input_tokens, never added to it.
struct usage {
  uint64_t input_tokens = 0;
  uint64_t cached_input_tokens = 0;    // cache reads
  uint64_t cache_creation_tokens = 0;  // cache writes (Anthropic)
  uint64_t output_tokens = 0;
};

// A figure with its truth label, and what it is made of.
struct cost_figure {
  double usd = 0;
  std::string truth = truth::unknown;
  std::string basis;  // one line: the formula or the reason it is unknown
};

// A tool or infra line (CI minutes, scanner runs, hosting), as in
// cost_forecast.json's details, plus its truth label.
struct cost_line {
  std::string name;
  // tools: seconds | minutes | runs | requests; infra: seconds | minutes | requests | gb_month
  std::string unit;
  double quantity = 0;
  double unit_cost_usd = 0;
  double cost_usd = 0;
  std::string truth = truth::calculated;
};

// What the router is asked for one task.
struct routing_task {
  std::string task_id;
  std::string task_type;  // review | fix | docgen | benchmark | redteam | cost_audit | other
  std::string stage;
  std::string profile;                         // cheap | code_mid | reasoning_low | reasoning_high
  uint64_t estimated_input_tokens = 0;         // the known prompt size
  uint64_t estimated_cached_input_tokens = 0;  // part of it expected from the cache
  uint64_t estimated_output_tokens = 0;        // expected
  uint64_t max_output_tokens = 0;              // the max_tokens asked; 0 = the model's limit
  std::vector<std::string> exclude_models;     // already tried (fallbacks)
};

// The run's routing constraints (manifest `routing`).
struct routing_constraints {
  double max_usd_per_run = 0;           // 0 = no cap
  double max_usd_per_task_default = 0;  // 0 = no cap
  int64_t latency_slo_ms = 0;           // 0 = none
  double min_confidence = 0.7;
  std::vector<std::string> providers;  // empty: every provider but the offline one
  bool offline = false;                // only other/casm-offline; never implied
  std::vector<fallback_rule> fallbacks;
};

// Remaining money at each level, as the accountant sees it now. A negative
// value means the level has no cap.
struct endpoint_budget {
  std::string endpoint;
  double remaining_usd = -1;
};
struct budget_view {
  double run_remaining_usd = -1;
  double fleet_remaining_usd = -1;
  std::vector<endpoint_budget> provider_day;  // endpoints without an entry are uncapped
};

// Endpoints whose circuit breaker is open now.
struct breaker_view {
  std::vector<std::string> open_endpoints;
};

struct candidate {
  std::string provider;
  std::string endpoint;
  std::string model;
  std::string profile;
  double score = 0;
  bool price_known = false;
  double estimated_cost_usd = 0;  // expected tokens at the model's prices
  double worst_case_usd = 0;      // what a reservation would hold
  int64_t estimated_latency_ms = 0;
  double estimated_quality = 0;
  std::string cost_truth = truth::unknown;
  std::vector<std::string> reject_reasons;  // empty: eligible
};

struct constraints_applied {
  bool budget = false;
  bool latency = false;
  bool quality = false;
};

// One task's routing decision. `candidates` is ranked: eligible ones first in
// the strategy's order, then the rejected ones in the same order.
struct routing_decision {
  std::string task_id;
  std::string task_type;
  std::string stage;
  std::string profile;
  std::string strategy;
  bool has_selection = false;
  candidate selected;
  uint64_t estimated_input_tokens = 0;
  uint64_t estimated_output_tokens = 0;
  uint64_t max_output_tokens = 0;  // as reserved for the selected model
  std::vector<candidate> candidates;
  std::vector<std::string> reason_codes;
  constraints_applied constraints;
  std::vector<fallback_rule> fallbacks;
};

// A budget hold granted by the accountant for one call.
struct reservation {
  uint64_t id = 0;
  std::string run_id;
  std::string task_id;
  std::string endpoint;
  std::string model;
  std::string day;  // YYYY-MM-DD, the provider-per-day key, as given by the caller
  double amount_usd = 0;
};

// The accountant's answer to a reservation request.
struct reservation_reply {
  bool granted = false;
  reservation held;
  std::string refused_level;  // "" | task | run | fleet | provider_day
  std::string reason_code;    // "" | OVER_BUDGET | PRICE_UNKNOWN | UNKNOWN_RUN | INVALID_AMOUNT
  double available_usd = -1;  // at the refusing level; negative when uncapped
};

CASM_JSON(fallback_rule, on, action)
CASM_JSON(provider_entry, name, api, base_url, base_url_env, api_key_env, max_tokens_field)
CASM_JSON(price_entry, provider, endpoint, model, price_known, price_in_per_1m, price_out_per_1m,
          price_cache_read_per_1m, price_cache_write_per_1m, context_tokens, max_output_tokens,
          source, verified, truth)
CASM_JSON(profile_candidate, model, provider, quality, latency_ms)
CASM_JSON(model_profile, name, candidates)
CASM_JSON(price_registry, registry_version, currency, prices_as_of, providers, models, profiles)
CASM_JSON(usage, input_tokens, cached_input_tokens, cache_creation_tokens, output_tokens)
CASM_JSON(cost_figure, usd, truth, basis)
CASM_JSON(cost_line, name, unit, quantity, unit_cost_usd, cost_usd, truth)
CASM_JSON(routing_task, task_id, task_type, stage, profile, estimated_input_tokens,
          estimated_cached_input_tokens, estimated_output_tokens, max_output_tokens, exclude_models)
CASM_JSON(routing_constraints, max_usd_per_run, max_usd_per_task_default, latency_slo_ms,
          min_confidence, providers, offline, fallbacks)
CASM_JSON(endpoint_budget, endpoint, remaining_usd)
CASM_JSON(budget_view, run_remaining_usd, fleet_remaining_usd, provider_day)
CASM_JSON(breaker_view, open_endpoints)
CASM_JSON(candidate, provider, endpoint, model, profile, score, price_known, estimated_cost_usd,
          worst_case_usd, estimated_latency_ms, estimated_quality, cost_truth, reject_reasons)
CASM_JSON(constraints_applied, budget, latency, quality)
CASM_JSON(routing_decision, task_id, task_type, stage, profile, strategy, has_selection, selected,
          estimated_input_tokens, estimated_output_tokens, max_output_tokens, candidates,
          reason_codes, constraints, fallbacks)
CASM_JSON(reservation, id, run_id, task_id, endpoint, model, day, amount_usd)
CASM_JSON(reservation_reply, granted, held, refused_level, reason_code, available_usd)

}  // namespace casm::messages
