#include "runtime/routing_config.h"

#include <algorithm>
#include <filesystem>

#include "actors/supervisor/run_store.h"
#include "messages/codec/json_text.h"
#include "runtime/embedded_config.h"
#include "telemetry/prices.h"
#include "telemetry/router.h"

namespace casm::runtime {

namespace fs = std::filesystem;

bool load_prices(const std::string& override_file, messages::price_registry& out,
                 std::vector<std::string>& errors) {
  const auto* shipped = find_embedded("prices.yaml");
  if (!shipped) {
    errors.push_back("this build has no price registry (config/prices.yaml)");
    return false;
  }
  std::vector<codec::config_error> errs;
  if (!telemetry::parse_price_registry("embedded:prices.yaml", shipped->content, out, errs)) {
    for (const auto& e : errs) errors.push_back(e.to_string());
    return false;
  }
  if (override_file.empty()) return true;
  auto text = supervisor::read_file(override_file);
  if (!text) {
    errors.push_back("price override file '" + codec::display_text(override_file) +
                     "' cannot be read");
    return false;
  }
  if (!telemetry::merge_price_override(override_file, *text, out, errs)) {
    for (const auto& e : errs) errors.push_back(e.to_string());
    return false;
  }
  return true;
}

bool make_routing_setup(const messages::template_manifest& m, const std::string& template_source,
                        const run_options& opt, const std::string& day,
                        messages::routing_setup& out, std::vector<std::string>& errors) {
  out.enabled = true;
  out.day = day;
  out.strategy = opt.routing.empty() ? m.strategy : opt.routing;
  if (!telemetry::parse_strategy(out.strategy)) {
    errors.push_back("routing strategy '" + out.strategy +
                     "' is not one of cost_aware_quality_floor, quality_first, budget_first, "
                     "latency_first" + (opt.routing.empty() ? " (template routing.strategy)" : " (--routing)"));
    return false;
  }
  std::string override_file = m.prices_override;
  if (!override_file.empty() && fs::path(override_file).is_relative() &&
      template_source.rfind("embedded:", 0) != 0)
    override_file = (fs::path(template_source).parent_path() / override_file).string();
  if (!load_prices(override_file, out.prices, errors)) return false;

  auto& c = out.constraints;
  c.max_usd_per_run = opt.budget_usd >= 0 ? opt.budget_usd : m.max_usd_per_run;
  c.max_usd_per_task_default = m.max_usd_per_task_default;
  c.latency_slo_ms = m.latency_slo_ms;
  c.min_confidence = m.min_confidence;
  c.fallbacks = m.fallbacks;
  // Model use is opt-in: --provider, else the template's routing.providers.
  // Without either the run is offline (the offline provider only).
  c.providers = !opt.providers.empty() ? opt.providers : m.providers;
  c.offline = c.providers.empty();
  for (const auto& p : c.providers) {
    const bool known = std::any_of(out.prices.models.begin(), out.prices.models.end(),
                                   [&](const messages::price_entry& e) {
                                     return e.provider == p && e.endpoint != "offline";
                                   });
    if (!known) {
      errors.push_back("provider '" + codec::display_text(p) + "' (" +
                       (opt.providers.empty() ? "template routing.providers" : "--provider") +
                       ") has no model in the price registry");
      return false;
    }
  }
  out.reviewer_enabled = m.reviewer.enabled;
  out.fixer_enabled = m.fixer.enabled;
  if (!m.reviewer.model_profile.empty()) out.reviewer_profile = m.reviewer.model_profile;
  if (!m.fixer.model_profile.empty()) out.fixer_profile = m.fixer.model_profile;
  out.review_excerpt_bytes = static_cast<uint64_t>(std::max<int64_t>(m.code_snippets_max_chars, 0)) > 0
                               ? 12000
                               : 0;
  if (opt.call_timeout_ms > 0) out.call_timeout_ms = opt.call_timeout_ms;
  return true;
}

}  // namespace casm::runtime
