// A run's cost and routing, as people and scripts read them: cost_report.md
// (per stage, per call, cached tokens shown, every figure with its truth
// label) and run_summary.json (what `casm cost` and fleets read), plus the
// cost_forecast.json input derived from the same facts. Pure: text from data,
// no clock, no I/O, so the coordinator renders them and replay derives them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "messages/data/audit.h"
#include "messages/data/routing_flow.h"
#include "telemetry/routing_writer.h"

namespace casm::telemetry {

struct cost_summary_input {
  artifact_run run;
  std::string status;
  int exit_code = 0;
  std::string reason;
  std::string strategy;
  messages::routing_constraints constraints;
  messages::price_registry prices;
  std::vector<messages::routing_decision> decisions;       // every decision, in order
  std::vector<messages::routing_decision> last_decisions;  // each task's last
  std::vector<messages::call_record> calls;
  std::vector<messages::fallback_note> fallbacks;
  std::vector<std::pair<std::string, std::string>> task_outcomes;  // task id, outcome
  std::vector<messages::model_usage> simulated;  // the offline provider's stand-ins
  std::vector<messages::model_issue> model_issues;
  uint64_t issues_found = 0;
  uint64_t issues_fixed = 0;
  uint64_t loc_audited = 0;
  uint64_t tasks_verified = 0;
  bool budget_stopped = false;
  bool model_patch = false;
};

// The actual LLM cost of the run: the sum of its calls (truth: the weakest
// call's; "measured" $0 when no model was called).
messages::cost_figure actual_llm_cost(const cost_summary_input& in);
// The forecast: each task's last decision at its estimate, times R and S.
messages::cost_figure forecast_llm_cost(const cost_summary_input& in);

cost_forecast_input cost_forecast_from(const cost_summary_input& in);
std::string render_cost_report_md(const cost_summary_input& in);
// run_summary.json: pretty JSON, keys sorted, ending in '\n'.
std::string render_run_summary(const cost_summary_input& in);

}  // namespace casm::telemetry
