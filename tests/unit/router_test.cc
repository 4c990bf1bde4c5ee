// The router as a pure function: each strategy's choice on the shipped
// registry, every reject reason, deterministic ties, the fallback chain and
// the circuit breaker. Expected figures are worked out by hand from
// config/prices.yaml.
#include <gtest/gtest.h>

#include <algorithm>

#include "telemetry/circuit_breaker.h"
#include "telemetry/router.h"
#include "tests/unit/routing_fixtures.h"

namespace casm::telemetry {
namespace {

using messages::breaker_view;
using messages::budget_view;
using messages::candidate;
using messages::routing_constraints;
using messages::routing_decision;

class router : public ::testing::Test {
protected:
  messages::price_registry reg = test::shipped_registry();
  // reasoning_low: o4-mini 0.0308 (worst 0.0396), gpt-4.1 0.056 (0.072),
  // claude-sonnet-4 0.09 (0.135), casm-offline 0.
  messages::routing_task task = test::make_task("t1", "reasoning_low", 20000, 2000, 4000);
  routing_constraints constraints;
  budget_view budget;
  breaker_view breakers;

  routing_decision decide(strategy s = strategy::cost_aware_quality_floor) {
    return route(task, s, reg, reg.profiles, budget, breakers, constraints);
  }
};

const candidate& find(const routing_decision& d, const std::string& model) {
  static candidate none;
  for (const auto& c : d.candidates)
    if (c.model == model) return c;
  ADD_FAILURE() << "no candidate " << model;
  return none;
}

std::vector<std::string> order(const routing_decision& d) {
  std::vector<std::string> out;
  for (const auto& c : d.candidates) out.push_back(c.model);
  return out;
}

TEST_F(router, cost_aware_picks_the_cheapest_above_the_floor) {
  auto d = decide();
  ASSERT_TRUE(d.has_selection);
  EXPECT_EQ(d.selected.model, "o4-mini");
  EXPECT_EQ(d.selected.provider, "openai");
  EXPECT_NEAR(d.selected.estimated_cost_usd, 0.0308, 1e-12);
  EXPECT_NEAR(d.selected.worst_case_usd, 0.0396, 1e-12);
  EXPECT_EQ(d.selected.cost_truth, "calculated");
  EXPECT_EQ(d.max_output_tokens, 4000u);
  EXPECT_EQ(order(d), (std::vector<std::string>{"o4-mini", "gpt-4.1", "claude-sonnet-4-20250514",
                                                "casm-offline"}));
  EXPECT_NEAR(find(d, "gpt-4.1").estimated_cost_usd, 0.056, 1e-12);
  EXPECT_NEAR(find(d, "claude-sonnet-4-20250514").worst_case_usd, 0.135, 1e-12);
  EXPECT_DOUBLE_EQ(find(d, "o4-mini").score, 1.0);
  EXPECT_NEAR(find(d, "gpt-4.1").score, 0.0308 / 0.056, 1e-12);
  // The offline provider is listed, rejected, never a silent fallback.
  EXPECT_EQ(find(d, "casm-offline").reject_reasons,
            std::vector<std::string>{reject::provider_not_allowed});
  EXPECT_EQ(find(d, "casm-offline").score, 0);
  EXPECT_EQ(d.reason_codes, (std::vector<std::string>{"CHEAPEST_ABOVE_QUALITY_FLOOR",
                                                      "REJECTED_PROVIDER_NOT_ALLOWED"}));
  EXPECT_TRUE(d.constraints.budget);
  EXPECT_TRUE(d.constraints.quality);
  EXPECT_FALSE(d.constraints.latency);
}

TEST_F(router, each_strategy) {
  EXPECT_EQ(decide(strategy::quality_first).selected.model, "claude-sonnet-4-20250514");
  EXPECT_EQ(decide(strategy::latency_first).selected.model, "gpt-4.1");
  auto q = decide(strategy::quality_first);
  EXPECT_DOUBLE_EQ(find(q, "o4-mini").score, 0.80);
  EXPECT_EQ(q.reason_codes[0], "HIGHEST_QUALITY");

  constraints.min_confidence = 0.82;
  auto floor = decide();
  EXPECT_EQ(floor.selected.model, "claude-sonnet-4-20250514");
  EXPECT_EQ(find(floor, "o4-mini").reject_reasons,
            std::vector<std::string>{reject::below_quality_floor});
  // budget_first ignores the quality floor.
  auto cheap = decide(strategy::budget_first);
  EXPECT_EQ(cheap.selected.model, "o4-mini");
  EXPECT_FALSE(cheap.constraints.quality);
  EXPECT_EQ(cheap.reason_codes[0], "CHEAPEST_WITHIN_BUDGET");

  EXPECT_EQ(parse_strategy("latency_first"), strategy::latency_first);
  EXPECT_FALSE(parse_strategy("fastest").has_value());
}

TEST_F(router, over_budget_at_every_level) {
  budget.run_remaining_usd = 0.05;  // o4-mini's worst case 0.0396 fits, nothing else does
  auto d = decide(strategy::quality_first);
  EXPECT_EQ(d.selected.model, "o4-mini");
  EXPECT_EQ(find(d, "claude-sonnet-4-20250514").reject_reasons,
            std::vector<std::string>{reject::over_budget});

  // The worst case decides, not the expected cost: o4-mini's 0.0308 would
  // fit 0.035, its reservation of 0.0396 does not.
  budget.run_remaining_usd = 0.035;
  EXPECT_FALSE(decide().has_selection);
  EXPECT_EQ(find(decide(), "o4-mini").reject_reasons,
            std::vector<std::string>{reject::over_budget});

  budget.run_remaining_usd = 0.03;  // nothing fits: the task is unaffordable
  d = decide();
  EXPECT_FALSE(d.has_selection);
  EXPECT_EQ(d.reason_codes,
            (std::vector<std::string>{"NO_ELIGIBLE_CANDIDATE", "NO_CANDIDATE_AFFORDABLE",
                                      "REJECTED_PROVIDER_NOT_ALLOWED", "REJECTED_OVER_BUDGET"}));

  budget = {};
  budget.provider_day.push_back({"openai", 0.01});
  d = decide();
  EXPECT_EQ(d.selected.model, "claude-sonnet-4-20250514");
  EXPECT_EQ(find(d, "gpt-4.1").reject_reasons, std::vector<std::string>{reject::over_budget});

  budget = {};
  budget.fleet_remaining_usd = 0.04;
  EXPECT_EQ(decide(strategy::quality_first).selected.model, "o4-mini");

  budget = {};
  constraints.max_usd_per_task_default = 0.05;
  EXPECT_EQ(decide(strategy::latency_first).selected.model, "o4-mini");
  constraints.max_usd_per_task_default = 0;
  constraints.max_usd_per_run = 0.03;
  EXPECT_FALSE(decide().has_selection);
}

TEST_F(router, unknown_price_is_never_selected) {
  std::vector<messages::model_profile> profiles = reg.profiles;
  for (auto& p : profiles)
    if (p.name == "reasoning_low")
      p.candidates.insert(p.candidates.begin(), {"gpt-9", "openai", 0.99, 1});
  auto d = route(task, strategy::quality_first, reg, profiles, budget, breakers, constraints);
  EXPECT_EQ(d.selected.model, "claude-sonnet-4-20250514");
  const auto& unknown = find(d, "gpt-9");
  EXPECT_FALSE(unknown.price_known);
  EXPECT_EQ(unknown.cost_truth, "unknown");
  EXPECT_EQ(unknown.provider, "openai");
  EXPECT_EQ(unknown.reject_reasons, std::vector<std::string>{reject::price_unknown});
  auto cheapest = route(task, strategy::budget_first, reg, profiles, budget, breakers, constraints);
  EXPECT_EQ(cheapest.selected.model, "o4-mini");
  EXPECT_EQ(find(cheapest, "gpt-9").score, 0);
}

TEST_F(router, provider_filter_and_offline) {
  constraints.providers = {"anthropic"};
  auto d = decide();
  EXPECT_EQ(d.selected.model, "claude-sonnet-4-20250514");
  EXPECT_EQ(find(d, "o4-mini").reject_reasons,
            std::vector<std::string>{reject::provider_not_allowed});

  // "other" admits DeepSeek, never the offline provider.
  constraints.providers = {"other"};
  task.profile = "cheap";
  d = decide();
  EXPECT_EQ(d.selected.model, "deepseek-chat");
  EXPECT_EQ(d.selected.endpoint, "deepseek");
  EXPECT_FALSE(find(d, "casm-offline").reject_reasons.empty());

  constraints.providers = {};
  constraints.offline = true;
  task.profile = "reasoning_low";
  d = decide();
  EXPECT_EQ(d.selected.model, "casm-offline");
  EXPECT_EQ(d.selected.provider, "other");
  EXPECT_EQ(d.selected.cost_truth, "simulated");
  EXPECT_EQ(d.selected.estimated_cost_usd, 0);
  EXPECT_EQ(d.reason_codes[1], "OFFLINE_PROVIDER");
  EXPECT_EQ(find(d, "o4-mini").reject_reasons,
            std::vector<std::string>{reject::provider_not_allowed});
}

TEST_F(router, circuit_latency_context_and_already_tried) {
  breakers.open_endpoints = {"openai"};
  auto d = decide();
  EXPECT_EQ(d.selected.model, "claude-sonnet-4-20250514");
  EXPECT_EQ(find(d, "o4-mini").reject_reasons, std::vector<std::string>{reject::circuit_open});
  breakers = {};

  constraints.latency_slo_ms = 5000;
  d = decide();
  EXPECT_TRUE(d.constraints.latency);
  EXPECT_EQ(d.selected.model, "gpt-4.1");
  EXPECT_EQ(find(d, "o4-mini").reject_reasons, std::vector<std::string>{reject::over_latency_slo});
  constraints.latency_slo_ms = 0;

  auto big = test::make_task("t2", "code_mid", 150000, 2000, 4000);
  d = route(big, strategy::cost_aware_quality_floor, reg, reg.profiles, budget, breakers,
            constraints);
  EXPECT_EQ(d.selected.model, "gpt-4.1-mini");
  EXPECT_NEAR(d.selected.estimated_cost_usd, 0.0632, 1e-12);
  EXPECT_EQ(find(d, "deepseek-chat").reject_reasons,
            std::vector<std::string>{reject::context_too_long});
  EXPECT_EQ(find(d, "kimi-k2-0711-preview").reject_reasons,
            std::vector<std::string>{reject::context_too_long});

  task.exclude_models = {"o4-mini"};
  d = decide();
  EXPECT_EQ(d.selected.model, "gpt-4.1");
  EXPECT_EQ(find(d, "o4-mini").reject_reasons, std::vector<std::string>{reject::already_tried});

  task.profile = "nope";
  d = decide();
  EXPECT_FALSE(d.has_selection);
  EXPECT_EQ(d.reason_codes[0], "UNKNOWN_PROFILE");
}

TEST_F(router, max_tokens_default_to_the_model_limit_within_the_context) {
  task.max_output_tokens = 0;
  auto d = decide();
  // o4-mini: max output 100000, context 200000 - 20000 input leaves 180000.
  EXPECT_EQ(d.max_output_tokens, 100000u);
  EXPECT_NEAR(d.selected.worst_case_usd, (20000 * 1.1 + 100000 * 4.4) / 1e6, 1e-12);
  task.max_output_tokens = 500000;  // more than the model gives: clamped
  EXPECT_EQ(decide().max_output_tokens, 100000u);
}

TEST_F(router, ties_break_deterministically) {
  messages::price_registry r;
  r.providers = {{"openai", "openai_chat", "", "", "", "max_tokens"},
                 {"anthropic", "anthropic_messages", "", "", "", ""}};
  for (auto [prov, model] : {std::pair{"openai", "b-model"}, std::pair{"anthropic", "z-model"},
                             std::pair{"openai", "a-model"}}) {
    messages::price_entry e;
    e.provider = e.endpoint = prov;
    e.model = model;
    e.price_in_per_1m = e.price_out_per_1m = e.price_cache_read_per_1m =
      e.price_cache_write_per_1m = 1.0;
    e.context_tokens = 100000;
    e.max_output_tokens = 1000;
    r.models.push_back(e);
  }
  messages::model_profile p{
    "cheap", {{"b-model", "", 0.8, 100}, {"z-model", "", 0.8, 100}, {"a-model", "", 0.8, 100}}};
  auto t = test::make_task("t", "cheap", 1000, 100, 200);
  std::vector<std::string> expected = {"z-model", "a-model",
                                       "b-model"};  // anthropic < openai, then model
  for (int i = 0; i < 6; ++i) {
    std::next_permutation(p.candidates.begin(), p.candidates.end(),
                          [](const auto& a, const auto& b) { return a.model < b.model; });
    for (auto s : {strategy::cost_aware_quality_floor, strategy::quality_first,
                   strategy::budget_first, strategy::latency_first}) {
      auto d = route(t, s, r, {p}, budget, breakers, constraints);
      EXPECT_EQ(order(d), expected) << to_string(s);
      EXPECT_EQ(d.reason_codes.back(), "TIE_BROKEN");
    }
  }
}

TEST_F(router, same_inputs_same_decision) {
  const auto a = nlohmann::json(decide()).dump();
  std::vector<messages::model_profile> reversed = reg.profiles;
  for (auto& p : reversed) std::reverse(p.candidates.begin(), p.candidates.end());
  const auto b = nlohmann::json(route(task, strategy::cost_aware_quality_floor, reg, reversed,
                                      budget, breakers, constraints))
                   .dump();
  EXPECT_EQ(a, b);
}

TEST(router_fallbacks, failure_kinds_of_connector_errors) {
  EXPECT_EQ(failure_of("timeout"), failure_kind::timeout);
  for (const char* e :
       {"rate_limited", "server_error", "network_error", "auth_error", "malformed_response"}) {
    EXPECT_EQ(failure_of(e), failure_kind::provider_error) << e;
    EXPECT_TRUE(trips_breaker(e)) << e;
  }
  for (const char* e : {"empty_content", "truncated", "bad_request"}) {
    EXPECT_EQ(failure_of(e), failure_kind::low_quality) << e;
    EXPECT_FALSE(trips_breaker(e)) << e;
  }
  EXPECT_FALSE(failure_of("").has_value());
  EXPECT_EQ(parse_failure_kind("over_budget"), failure_kind::over_budget);
}

TEST_F(router, fallback_chain) {
  const std::vector<messages::fallback_rule> rules = {{"timeout", "downgrade_model"},
                                                      {"over_budget", "reduce_scope"}};
  constraints.fallbacks = rules;
  auto d = decide();  // o4-mini, the cheapest: nothing cheaper in the profile
  EXPECT_EQ(d.fallbacks.size(), 2u);

  auto t1 = next_fallback(d, "o4-mini", failure_kind::timeout, rules);
  EXPECT_EQ(t1.action, "downgrade_model");
  EXPECT_FALSE(t1.has_next);
  EXPECT_EQ(t1.next_profile, "code_mid");
  EXPECT_EQ(t1.reason_code, "FALLBACK_TIMEOUT_DOWNGRADE_MODEL");

  auto q = decide(strategy::quality_first);  // sonnet: two cheaper ones below it
  auto t2 = next_fallback(q, "claude-sonnet-4-20250514", failure_kind::timeout, rules);
  ASSERT_TRUE(t2.has_next);
  EXPECT_EQ(t2.next.model, "o4-mini");

  // provider_error -> another provider (gpt-4.1 shares openai's endpoint) ...
  auto p1 = next_fallback(d, "o4-mini", failure_kind::provider_error, rules);
  EXPECT_EQ(p1.action, "switch_provider");
  ASSERT_TRUE(p1.has_next);
  EXPECT_EQ(p1.next.model, "claude-sonnet-4-20250514");
  EXPECT_EQ(p1.failed_endpoint, "openai");
  // ... and when that fails too, no provider is left: stop, never offline.
  auto p2 = next_fallback(d, "claude-sonnet-4-20250514", failure_kind::provider_error, rules, {p1});
  EXPECT_EQ(p2.action, "stop");
  EXPECT_FALSE(p2.has_next);

  // over_budget -> reduce_scope, then stop.
  auto b1 = next_fallback(d, "o4-mini", failure_kind::over_budget, rules);
  EXPECT_EQ(b1.action, "reduce_scope");
  auto b2 = next_fallback(d, "o4-mini", failure_kind::over_budget, rules, {b1});
  EXPECT_EQ(b2.action, "stop");
  EXPECT_EQ(b2.reason_code, "FALLBACK_OVER_BUDGET_STOP");

  // low_quality -> a higher profile, and past the highest, a human.
  auto l1 = next_fallback(d, "o4-mini", failure_kind::low_quality, rules);
  EXPECT_EQ(l1.action, "upgrade_profile");
  EXPECT_EQ(l1.next_profile, "reasoning_high");
  task.profile = "reasoning_high";
  auto high = decide();
  auto l2 = next_fallback(high, high.selected.model, failure_kind::low_quality, rules);
  EXPECT_EQ(l2.action, "escalate_hitl");

  // The template decides: timeout -> stop.
  auto s = next_fallback(d, "o4-mini", failure_kind::timeout, {{"timeout", "stop"}});
  EXPECT_EQ(s.action, "stop");

  // Downgrading the cheapest profile's cheapest model: nowhere to go.
  task.profile = "cheap";
  auto c = decide();
  auto c1 = next_fallback(c, c.selected.model, failure_kind::timeout, rules);
  EXPECT_EQ(c1.action, "stop");
}

TEST_F(router, offline_decisions_have_no_fallback_provider) {
  constraints.offline = true;
  auto d = decide();
  auto p = next_fallback(d, "casm-offline", failure_kind::provider_error, {});
  EXPECT_EQ(p.action, "stop");
}

TEST(circuit_breaker, opens_cools_down_and_probes) {
  circuit_breakers b({3, 1000});
  EXPECT_TRUE(b.allow("openai", 0));
  b.record_failure("openai", 0);
  b.record_failure("openai", 1);
  EXPECT_EQ(b.state("openai", 1), breaker_state::closed);
  b.record_failure("openai", 2);
  EXPECT_EQ(b.state("openai", 2), breaker_state::open);
  EXPECT_FALSE(b.allow("openai", 500));
  EXPECT_EQ(b.view(500).open_endpoints, std::vector<std::string>{"openai"});
  EXPECT_TRUE(b.allow("anthropic", 500));  // one breaker per endpoint

  EXPECT_EQ(b.state("openai", 1002), breaker_state::half_open);
  EXPECT_TRUE(
    b.view(1002).open_endpoints.empty());  // the router may pick it: that call is the probe
  EXPECT_TRUE(b.allow("openai", 1002));
  EXPECT_FALSE(b.allow("openai", 1003));  // one probe at a time
  EXPECT_EQ(b.view(1003).open_endpoints, std::vector<std::string>{"openai"});
  b.record_failure("openai", 1010);  // the probe failed: another cooldown
  EXPECT_FALSE(b.allow("openai", 2000));
  EXPECT_TRUE(b.allow("openai", 2010));
  b.record_success("openai", 2020);
  EXPECT_EQ(b.state("openai", 2020), breaker_state::closed);
  EXPECT_TRUE(b.allow("openai", 2021));
  // A success resets the count.
  b.record_failure("openai", 3000);
  b.record_failure("openai", 3001);
  b.record_success("openai", 3002);
  b.record_failure("openai", 3003);
  EXPECT_EQ(b.state("openai", 3003), breaker_state::closed);
}

}  // namespace
}  // namespace casm::telemetry
