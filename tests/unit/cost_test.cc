// The cost formulas: exact dollars for known usage, cached tokens priced once
// at the cache price, R and S on forecasts only, and a truth label on every
// figure (unknown is never $0 in disguise).
#include <gtest/gtest.h>

#include <random>

#include "telemetry/cost.h"
#include "tests/unit/routing_fixtures.h"

namespace casm::telemetry {
namespace {

using messages::cost_figure;
using messages::usage;

usage make_usage(uint64_t in, uint64_t cached, uint64_t creation, uint64_t out) {
  usage u;
  u.input_tokens = in;
  u.cached_input_tokens = cached;
  u.cache_creation_tokens = creation;
  u.output_tokens = out;
  return u;
}

cost_figure figure(double usd, const char* truth) {
  cost_figure f;
  f.usd = usd;
  f.truth = truth;
  return f;
}

TEST(cost, truth_order) {
  EXPECT_EQ(weakest_truth("measured", "calculated"), "calculated");
  EXPECT_EQ(weakest_truth("simulated", "calculated"), "simulated");
  EXPECT_EQ(weakest_truth("unknown", "measured"), "unknown");
  EXPECT_EQ(weakest_truth("measured", "measured"), "measured");
  EXPECT_EQ(weakest_truth("bogus", "measured"), "bogus");  // anything else ranks as unknown
  EXPECT_EQ(truth_rank("bogus"), 0);
}

TEST(cost, openai_usage_with_cached_tokens_exact) {
  const auto reg = test::shipped_registry();
  // 1M prompt tokens of which 400k cached, 100k out, on gpt-4o-mini
  // (0.15 in, 0.075 cached, 0.60 out).
  auto c = llm_cost(lookup_price(reg, "gpt-4o-mini"), make_usage(1000000, 400000, 0, 100000));
  EXPECT_DOUBLE_EQ(c.usd, 0.09 + 0.03 + 0.06);
  EXPECT_EQ(c.truth, "calculated");  // measured usage at a config price
  EXPECT_NE(c.basis.find("600000*0.15"), std::string::npos) << c.basis;
}

TEST(cost, anthropic_usage_with_cache_reads_and_writes_exact) {
  const auto reg = test::shipped_registry();
  // input_tokens 1000 + cache_read 2000 + cache_creation 3000, 500 out, on
  // claude-sonnet-4 (3 in, 0.30 read, 3.75 write, 15 out).
  auto c =
    llm_cost(lookup_price(reg, "claude-sonnet-4-20250514"), make_usage(6000, 2000, 3000, 500));
  EXPECT_NEAR(c.usd, (1000 * 3.0 + 2000 * 0.30 + 3000 * 3.75 + 500 * 15.0) / 1e6, 1e-15);
  EXPECT_NEAR(c.usd, 0.02235, 1e-12);
}

TEST(cost, cached_tokens_are_counted_once) {
  const auto reg = test::shipped_registry();
  const auto p = lookup_price(reg, "gpt-4.1");
  const double all_fresh = llm_cost(p, make_usage(10000, 0, 0, 0)).usd;
  const double all_cached = llm_cost(p, make_usage(10000, 10000, 0, 0)).usd;
  EXPECT_DOUBLE_EQ(all_fresh, 10000 * 2.0 / 1e6);
  EXPECT_DOUBLE_EQ(all_cached, 10000 * 0.5 / 1e6);  // at the cache price, not on top
  EXPECT_LT(all_cached, all_fresh);
}

TEST(cost, unknown_price_and_bad_usage_are_unknown) {
  const auto reg = test::shipped_registry();
  auto c = llm_cost(lookup_price(reg, "gpt-9"), make_usage(100, 0, 0, 100));
  EXPECT_EQ(c.truth, "unknown");
  EXPECT_NE(c.basis.find("not $0"), std::string::npos);
  auto w = worst_case_cost(lookup_price(reg, "gpt-9"), 100, 100);
  EXPECT_EQ(w.truth, "unknown");

  auto bad = llm_cost(lookup_price(reg, "gpt-4.1"), make_usage(100, 80, 40, 0));
  EXPECT_EQ(bad.truth, "unknown");
  EXPECT_NE(bad.basis.find("inconsistent"), std::string::npos);
}

TEST(cost, offline_and_simulated_usage_are_simulated) {
  const auto reg = test::shipped_registry();
  auto off = llm_cost(lookup_price(reg, "casm-offline"), make_usage(5000, 0, 0, 500));
  EXPECT_EQ(off.usd, 0);
  EXPECT_EQ(off.truth, "simulated");
  auto sim = llm_cost(lookup_price(reg, "gpt-4.1"), make_usage(5000, 0, 0, 500), "simulated");
  EXPECT_EQ(sim.truth, "simulated");
}

// The reservation bound: no usage within (input, max_tokens) costs more than
// the worst case, whatever the cache split (cache writes cost more than input
// on Anthropic).
TEST(cost, worst_case_bounds_every_usage) {
  const auto reg = test::shipped_registry();
  std::mt19937_64 rng(7);
  for (const auto& m : reg.models) {
    const auto p = lookup_price(reg, m.model);
    for (int i = 0; i < 200; ++i) {
      const uint64_t in = rng() % 200000, max_out = rng() % 20000;
      const uint64_t cached = in ? rng() % (in + 1) : 0;
      const uint64_t creation = (in - cached) ? rng() % (in - cached + 1) : 0;
      const uint64_t out = max_out ? rng() % (max_out + 1) : 0;
      const double actual = llm_cost(p, make_usage(in, cached, creation, out)).usd;
      ASSERT_LE(actual, worst_case_cost(p, in, max_out).usd + 1e-15) << m.model;
    }
  }
  auto sonnet = lookup_price(reg, "claude-sonnet-4-20250514");
  EXPECT_DOUBLE_EQ(worst_case_cost(sonnet, 1000, 100).usd, (1000 * 3.75 + 100 * 15.0) / 1e6);
}

TEST(cost, run_cost_r_and_s_apply_to_forecasts_only) {
  std::vector<cost_figure> llm = {figure(1.0, "calculated"), figure(2.0, "calculated")};
  std::vector<messages::cost_line> tools = {priced_line("ci", "minutes", 10, 0.05, "measured")};
  std::vector<messages::cost_line> infra = {priced_line("host", "requests", 1, 0.25)};
  EXPECT_DOUBLE_EQ(tools[0].cost_usd, 0.5);

  auto forecast = run_cost_forecast(llm, tools, infra);
  EXPECT_DOUBLE_EQ(forecast.usd, 3.0 * 1.10 * 1.05 + 0.5 + 0.25);
  EXPECT_EQ(forecast.truth, "calculated");
  EXPECT_NE(forecast.basis.find("R(1.1)"), std::string::npos) << forecast.basis;

  auto actual = run_cost_actual(llm, tools, infra);
  EXPECT_DOUBLE_EQ(actual.usd, 3.75);
  auto custom = run_cost_forecast(llm, {}, {}, 1.0, 1.0);
  EXPECT_DOUBLE_EQ(custom.usd, 3.0);

  // A call without a price makes the total a lower bound, labelled unknown.
  llm.push_back(figure(0, "unknown"));
  auto partial = run_cost_actual(llm, tools, infra);
  EXPECT_EQ(partial.truth, "unknown");
  EXPECT_NE(partial.basis.find("lower bound"), std::string::npos);
  // Offline figures stay simulated.
  auto offline = run_cost_actual({figure(0, "simulated")}, {}, {});
  EXPECT_EQ(offline.truth, "simulated");
}

TEST(cost, outcome_cost_and_margin) {
  auto outcome = outcome_cost({figure(1.0, "calculated"), figure(2.0, "calculated")}, 30, 1.5);
  EXPECT_DOUBLE_EQ(outcome.usd, 48.0);
  EXPECT_EQ(outcome.truth, "calculated");
  auto margin = gross_margin(outcome, 100.0);
  EXPECT_DOUBLE_EQ(margin.usd, 0.52);
  EXPECT_EQ(margin.truth, "calculated");
  EXPECT_EQ(gross_margin(outcome, 0).truth, "unknown");
}

TEST(cost, verified_outcome_cost) {
  auto v = verified_outcome_cost(figure(0.002031, "calculated"), 3);
  EXPECT_NEAR(v.per_verified_task.usd, 0.000677, 1e-12);
  EXPECT_EQ(v.per_verified_task.truth, "calculated");
  EXPECT_EQ(v.unverified_spend.usd, 0);

  auto none = verified_outcome_cost(figure(0.001012, "calculated"), 0);
  EXPECT_EQ(none.per_verified_task.truth, "unknown");
  EXPECT_NE(none.per_verified_task.basis.find("N/A"), std::string::npos);
  EXPECT_DOUBLE_EQ(none.unverified_spend.usd, 0.001012);
}

}  // namespace
}  // namespace casm::telemetry
