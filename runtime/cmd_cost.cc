// casm models: the price registry and profiles. casm cost: a run's cost from
// its run_summary.json (written by every run that reaches its report).
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/supervisor/run_store.h"
#include "messages/codec/json_text.h"
#include "messages/data/vocabulary.h"
#include "runtime/commands.h"
#include "runtime/home.h"
#include "runtime/routing_config.h"
#include "telemetry/cost.h"

namespace casm::runtime {

using nlohmann::json;
namespace ec = messages::exit_code;

namespace {

std::string usd(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "$%.6f", v);
  return buf;
}

std::string price(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string figure(const json& f) {
  if (!f.is_object()) return "-";
  return usd(f.value("usd", 0.0)) + " (" + f.value("truth", "") + ")";
}

}  // namespace

int cmd_models(const global_options&, bool as_json) {
  messages::price_registry reg;
  std::vector<std::string> errors;
  if (!load_prices("", reg, errors)) {
    for (const auto& e : errors) print_error(e);
    return ec::bad_input;
  }
  if (as_json) {
    std::cout << json(reg).dump(2) << "\n";
    return ec::ok;
  }
  std::cout << "price registry " << reg.registry_version << " (" << reg.currency
            << " per 1M tokens, as of " << reg.prices_as_of << "; config, not truth: check `source`)\n\n";
  std::printf("%-10s %-10s %-28s %8s %8s %8s %8s %9s %7s  %s\n", "provider", "endpoint", "model", "in",
              "out", "cache_rd", "cache_wr", "context", "max_out", "verified");
  for (const auto& m : reg.models) {
    if (!m.price_known) {
      std::printf("%-10s %-10s %-28s %8s %8s %8s %8s %9llu %7llu  %s\n", m.provider.c_str(),
                  m.endpoint.c_str(), m.model.c_str(), "unknown", "unknown", "-", "-",
                  static_cast<unsigned long long>(m.context_tokens),
                  static_cast<unsigned long long>(m.max_output_tokens), m.verified.c_str());
      continue;
    }
    std::printf("%-10s %-10s %-28s %8s %8s %8s %8s %9llu %7llu  %s%s\n", m.provider.c_str(),
                m.endpoint.c_str(), m.model.c_str(), price(m.price_in_per_1m).c_str(),
                price(m.price_out_per_1m).c_str(), price(m.price_cache_read_per_1m).c_str(),
                price(m.price_cache_write_per_1m).c_str(),
                static_cast<unsigned long long>(m.context_tokens),
                static_cast<unsigned long long>(m.max_output_tokens), m.verified.c_str(),
                m.truth == messages::truth::simulated ? " (simulated)" : "");
  }
  std::cout << "\nprofiles (quality and latency are estimates):\n";
  for (const auto& p : reg.profiles) {
    std::cout << "  " << p.name << ":";
    for (const auto& c : p.candidates) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " (q %.2f, ~%lld ms)", c.quality, static_cast<long long>(c.latency_ms));
      std::cout << " " << c.model << buf;
    }
    std::cout << "\n";
  }
  std::cout << "\nendpoints (keys are read from the named variable at call time, never stored):\n";
  for (const auto& p : reg.providers)
    std::cout << "  " << p.name << ": " << p.api
              << (p.base_url.empty() ? "" : ", " + p.base_url + " (override: $" + p.base_url_env + ")")
              << (p.api_key_env.empty() ? "" : ", key $" + p.api_key_env) << "\n";
  return ec::ok;
}

int cmd_cost(const global_options& g, const cost_options& o) {
  supervisor::run_store store(resolve_home(g.home));
  std::string run_id = o.run_id;
  if (!o.last_run && run_id.empty()) {
    print_error("casm cost needs --run-id ID or --last-run");
    return ec::bad_input;
  }
  if (o.last_run) {
    auto runs = store.list_runs();
    if (runs.empty()) {
      print_error("no runs in " + codec::display_text(store.runs_dir().string()));
      return ec::bad_input;
    }
    run_id = runs.back();
  }
  if (!store.run_exists(run_id)) {
    print_error("unknown run id '" + codec::display_text(run_id) + "' (no such run in " +
                codec::display_text(store.runs_dir().string()) + ")");
    return ec::bad_input;
  }
  const auto file = supervisor::run_store::artifacts_dir(store.run_dir(run_id)) / "run_summary.json";
  auto text = supervisor::read_file(file);
  if (!text) {
    print_error("run " + run_id + " has no run_summary.json (" + codec::display_text(file.string()) +
                "): it has not reached its report stage");
    return ec::bad_input;
  }
  auto s = json::parse(*text, nullptr, false);
  if (!s.is_object() || !s.contains("cost")) {
    print_error(codec::display_text(file.string()) + " is not a run summary");
    return ec::bad_input;
  }
  const auto& cost = s["cost"];
  if (o.json) {
    json j{{"run_id", s.value("run_id", "")},
           {"template_id", s.value("template_id", "")},
           {"status", s.value("status", "")},
           {"total", cost.value("actual", json::object())},
           {"forecast", cost.value("forecast", json::object())},
           {"by_stage", cost.value("by_stage", json::array())},
           {"by_call", cost.value("by_call", json::array())},
           {"unit_economics", s.value("unit_economics", json::object())},
           {"outcomes", s.value("outcomes", json::object())},
           {"budget_usd", s["routing"].value("budget_usd", json(nullptr))},
           {"budget_stopped", s["routing"].value("budget_stopped", false)}};
    std::cout << j.dump(2) << "\n";
    return ec::ok;
  }
  std::cout << "run " << s.value("run_id", "") << " (" << s.value("template_id", "") << "), status "
            << s.value("status", "") << "\n";
  std::cout << "total (actual): " << figure(cost["actual"]) << "  "
            << cost["actual"].value("basis", "") << "\n";
  std::cout << "forecast:       " << figure(cost["forecast"]) << "\n";
  const auto& b = s["routing"]["budget_usd"];
  std::cout << "budget:         " << (b.is_number() ? usd(b.get<double>()) : std::string("none"))
            << (s["routing"].value("budget_stopped", false) ? "  (stopped by budget)" : "") << "\n";
  std::cout << "\nper stage:\n";
  if (cost["by_stage"].empty()) std::cout << "  (no model call)\n";
  for (const auto& st : cost["by_stage"])
    std::cout << "  " << st.value("stage", "") << ": " << st.value("calls", 0) << " calls, "
              << st.value("input_tokens", 0) << " in (" << st.value("cached_input_tokens", 0)
              << " cached), " << st.value("output_tokens", 0) << " out, "
              << usd(st.value("usd", 0.0)) << " (" << st.value("truth", "") << ")\n";
  std::cout << "\nper call:\n";
  if (cost["by_call"].empty()) std::cout << "  (no model call)\n";
  for (const auto& c : cost["by_call"])
    std::cout << "  " << c.value("call_id", "") << " " << c.value("task_id", "") << " "
              << c.value("provider", "") << "/" << c.value("model", "") << ": "
              << c.value("input_tokens", 0) << " in (" << c.value("cached_input_tokens", 0)
              << " cached), " << c.value("output_tokens", 0) << " out, " << usd(c.value("usd", 0.0))
              << " (" << c.value("truth", "") << "), reserved " << usd(c.value("reserved_usd", 0.0))
              << ", " << (c.value("ok", false) ? c.value("output", "ok") : c.value("error_kind", "")) << "\n";
  const auto& ue = s["unit_economics"];
  const auto& oc = s["outcomes"];
  std::cout << "\nunit economics (issues found " << oc.value("issues_found", 0) << ", fixed "
            << oc.value("issues_fixed", 0) << ", " << oc.value("loc_audited", 0)
            << " lines audited, " << oc.value("tasks_verified", 0) << " verified):\n";
  for (const char* k : {"cost_per_issue_found", "cost_per_issue_fixed", "cost_per_1k_loc",
                        "verified_outcome_cost", "unverified_spend"}) {
    const auto& f = ue[k];
    const bool na = f.value("truth", "") == messages::truth::unknown && f.value("usd", 0.0) == 0.0;
    std::cout << "  " << k << ": " << (na ? std::string("N/A (unknown)") : figure(f)) << "  "
              << f.value("basis", "") << "\n";
  }
  return ec::ok;
}

}  // namespace casm::runtime
