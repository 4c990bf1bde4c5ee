// Writers for two proof artifacts, routing_decisions.json and
// cost_forecast.json, exactly as the seed schemas (schema_version "0.1",
// docs/schemas/*.schema.json, additionalProperties false throughout): CASM
// emits what they allow and puts everything else (truth labels, worst cases,
// reservation ids) in the log, cost_report.md and `explain`.
//
// Conventions (DESIGN.md): a task for which no candidate could be selected
// (nobody can afford it, or nothing qualifies) is left out of `tasks` and
// named in summary.notes / notes; R and S multiply forecasts only; the
// offline provider is provider "other", model "casm-offline".
//
// Pure: they return text (pretty JSON, keys sorted, ending in '\n') and read
// no clock or environment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/data/routing.h"
#include "telemetry/cost.h"
#include "telemetry/router.h"

namespace casm::telemetry {

struct artifact_run {
  std::string run_id;
  std::string template_id;
  std::string started_at;    // RFC 3339
  std::string completed_at;  // RFC 3339, or "" while the run is going
};

std::string render_routing_decisions(const artifact_run& run, strategy strat,
                                     const messages::routing_constraints& constraints,
                                     const std::vector<messages::routing_decision>& decisions);

// One model call as it happened (the model actually used, never the one
// planned), for cost_forecast.json's actual.llm.by_call.
struct actual_call {
  std::string call_id;
  std::string task_id;
  std::string provider;
  std::string model;
  messages::usage tokens;
  messages::cost_figure cost;  // telemetry::llm_cost of the measured usage
  int64_t latency_ms = 0;
  uint32_t retries = 0;
};

struct cost_forecast_input {
  artifact_run run;
  messages::price_registry prices;
  std::vector<messages::routing_decision> decisions;  // the forecast's by_task
  double retry_factor = default_retry_factor;
  double safety_margin = default_safety_margin;
  // Units: tools seconds | minutes | runs | requests; infra seconds | minutes
  // | requests | gb_month (the schema's enumerations).
  std::vector<messages::cost_line> forecast_tools;
  std::vector<messages::cost_line> forecast_infra;
  double confidence = 0.5;  // [0, 1]

  bool actual_present = false;
  std::vector<actual_call> calls;
  std::vector<messages::cost_line> actual_tools;
  std::vector<messages::cost_line> actual_infra;

  // Unit economics: a metric is emitted only for a count above zero.
  uint64_t issues_found = 0;
  uint64_t issues_fixed = 0;
  uint64_t prs_created = 0;
  uint64_t prs_merged = 0;
  uint64_t loc_audited = 0;

  double max_usd_per_run = 0;
  bool blocked = false;                     // the run was stopped (budget or policy)
  std::string enforcement_action = "none";  // none | downgrade_model | reduce_scope | stop
  std::vector<std::string> notes;           // appended to the generated notes
};

std::string render_cost_forecast(const cost_forecast_input& in);

// The artifacts' provider vocabulary: openai | anthropic | kimi | hf | other.
std::string schema_provider(const std::string& provider);

}  // namespace casm::telemetry
