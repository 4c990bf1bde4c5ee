#include "telemetry/routing_writer.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "messages/codec/json_text.h"

namespace casm::telemetry {

using codec::json;
using messages::routing_decision;

namespace {

std::string text(const std::string& s) {
  return codec::display_text(s);
}

double money(double v) {
  return std::isfinite(v) && v > 0 ? v : 0.0;
}
double unit_interval(double v) {
  return std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0;
}
int64_t non_negative(int64_t v) {
  return v < 0 ? 0 : v;
}

std::string task_type(const std::string& t) {
  static const char* const known[] = {"review",  "fix",        "docgen", "benchmark",
                                      "redteam", "cost_audit", "other"};
  for (const char* k : known)
    if (t == k) return t;
  return "other";
}

std::string fmt_usd(double v) {
  std::ostringstream out;
  out.precision(6);
  out << std::fixed << v;
  return out.str();
}

std::string join(const std::vector<std::string>& xs, const char* sep) {
  std::string out;
  for (const auto& x : xs) {
    if (!out.empty()) out += sep;
    out += x;
  }
  return out;
}

// "task-3 (NO_ELIGIBLE_CANDIDATE, NO_CANDIDATE_AFFORDABLE, ...)" for each
// task left out.
std::vector<std::string> left_out(const std::vector<routing_decision>& decisions) {
  std::vector<std::string> out;
  for (const auto& d : decisions)
    if (!d.has_selection) out.push_back(text(d.task_id) + " (" + join(d.reason_codes, ", ") + ")");
  return out;
}

std::vector<std::string> unpriced_models(const std::vector<routing_decision>& decisions) {
  std::vector<std::string> out;
  for (const auto& d : decisions)
    for (const auto& c : d.candidates)
      if (!c.price_known && std::find(out.begin(), out.end(), text(c.model)) == out.end())
        out.push_back(text(c.model));
  return out;
}

json line_json(const messages::cost_line& l) {
  return json{{"name", text(l.name)},
              {"unit", l.unit},
              {"quantity", money(l.quantity)},
              {"unit_cost_usd", money(l.unit_cost_usd)},
              {"cost_usd", money(l.cost_usd)}};
}

json lines_json(const std::vector<messages::cost_line>& lines, double& total) {
  json details = json::array();
  total = 0;
  for (const auto& l : lines) {
    details.push_back(line_json(l));
    total += money(l.cost_usd);
  }
  return json{{"cost_usd", total}, {"details", details}};
}

}  // namespace

std::string schema_provider(const std::string& provider) {
  static const char* const known[] = {"openai", "anthropic", "kimi", "hf", "other"};
  for (const char* k : known)
    if (provider == k) return provider;
  return "other";
}

std::string render_routing_decisions(const artifact_run& run, strategy strat,
                                     const messages::routing_constraints& constraints,
                                     const std::vector<routing_decision>& decisions) {
  json tasks = json::array();
  double total_cost = 0;
  int64_t total_latency = 0;
  for (const auto& d : decisions) {
    if (!d.has_selection) continue;
    const auto& s = d.selected;
    json selected = {{"provider", schema_provider(s.provider)},
                     {"model", text(s.model)},
                     {"profile", text(s.profile)},
                     {"estimated_input_tokens", d.estimated_input_tokens},
                     {"estimated_output_tokens", d.estimated_output_tokens},
                     {"estimated_cost_usd", money(s.estimated_cost_usd)},
                     {"estimated_latency_ms", non_negative(s.estimated_latency_ms)}};
    total_cost += money(s.estimated_cost_usd);
    total_latency += non_negative(s.estimated_latency_ms);
    json candidates = json::array();
    for (const auto& c : d.candidates) {
      json cj = {{"provider", text(c.provider)},
                 {"model", text(c.model)},
                 {"profile", text(c.profile)},
                 {"score", std::isfinite(c.score) ? c.score : 0.0},
                 {"reject_reasons", c.reject_reasons},
                 {"estimated_latency_ms", non_negative(c.estimated_latency_ms)},
                 {"estimated_quality", unit_interval(c.estimated_quality)}};
      // An unknown price is left out, never written as $0.
      if (c.price_known) cj["estimated_cost_usd"] = money(c.estimated_cost_usd);
      candidates.push_back(std::move(cj));
    }
    json fallbacks = json::array();
    for (const auto& f : d.fallbacks) fallbacks.push_back({{"on", f.on}, {"action", f.action}});
    json decision = {{"reason_codes", d.reason_codes},
                     {"constraints_applied",
                      {{"budget", d.constraints.budget},
                       {"latency", d.constraints.latency},
                       {"quality", d.constraints.quality}}},
                     {"fallbacks", fallbacks}};
    tasks.push_back({{"task_id", text(d.task_id)},
                     {"task_type", task_type(d.task_type)},
                     {"stage", text(d.stage)},
                     {"selected", selected},
                     {"candidates", candidates},
                     {"decision", decision}});
  }

  std::vector<std::string> notes;
  notes.push_back(std::to_string(tasks.size()) + " of " + std::to_string(decisions.size()) +
                  " task(s) routed; estimates are expected tokens at registry prices, "
                  "R and S not applied.");
  if (auto out = left_out(decisions); !out.empty())
    notes.push_back("Left out, no candidate could be selected: " + join(out, "; ") + ".");
  if (auto unpriced = unpriced_models(decisions); !unpriced.empty())
    notes.push_back("Price unknown, never selected (PRICE_UNKNOWN): " + join(unpriced, ", ") + ".");

  json doc = {
    {"schema_version", "0.1"},
    {"run",
     {{"run_id", text(run.run_id)},
      {"template_id", text(run.template_id)},
      {"started_at", text(run.started_at)}}},
    {"routing_strategy",
     {{"name", std::string(to_string(strat))}, {"version", std::string(router_version)}}},
    {"constraints",
     {{"budget",
       {{"max_usd_per_run", money(constraints.max_usd_per_run)},
        {"max_usd_per_task_default", money(constraints.max_usd_per_task_default)}}},
      {"latency_slo_ms", non_negative(constraints.latency_slo_ms)},
      {"quality_floor", {{"min_confidence", unit_interval(constraints.min_confidence)}}}}},
    {"tasks", tasks},
    {"summary",
     {{"estimated_total_cost_usd", total_cost},
      {"estimated_total_latency_ms", total_latency},
      {"notes", join(notes, " ")}}},
  };
  return doc.dump(2) + "\n";
}

std::string render_cost_forecast(const cost_forecast_input& in) {
  json models = json::array();
  for (const auto& m : in.prices.models) {
    if (!m.price_known) continue;
    models.push_back({{"provider", text(m.provider)},
                      {"model", text(m.model)},
                      {"price_in_per_1m", money(m.price_in_per_1m)},
                      {"price_out_per_1m", money(m.price_out_per_1m)}});
  }

  // Forecast: the selected model of every routed task; R and S on the LLM line.
  json by_task = json::array();
  uint64_t f_in = 0, f_out = 0;
  double f_llm_raw = 0;
  for (const auto& d : in.decisions) {
    if (!d.has_selection) continue;
    const double c = money(d.selected.estimated_cost_usd);
    by_task.push_back({{"task_id", text(d.task_id)},
                       {"provider", text(d.selected.provider)},
                       {"model", text(d.selected.model)},
                       {"input_tokens", d.estimated_input_tokens},
                       {"output_tokens", d.estimated_output_tokens},
                       {"cost_usd", c}});
    f_in += d.estimated_input_tokens;
    f_out += d.estimated_output_tokens;
    f_llm_raw += c;
  }
  const double f_llm = f_llm_raw * in.retry_factor * in.safety_margin;
  double f_tools = 0, f_infra = 0;
  json forecast = {
    {"llm",
     {{"input_tokens", f_in},
      {"output_tokens", f_out},
      {"cost_usd", money(f_llm)},
      {"by_task", by_task}}},
    {"tools", lines_json(in.forecast_tools, f_tools)},
    {"infra", lines_json(in.forecast_infra, f_infra)},
    {"confidence", unit_interval(in.confidence)},
  };
  const double f_total = money(f_llm) + f_tools + f_infra;
  forecast["total_usd"] = f_total;

  // Actual: as measured, the model actually used, no R or S.
  json by_call = json::array();
  uint64_t a_in = 0, a_out = 0;
  double a_llm = 0;
  std::vector<std::string> unknown_calls;
  for (const auto& c : in.calls) {
    const double usd = money(c.cost.usd);
    if (c.cost.truth == messages::truth::unknown) unknown_calls.push_back(text(c.call_id));
    by_call.push_back({{"call_id", text(c.call_id)},
                       {"task_id", text(c.task_id)},
                       {"provider", text(c.provider)},
                       {"model", text(c.model)},
                       {"input_tokens", c.tokens.input_tokens},
                       {"output_tokens", c.tokens.output_tokens},
                       {"cost_usd", usd},
                       {"latency_ms", non_negative(c.latency_ms)},
                       {"retries", c.retries}});
    a_in += c.tokens.input_tokens;
    a_out += c.tokens.output_tokens;
    a_llm += usd;
  }
  double a_tools = 0, a_infra = 0;
  json actual = {
    {"present", in.actual_present},
    {"llm",
     {{"input_tokens", a_in}, {"output_tokens", a_out}, {"cost_usd", a_llm}, {"by_call", by_call}}},
    {"tools", lines_json(in.actual_tools, a_tools)},
    {"infra", lines_json(in.actual_infra, a_infra)},
  };
  const double a_total = a_llm + a_tools + a_infra;
  actual["total_usd"] = a_total;

  const double basis_total = in.actual_present ? a_total : f_total;
  const char* basis_name = in.actual_present ? "actual" : "forecast";
  json metrics = json::array();
  auto metric = [&](const char* name, double count, const std::string& what) {
    if (!(count > 0)) return;
    metrics.push_back(
      {{"name", name},
       {"value", basis_total / count},
       {"unit", "USD_per_unit"},
       {"basis",
        {{"count", count}, {"description", std::string(basis_name) + " total_usd / " + what}}}});
  };
  metric("cost_per_issue_found", static_cast<double>(in.issues_found), "issues found");
  metric("cost_per_issue_fixed", static_cast<double>(in.issues_fixed), "issues fixed");
  metric("cost_per_pr_created", static_cast<double>(in.prs_created), "PRs created");
  metric("cost_per_pr_merged", static_cast<double>(in.prs_merged), "PRs merged");
  metric("cost_per_1k_loc_audited", static_cast<double>(in.loc_audited) / 1000.0,
         "thousands of lines audited");

  std::string status = "within_budget";
  if (in.blocked)
    status = "blocked";
  else if (in.max_usd_per_run > 0 && in.actual_present && a_total > in.max_usd_per_run)
    status = "actual_over_budget";
  else if (in.max_usd_per_run > 0 && f_total > in.max_usd_per_run)
    status = "forecast_over_budget";

  std::vector<std::string> notes;
  std::ostringstream formula;
  formula << "forecast.total_usd = llm.cost_usd + tools + infra, where llm.cost_usd = "
             "sum(by_task.cost_usd) x R "
          << in.retry_factor << " x S " << in.safety_margin
          << "; actual figures are as measured (no R, no S); input_tokens include cached "
             "tokens, priced once at the cache price; prices registry "
          << text(in.prices.registry_version) << ".";
  notes.push_back(formula.str());
  if (auto out = left_out(in.decisions); !out.empty())
    notes.push_back("Left out of the forecast, no candidate could be selected: " + join(out, "; ") +
                    ".");
  if (auto unpriced = unpriced_models(in.decisions); !unpriced.empty())
    notes.push_back("Price unknown, never reserved or selected: " + join(unpriced, ", ") + ".");
  if (!unknown_calls.empty())
    notes.push_back("Cost unknown (counted as 0 here, not a price): " + join(unknown_calls, ", ") +
                    ".");
  if (in.max_usd_per_run > 0)
    notes.push_back("Budget " + fmt_usd(in.max_usd_per_run) + " USD per run.");
  for (const auto& n : in.notes) notes.push_back(text(n));

  json budget = {{"max_usd_per_run", money(in.max_usd_per_run)}, {"status", status}};
  if (!in.enforcement_action.empty()) budget["enforcement_action"] = in.enforcement_action;

  json run = {{"run_id", text(in.run.run_id)},
              {"template_id", text(in.run.template_id)},
              {"started_at", text(in.run.started_at)}};
  if (!in.run.completed_at.empty()) run["completed_at"] = text(in.run.completed_at);

  json doc = {
    {"schema_version", "0.1"},
    {"run", run},
    {"prices",
     {{"registry_version", text(in.prices.registry_version)},
      {"currency", "USD"},
      {"models", models}}},
    {"forecast", forecast},
    {"actual", actual},
    {"unit_economics", {{"metrics", metrics}}},
    {"budget", budget},
    {"notes", join(notes, " ")},
  };
  return doc.dump(2) + "\n";
}

}  // namespace casm::telemetry
