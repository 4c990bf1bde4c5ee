#include "telemetry/cost.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace casm::telemetry {

using messages::cost_figure;
using messages::cost_line;
namespace truth = messages::truth;

namespace {

std::string num(double v) {
  std::ostringstream out;
  out.precision(10);
  out << v;
  return out.str();
}

cost_figure unknown_figure(std::string basis) {
  cost_figure f;
  f.usd = 0;
  f.truth = truth::unknown;
  f.basis = std::move(basis);
  return f;
}

// A price-derived figure's label: the weaker of how the counts were obtained
// and the price's own label, where a measured count at a config price is
// "calculated".
std::string derived_truth(std::string_view usage_truth, std::string_view price_truth) {
  std::string t = weakest_truth(usage_truth, price_truth);
  if (t == truth::measured) t = truth::calculated;
  return t;
}

}  // namespace

int truth_rank(std::string_view label) {
  if (label == truth::measured) return 3;
  if (label == truth::calculated) return 2;
  if (label == truth::simulated) return 1;
  return 0;
}

std::string weakest_truth(std::string_view a, std::string_view b) {
  return std::string(truth_rank(a) <= truth_rank(b) ? a : b);
}

double llm_cost_usd(const messages::price_entry& p, const messages::usage& u) {
  const uint64_t fresh = u.input_tokens - u.cached_input_tokens - u.cache_creation_tokens;
  return (static_cast<double>(fresh) * p.price_in_per_1m +
          static_cast<double>(u.cached_input_tokens) * p.price_cache_read_per_1m +
          static_cast<double>(u.cache_creation_tokens) * p.price_cache_write_per_1m +
          static_cast<double>(u.output_tokens) * p.price_out_per_1m) /
         1e6;
}

double worst_case_usd(const messages::price_entry& p, uint64_t input_tokens,
                      uint64_t max_output_tokens) {
  const double pin =
    std::max({p.price_in_per_1m, p.price_cache_read_per_1m, p.price_cache_write_per_1m});
  return (static_cast<double>(input_tokens) * pin +
          static_cast<double>(max_output_tokens) * p.price_out_per_1m) /
         1e6;
}

cost_figure llm_cost(const price_lookup& price, const messages::usage& u,
                     std::string_view usage_truth) {
  if (!price.known)
    return unknown_figure("no price for " + price.entry.model + ": cost unknown, not $0");
  if (u.cached_input_tokens > u.input_tokens ||
      u.cache_creation_tokens > u.input_tokens - u.cached_input_tokens)
    return unknown_figure("inconsistent usage: cached tokens exceed input_tokens");
  const auto& p = price.entry;
  const uint64_t fresh = u.input_tokens - u.cached_input_tokens - u.cache_creation_tokens;
  cost_figure f;
  f.usd = llm_cost_usd(p, u);
  f.truth = derived_truth(usage_truth, price.truth);
  f.basis = "(" + std::to_string(fresh) + "*" + num(p.price_in_per_1m) + " + " +
            std::to_string(u.cached_input_tokens) + "*" + num(p.price_cache_read_per_1m) + " + " +
            std::to_string(u.cache_creation_tokens) + "*" + num(p.price_cache_write_per_1m) +
            " + " + std::to_string(u.output_tokens) + "*" + num(p.price_out_per_1m) + ")/1e6 [" +
            p.model + "]";
  return f;
}

cost_figure worst_case_cost(const price_lookup& price, uint64_t input_tokens,
                            uint64_t max_output_tokens) {
  if (!price.known)
    return unknown_figure("no price for " + price.entry.model + ": cannot be reserved");
  const auto& p = price.entry;
  const double pin =
    std::max({p.price_in_per_1m, p.price_cache_read_per_1m, p.price_cache_write_per_1m});
  cost_figure f;
  f.usd = worst_case_usd(p, input_tokens, max_output_tokens);
  f.truth = derived_truth(truth::calculated, price.truth);
  f.basis = "worst case: (" + std::to_string(input_tokens) + "*" + num(pin) + " + " +
            std::to_string(max_output_tokens) + "*" + num(p.price_out_per_1m) + ")/1e6 [" +
            p.model + "]";
  return f;
}

cost_line priced_line(std::string name, std::string unit, double quantity, double unit_cost_usd,
                      std::string label) {
  cost_line l;
  l.name = std::move(name);
  l.unit = std::move(unit);
  l.quantity = quantity;
  l.unit_cost_usd = unit_cost_usd;
  l.cost_usd = quantity * unit_cost_usd;
  l.truth = std::move(label);
  return l;
}

namespace {

// Adds the lines to `f`: their cost, and their labels to its truth.
void add_lines(cost_figure& f, const std::vector<cost_line>& lines) {
  for (const auto& l : lines) {
    f.usd += l.cost_usd;
    f.truth = weakest_truth(f.truth, l.truth);
  }
}

cost_figure run_cost(const std::vector<cost_figure>& llm, const std::vector<cost_line>& tools,
                     const std::vector<cost_line>& infra, double factor) {
  cost_figure f;
  f.truth = truth::measured;
  double llm_sum = 0;
  size_t unknown = 0;
  for (const auto& c : llm) {
    llm_sum += c.usd;
    if (c.truth == truth::unknown) ++unknown;
    f.truth = weakest_truth(f.truth, c.truth);
  }
  f.usd = llm_sum * factor;
  add_lines(f, tools);
  add_lines(f, infra);
  if (llm.empty() && tools.empty() && infra.empty()) f.truth = truth::calculated;
  if (unknown) f.basis = "lower bound: " + std::to_string(unknown) + " call(s) without a price; ";
  return f;
}

}  // namespace

cost_figure run_cost_forecast(const std::vector<cost_figure>& llm,
                              const std::vector<cost_line>& tools,
                              const std::vector<cost_line>& infra, double retry_factor,
                              double safety_margin) {
  auto f = run_cost(llm, tools, infra, retry_factor * safety_margin);
  // A forecast is derived, never observed.
  if (f.truth == truth::measured) f.truth = truth::calculated;
  f.basis += "forecast: sum(LLM_cost * R(" + num(retry_factor) + ") * S(" + num(safety_margin) +
             ")) + tools + infra";
  return f;
}

cost_figure run_cost_actual(const std::vector<cost_figure>& llm,
                            const std::vector<cost_line>& tools,
                            const std::vector<cost_line>& infra) {
  auto f = run_cost(llm, tools, infra, 1.0);
  f.basis += "actual: sum(LLM_cost) + tools + infra";
  return f;
}

cost_figure outcome_cost(const std::vector<cost_figure>& run_costs, double hitl_minutes,
                         double human_rate_per_min, std::string_view hitl_truth) {
  cost_figure f;
  f.truth = truth::measured;
  for (const auto& r : run_costs) {
    f.usd += r.usd;
    f.truth = weakest_truth(f.truth, r.truth);
  }
  f.usd += hitl_minutes * human_rate_per_min;
  if (hitl_minutes > 0)
    f.truth = weakest_truth(f.truth, derived_truth(hitl_truth, truth::calculated));
  if (run_costs.empty() && hitl_minutes <= 0) f.truth = truth::calculated;
  f.basis = "sum(Run_cost_i) over " + std::to_string(run_costs.size()) + " run(s) + " +
            num(hitl_minutes) + " HITL min * " + num(human_rate_per_min) + " USD/min";
  return f;
}

cost_figure gross_margin(const cost_figure& outcome, double price_charged) {
  if (!(price_charged > 0)) return unknown_figure("no price charged: margin unknown");
  cost_figure f;
  f.usd = 1.0 - outcome.usd / price_charged;  // a ratio, not dollars
  f.truth = derived_truth(outcome.truth, truth::calculated);
  f.basis = "1 - " + num(outcome.usd) + " / " + num(price_charged);
  return f;
}

verified_outcome verified_outcome_cost(const cost_figure& total, uint64_t tasks_verified) {
  verified_outcome v;
  v.tasks_verified = tasks_verified;
  if (tasks_verified == 0) {
    v.per_verified_task = unknown_figure("N/A: verification did not pass");
    v.unverified_spend = total;
    v.unverified_spend.basis = "money spent without verified delivery";
    return v;
  }
  v.per_verified_task.usd = total.usd / static_cast<double>(tasks_verified);
  v.per_verified_task.truth = derived_truth(total.truth, truth::calculated);
  v.per_verified_task.basis =
    num(total.usd) + " / " + std::to_string(tasks_verified) + " verified task(s)";
  v.unverified_spend.usd = 0;
  v.unverified_spend.truth = total.truth;
  v.unverified_spend.basis = "every task verified";
  return v;
}

}  // namespace casm::telemetry
