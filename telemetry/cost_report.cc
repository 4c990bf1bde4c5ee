#include "telemetry/cost_report.h"

#include <cstdio>
#include <map>

#include "messages/codec/json_text.h"
#include "telemetry/cost.h"

namespace casm::telemetry {

using nlohmann::json;
using messages::cost_figure;

namespace {

std::string usd(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "$%.6f", v);
  return buf;
}

json figure_json(const cost_figure& f) {
  return json{{"usd", f.usd}, {"truth", f.truth}, {"basis", f.basis}};
}

std::string md_cell(std::string s) {
  s = codec::display_text(s);
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

// A cost per unit; unknown (N/A) for a zero count.
cost_figure per_unit(const cost_figure& total, double units, const std::string& what) {
  cost_figure f;
  if (units <= 0) {
    f.truth = messages::truth::unknown;
    f.basis = "N/A: no " + what;
    return f;
  }
  f.usd = total.usd / units;
  f.truth = total.truth == messages::truth::measured ? messages::truth::calculated : total.truth;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.6f USD / %g ", total.usd, units);
  f.basis = buf + what;
  return f;
}

struct stage_sum {
  cost_figure cost{0, messages::truth::measured, ""};
  uint64_t calls = 0;
  uint64_t input_tokens = 0, cached = 0, output_tokens = 0;
};

std::map<std::string, stage_sum> by_stage(const cost_summary_input& in) {
  std::map<std::string, stage_sum> out;
  for (const auto& c : in.calls) {
    auto& s = out[c.stage];
    s.cost.usd += c.cost.usd;
    s.cost.truth = weakest_truth(s.cost.truth, c.cost.truth);
    ++s.calls;
    s.input_tokens += c.tokens.input_tokens;
    s.cached += c.tokens.cached_input_tokens;
    s.output_tokens += c.tokens.output_tokens;
  }
  return out;
}

json unit_economics(const cost_summary_input& in, const cost_figure& total) {
  auto v = verified_outcome_cost(total, in.tasks_verified);
  return json{{"cost_per_issue_found", figure_json(per_unit(total, double(in.issues_found), "issues found"))},
              {"cost_per_issue_fixed", figure_json(per_unit(total, double(in.issues_fixed), "issues fixed"))},
              {"cost_per_1k_loc", figure_json(per_unit(total, double(in.loc_audited) / 1000.0, "k LOC audited"))},
              {"verified_outcome_cost", figure_json(v.per_verified_task)},
              {"unverified_spend", figure_json(v.unverified_spend)},
              {"tasks_verified", in.tasks_verified}};
}

}  // namespace

cost_figure actual_llm_cost(const cost_summary_input& in) {
  cost_figure f{0, messages::truth::measured, ""};
  for (const auto& c : in.calls) {
    f.usd += c.cost.usd;
    f.truth = weakest_truth(f.truth, c.cost.truth);
  }
  f.basis = in.calls.empty() ? "no model call was made"
                             : "sum of " + std::to_string(in.calls.size()) +
                                 " calls' LLM_cost at config prices (no R, no S)";
  return f;
}

cost_figure forecast_llm_cost(const cost_summary_input& in) {
  std::vector<cost_figure> llm;
  for (const auto& d : in.last_decisions)
    if (d.has_selection)
      llm.push_back({d.selected.estimated_cost_usd, d.selected.cost_truth, ""});
  return run_cost_forecast(llm, {}, {});
}

cost_forecast_input cost_forecast_from(const cost_summary_input& in) {
  cost_forecast_input f;
  f.run = in.run;
  f.prices = in.prices;
  f.decisions = in.last_decisions;
  f.actual_present = true;
  for (const auto& c : in.calls) {
    actual_call a;
    a.call_id = c.call_id;
    a.task_id = c.task_id;
    a.provider = c.provider;
    a.model = c.model;
    a.tokens = c.tokens;
    a.cost = c.cost;
    a.latency_ms = c.latency_ms;
    a.retries = c.attempts > 0 ? c.attempts - 1 : 0;
    f.calls.push_back(a);
  }
  f.issues_found = in.issues_found;
  f.issues_fixed = in.issues_fixed;
  f.loc_audited = in.loc_audited;
  f.max_usd_per_run = in.constraints.max_usd_per_run;
  f.blocked = in.budget_stopped;
  bool reduced = false, downgraded = false;
  for (const auto& fb : in.fallbacks) {
    if (fb.action == "reduce_scope") reduced = true;
    if (fb.action == "downgrade_model" || fb.action == "switch_provider") downgraded = true;
  }
  f.enforcement_action = in.budget_stopped ? "stop"
                         : reduced         ? "reduce_scope"
                         : downgraded      ? "downgrade_model"
                                           : "none";
  for (const auto& [id, outcome] : in.task_outcomes)
    if (outcome != "offline" && outcome != "model_ok") f.notes.push_back(id + ": " + outcome);
  return f;
}

std::string render_cost_report_md(const cost_summary_input& in) {
  const auto actual = actual_llm_cost(in);
  const auto forecast = forecast_llm_cost(in);
  std::string o;
  o += "# Cost report\n\n";
  o += "Run `" + in.run.run_id + "` (" + in.run.template_id + "), status **" + in.status +
       "** (exit " + std::to_string(in.exit_code) + ")";
  if (!in.reason.empty()) o += ": " + md_cell(in.reason);
  o += ".\n\n";
  o += "Routing: strategy `" + in.strategy + "`, " +
       (in.constraints.offline ? std::string("offline (provider `other`, model `casm-offline`: no call, no spend)")
                               : "providers " + [&] {
                                   std::string p;
                                   for (const auto& x : in.constraints.providers) p += (p.empty() ? "" : ", ") + x;
                                   return p.empty() ? std::string("any priced") : p;
                                 }()) +
       ", run budget " +
       (in.constraints.max_usd_per_run > 0 ? usd(in.constraints.max_usd_per_run) : std::string("none")) +
       ", prices " + in.prices.registry_version + ".\n\n";
  o += "| figure | USD | truth | basis |\n|---|---|---|---|\n";
  o += "| actual LLM cost | " + usd(actual.usd) + " | " + actual.truth + " | " + md_cell(actual.basis) + " |\n";
  o += "| forecast (R " + std::to_string(default_retry_factor).substr(0, 4) + ", S " +
       std::to_string(default_safety_margin).substr(0, 4) + ") | " + usd(forecast.usd) + " | " +
       forecast.truth + " | " + md_cell(forecast.basis) + " |\n\n";

  o += "## Per stage\n\n| stage | calls | input tokens | cached | output tokens | USD | truth |\n|---|---|---|---|---|---|---|\n";
  auto stages = by_stage(in);
  if (stages.empty()) o += "| (none) | 0 | 0 | 0 | 0 | " + usd(0) + " | measured |\n";
  for (const auto& [stage, s] : stages)
    o += "| " + stage + " | " + std::to_string(s.calls) + " | " + std::to_string(s.input_tokens) + " | " +
         std::to_string(s.cached) + " | " + std::to_string(s.output_tokens) + " | " + usd(s.cost.usd) +
         " | " + s.cost.truth + " |\n";

  o += "\n## Per call\n\nInput tokens include cached ones; cached tokens are priced once, at the cache price.\n\n";
  o += "| call | task | provider | model (answered) | input | cached | cache write | output | reserved | USD | truth | attempts | result |\n";
  o += "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  if (in.calls.empty()) o += "| (no model call) | | | | | | | | | | | | |\n";
  for (const auto& c : in.calls)
    o += "| " + c.call_id + " | " + c.task_id + " | " + c.provider + " | " + md_cell(c.model) +
         (c.answered_model.empty() || c.answered_model == c.model ? "" : " (" + md_cell(c.answered_model) + ")") +
         " | " + std::to_string(c.tokens.input_tokens) + " | " + std::to_string(c.tokens.cached_input_tokens) +
         " | " + std::to_string(c.tokens.cache_creation_tokens) + " | " + std::to_string(c.tokens.output_tokens) +
         " | " + usd(c.reserved_usd) + " | " + usd(c.cost.usd) + " | " + c.cost.truth + " | " +
         std::to_string(c.attempts) + " | " +
         md_cell(c.ok ? (c.output.empty() ? "ok" : c.output) : c.error_kind) + " |\n";

  if (!in.simulated.empty()) {
    o += "\n## Offline stand-ins (simulated)\n\n| task | model | input tokens | output tokens | USD | truth |\n|---|---|---|---|---|---|\n";
    for (const auto& u : in.simulated)
      o += "| " + u.task_id + " | " + u.model + " | " + std::to_string(u.input_tokens) + " | " +
           std::to_string(u.output_tokens) + " | " + usd(u.cost_usd) + " | " + u.truth + " |\n";
  }

  o += "\n## Routing\n\n| task | stage | profile | selected | estimated USD | worst case | reasons | outcome |\n|---|---|---|---|---|---|---|---|\n";
  std::map<std::string, std::string> outcome(in.task_outcomes.begin(), in.task_outcomes.end());
  for (const auto& d : in.decisions) {
    std::string reasons;
    for (const auto& r : d.reason_codes) reasons += (reasons.empty() ? "" : ", ") + r;
    o += "| " + d.task_id + " | " + d.stage + " | " + d.profile + " | " +
         (d.has_selection ? md_cell(d.selected.provider + "/" + d.selected.model) : std::string("none")) +
         " | " + (d.has_selection ? usd(d.selected.estimated_cost_usd) : "-") + " | " +
         (d.has_selection ? usd(d.selected.worst_case_usd) : "-") + " | " + reasons + " | " +
         md_cell(outcome[d.task_id]) + " |\n";
  }
  if (!in.fallbacks.empty()) {
    o += "\n## Fallbacks\n\n| task | on | action | failed | next | reason |\n|---|---|---|---|---|---|\n";
    for (const auto& f : in.fallbacks)
      o += "| " + f.task_id + " | " + f.on + " | " + f.action + " | " + md_cell(f.failed_model) + " | " +
           md_cell(f.next_model.empty() ? f.next_profile : f.next_model) + " | " + md_cell(f.detail) + " |\n";
  }
  auto ue = unit_economics(in, actual);
  o += "\n## Unit economics (on the actual cost)\n\n| metric | USD | truth | basis |\n|---|---|---|---|\n";
  for (const char* k : {"cost_per_issue_found", "cost_per_issue_fixed", "cost_per_1k_loc",
                        "verified_outcome_cost", "unverified_spend"}) {
    const auto& f = ue[k];
    o += std::string("| ") + k + " | " + usd(f["usd"].get<double>()) + " | " +
         f["truth"].get<std::string>() + " | " + md_cell(f["basis"].get<std::string>()) + " |\n";
  }
  o += "\nIssues found " + std::to_string(in.issues_found) + " (" + std::to_string(in.model_issues.size()) +
       " by a model), fixed " + std::to_string(in.issues_fixed) + ", " + std::to_string(in.loc_audited) +
       " lines audited, " + std::to_string(in.tasks_verified) + " verified.\n";
  o += "\nTruth labels: measured (observed), calculated (measured usage at config prices), "
       "simulated (the offline provider's stand-ins), unknown (no price or no usage; never shown as $0 in forecasts).\n";
  return o;
}

std::string render_run_summary(const cost_summary_input& in) {
  const auto actual = actual_llm_cost(in);
  const auto forecast = forecast_llm_cost(in);
  json j;
  j["schema"] = "casm.run_summary/0.1";
  j["run_id"] = in.run.run_id;
  j["template_id"] = in.run.template_id;
  j["started_at"] = in.run.started_at;
  j["status"] = in.status;
  j["exit_code"] = in.exit_code;
  j["reason"] = codec::display_text(in.reason);
  json tasks = json::array();
  std::map<std::string, std::string> outcome(in.task_outcomes.begin(), in.task_outcomes.end());
  for (const auto& d : in.last_decisions)
    tasks.push_back({{"task_id", d.task_id},
                     {"task_type", d.task_type},
                     {"stage", d.stage},
                     {"profile", d.profile},
                     {"selected", d.has_selection ? json{{"provider", d.selected.provider},
                                                          {"endpoint", d.selected.endpoint},
                                                          {"model", d.selected.model},
                                                          {"estimated_cost_usd", d.selected.estimated_cost_usd},
                                                          {"worst_case_usd", d.selected.worst_case_usd},
                                                          {"truth", d.selected.cost_truth}}
                                                  : json(nullptr)},
                     {"reason_codes", d.reason_codes},
                     {"outcome", outcome[d.task_id]}});
  json fallbacks = json::array();
  for (const auto& f : in.fallbacks) fallbacks.push_back(json(f));
  j["routing"] = {{"strategy", in.strategy},
                  {"offline", in.constraints.offline},
                  {"providers", in.constraints.providers},
                  {"budget_usd", in.constraints.max_usd_per_run > 0 ? json(in.constraints.max_usd_per_run) : json(nullptr)},
                  {"registry_version", in.prices.registry_version},
                  {"decisions", in.decisions.size()},
                  {"tasks", tasks},
                  {"fallbacks", fallbacks},
                  {"budget_stopped", in.budget_stopped}};
  json stages = json::array();
  for (const auto& [stage, s] : by_stage(in))
    stages.push_back({{"stage", stage}, {"calls", s.calls}, {"input_tokens", s.input_tokens},
                      {"cached_input_tokens", s.cached}, {"output_tokens", s.output_tokens},
                      {"usd", s.cost.usd}, {"truth", s.cost.truth}});
  json calls = json::array();
  for (const auto& c : in.calls)
    calls.push_back({{"call_id", c.call_id}, {"task_id", c.task_id}, {"stage", c.stage},
                     {"provider", c.provider}, {"endpoint", c.endpoint}, {"model", c.model},
                     {"answered_model", codec::display_text(c.answered_model)}, {"ok", c.ok},
                     {"error_kind", c.error_kind},
                     {"input_tokens", c.tokens.input_tokens},
                     {"cached_input_tokens", c.tokens.cached_input_tokens},
                     {"cache_creation_tokens", c.tokens.cache_creation_tokens},
                     {"output_tokens", c.tokens.output_tokens}, {"usage_present", c.usage_present},
                     {"usd", c.cost.usd}, {"truth", c.cost.truth}, {"basis", c.cost.basis},
                     {"reserved_usd", c.reserved_usd}, {"latency_ms", c.latency_ms},
                     {"attempts", c.attempts}, {"output", codec::display_text(c.output)}});
  json simulated = json::array();
  for (const auto& u : in.simulated) simulated.push_back(json(u));
  j["cost"] = {{"actual", figure_json(actual)},
               {"forecast", figure_json(forecast)},
               {"by_stage", stages},
               {"by_call", calls},
               {"simulated", simulated}};
  json issues = json::array();
  for (const auto& i : in.model_issues) issues.push_back(json(i));
  j["outcomes"] = {{"issues_found", in.issues_found},
                   {"issues_fixed", in.issues_fixed},
                   {"loc_audited", in.loc_audited},
                   {"tasks_verified", in.tasks_verified},
                   {"model_issues", issues},
                   {"model_patch", in.model_patch ? json("model_patch.diff") : json(nullptr)}};
  j["unit_economics"] = unit_economics(in, actual);
  return j.dump(2) + "\n";
}

}  // namespace casm::telemetry
