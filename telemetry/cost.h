// The cost formulas of the seed and runcap, each figure with a truth label
// (measured > calculated > simulated > unknown; a result is as weak as its
// weakest input). Pure functions; thread-safe.
//
//   LLM_cost     = (Tfresh*Pin + Tcache_read*Pcache_read + Tcache_write*Pcache_write
//                   + Tout*Pout) / 1e6,  Tfresh = Tin - Tcache_read - Tcache_write
//   worst case   = Tin * max(Pin, Pcache_read, Pcache_write) / 1e6 + max_tokens * Pout / 1e6
//   Run_cost     = sum(LLM_cost * R * S) + Tool_cost + Infra_cost   (forecast; R=1.10, S=1.05)
//   actual run   = sum(LLM_cost) + Tool_cost + Infra_cost           (R and S never apply)
//   Outcome_cost = sum(Run_cost_i) + HITL_minutes * Human_rate_per_min
//   Gross_margin = 1 - Outcome_cost / Price_charged
//   Verified Outcome Cost = total run cost / tasks that passed verification
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/data/routing.h"
#include "telemetry/prices.h"

namespace casm::telemetry {

constexpr double default_retry_factor = 1.10;
constexpr double default_safety_margin = 1.05;

// 3 measured, 2 calculated, 1 simulated, 0 unknown (and anything else).
int truth_rank(std::string_view label);
std::string weakest_truth(std::string_view a, std::string_view b);

// The cost of one call from its usage. Cached tokens are part of
// input_tokens and are priced once, at the cache price. Unknown (usd 0, truth
// "unknown") when the price is unknown or the usage is inconsistent (cached
// parts larger than input_tokens). `usage_truth` is how the token counts were
// obtained: measured (provider usage), simulated, ...; a measured usage at a
// config price is "calculated".
messages::cost_figure llm_cost(const price_lookup& price, const messages::usage& u,
                               std::string_view usage_truth = messages::truth::measured);

// What a reservation holds before a call: every known input token at the
// highest input-side price, plus max_output_tokens at the output price. Never
// below llm_cost() of any usage with input_tokens <= `input_tokens` and
// output_tokens <= `max_output_tokens`.
messages::cost_figure worst_case_cost(const price_lookup& price, uint64_t input_tokens,
                                      uint64_t max_output_tokens);

// The dollars alone, for hot paths (the router): no label, no basis. The
// entry's price must be known and the usage consistent.
double llm_cost_usd(const messages::price_entry& p, const messages::usage& u);
double worst_case_usd(const messages::price_entry& p, uint64_t input_tokens,
                      uint64_t max_output_tokens);

// A tool or infra line: cost_usd = quantity * unit_cost_usd.
messages::cost_line priced_line(std::string name, std::string unit, double quantity,
                                double unit_cost_usd,
                                std::string truth = messages::truth::calculated);

// The forecast of a run: every LLM figure times R and S, plus the lines.
messages::cost_figure run_cost_forecast(const std::vector<messages::cost_figure>& llm,
                                        const std::vector<messages::cost_line>& tools,
                                        const std::vector<messages::cost_line>& infra,
                                        double retry_factor = default_retry_factor,
                                        double safety_margin = default_safety_margin);

// The actual cost of a run: as measured, no R or S.
messages::cost_figure run_cost_actual(const std::vector<messages::cost_figure>& llm,
                                      const std::vector<messages::cost_line>& tools,
                                      const std::vector<messages::cost_line>& infra);

messages::cost_figure outcome_cost(const std::vector<messages::cost_figure>& run_costs,
                                   double hitl_minutes, double human_rate_per_min,
                                   std::string_view hitl_truth = messages::truth::measured);

// Unknown when no price was charged (price_charged <= 0).
messages::cost_figure gross_margin(const messages::cost_figure& outcome, double price_charged);

struct verified_outcome {
  uint64_t tasks_verified = 0;
  messages::cost_figure per_verified_task;  // unknown ("N/A") when nothing verified
  messages::cost_figure unverified_spend;   // the whole total when nothing verified, else 0
};
verified_outcome verified_outcome_cost(const messages::cost_figure& total_run_cost,
                                       uint64_t tasks_verified);

}  // namespace casm::telemetry
