// routing_decisions.json and cost_forecast.json validate against the seed
// schemas (docs/schemas/, Draft 2020-12, via /usr/bin/python3 jsonschema),
// leave an unaffordable task out of `tasks` and name it in the notes, and
// apply R and S to the forecast only.
#include <gtest/gtest.h>

#include "messages/codec/json_text.h"
#include "telemetry/budget.h"
#include "telemetry/routing_writer.h"
#include "tests/unit/routing_fixtures.h"

namespace casm::telemetry {
namespace {

using codec::json;

artifact_run sample_run() {
  return {"01J0000000000000000000RUN1", "repo-auditor", "2025-07-15T10:00:00Z",
          "2025-07-15T10:05:00Z"};
}

struct fixture {
  messages::price_registry reg = test::shipped_registry();
  messages::routing_constraints constraints;
  std::vector<messages::routing_decision> decisions;

  fixture() {
    constraints.max_usd_per_run = 3.5;
    constraints.max_usd_per_task_default = 0.05;
    constraints.min_confidence = 0.7;
    constraints.fallbacks = {{"timeout", "downgrade_model"}, {"over_budget", "reduce_scope"}};
    messages::budget_view budget;
    messages::breaker_view breakers;
    auto review = test::make_task("review-1", "reasoning_low", 20000, 2000, 4000);
    auto fix = test::make_task("fix-1", "code_mid", 8000, 1000, 2000);
    fix.task_type = "fix";
    fix.stage = "apply";
    // Its cheapest worst case (reasoning_high) is far over the task cap.
    auto deep = test::make_task("review-deep", "reasoning_high", 100000, 20000, 30000);
    std::vector<messages::model_profile> profiles = reg.profiles;
    profiles[0].candidates.push_back({"gpt-9", "openai", 0.9, 100});  // unpriced
    for (const auto& t : {review, fix, deep})
      decisions.push_back(
        route(t, strategy::cost_aware_quality_floor, reg, profiles, budget, breakers, constraints));
    auto docs = test::make_task("docgen-1", "cheap", 3000, 800, 1000);
    docs.task_type = "docgen";
    decisions.push_back(route(docs, strategy::cost_aware_quality_floor, reg, profiles, budget,
                              breakers, constraints));
  }
};

TEST(routing_writer, routing_decisions_validate_and_name_the_unaffordable_task) {
  fixture f;
  ASSERT_FALSE(f.decisions[2].has_selection);
  const auto text = render_routing_decisions(sample_run(), strategy::cost_aware_quality_floor,
                                             f.constraints, f.decisions);
  EXPECT_EQ(test::schema_errors(text, "routing_decisions.schema.json"), "");
  auto doc = json::parse(text);
  ASSERT_EQ(doc["tasks"].size(), 3u);
  for (const auto& t : doc["tasks"]) EXPECT_NE(t["task_id"], "review-deep");
  const std::string notes = doc["summary"]["notes"];
  EXPECT_NE(notes.find("review-deep (NO_ELIGIBLE_CANDIDATE, NO_CANDIDATE_AFFORDABLE"),
            std::string::npos)
    << notes;
  EXPECT_NE(notes.find("gpt-9"), std::string::npos);
  EXPECT_EQ(doc["routing_strategy"]["version"], std::string(router_version));
  EXPECT_EQ(doc["tasks"][0]["selected"]["model"], "o4-mini");
  EXPECT_EQ(doc["tasks"][1]["task_type"], "fix");
  // The unpriced candidate carries no cost at all, never $0.
  bool seen = false;
  for (const auto& c : doc["tasks"][2]["candidates"])
    if (c["model"] == "gpt-9") {
      seen = true;
      EXPECT_FALSE(c.contains("estimated_cost_usd"));
      EXPECT_EQ(c["reject_reasons"], json::array({"PRICE_UNKNOWN"}));
    }
  EXPECT_TRUE(seen);
  const double total = doc["summary"]["estimated_total_cost_usd"];
  double sum = 0;
  for (const auto& t : doc["tasks"]) sum += t["selected"]["estimated_cost_usd"].get<double>();
  EXPECT_DOUBLE_EQ(total, sum);
}

TEST(routing_writer, the_validator_catches_a_schema_violation) {
  fixture f;
  auto doc = json::parse(
    render_routing_decisions(sample_run(), strategy::quality_first, f.constraints, f.decisions));
  doc["tasks"][0]["selected"]["truth"] = "calculated";  // truth labels are not allowed here
  EXPECT_NE(test::schema_errors(doc.dump(), "routing_decisions.schema.json"), "");
  doc = json::parse(
    render_routing_decisions(sample_run(), strategy::quality_first, f.constraints, f.decisions));
  doc["tasks"][0]["selected"]["provider"] = "deepseek";  // not in the provider enumeration
  EXPECT_NE(test::schema_errors(doc.dump(), "routing_decisions.schema.json"), "");
}

TEST(routing_writer, offline_run_validates) {
  fixture f;
  f.constraints.offline = true;
  messages::budget_view budget;
  messages::breaker_view breakers;
  std::vector<messages::routing_decision> ds = {
    route(test::make_task("review-1", "reasoning_low", 1000, 100, 200), strategy::budget_first,
          f.reg, f.reg.profiles, budget, breakers, f.constraints)};
  const auto text =
    render_routing_decisions(sample_run(), strategy::budget_first, f.constraints, ds);
  EXPECT_EQ(test::schema_errors(text, "routing_decisions.schema.json"), "");
  auto doc = json::parse(text);
  EXPECT_EQ(doc["tasks"][0]["selected"]["provider"], "other");
  EXPECT_EQ(doc["tasks"][0]["selected"]["model"], "casm-offline");
  EXPECT_EQ(doc["tasks"][0]["selected"]["estimated_cost_usd"], 0);
}

TEST(routing_writer, cost_forecast_validates_with_r_and_s_on_the_forecast_only) {
  fixture f;
  cost_forecast_input in;
  in.run = sample_run();
  in.prices = f.reg;
  in.decisions = f.decisions;
  in.forecast_tools = {priced_line("ci", "minutes", 4, 0.008)};
  in.forecast_infra = {priced_line("runner", "seconds", 300, 0.0001)};
  in.confidence = 0.6;
  in.actual_present = true;
  actual_call call;
  call.call_id = "c1";
  call.task_id = "review-1";
  call.provider = "openai";
  call.model = "o4-mini";
  call.tokens.input_tokens = 21000;
  call.tokens.cached_input_tokens = 1000;
  call.tokens.output_tokens = 1500;
  call.cost = llm_cost(lookup_price(f.reg, "o4-mini"), call.tokens);
  call.latency_ms = 7000;
  call.retries = 1;
  in.calls = {call};
  in.actual_tools = {priced_line("ci", "minutes", 3, 0.008, "measured")};
  in.issues_found = 4;
  in.loc_audited = 12000;
  in.max_usd_per_run = 3.5;
  in.enforcement_action = "none";

  const auto text = render_cost_forecast(in);
  EXPECT_EQ(test::schema_errors(text, "cost_forecast.schema.json"), "");
  auto doc = json::parse(text);
  double by_task = 0;
  for (const auto& t : doc["forecast"]["llm"]["by_task"]) by_task += t["cost_usd"].get<double>();
  EXPECT_EQ(doc["forecast"]["llm"]["by_task"].size(), 3u);  // review-deep left out
  EXPECT_NEAR(doc["forecast"]["llm"]["cost_usd"].get<double>(), by_task * 1.10 * 1.05, 1e-12);
  EXPECT_NEAR(doc["forecast"]["total_usd"].get<double>(),
              by_task * 1.155 + 4 * 0.008 + 300 * 0.0001, 1e-12);
  // 20000 fresh at 1.10 + 1000 cached at 0.275 + 1500 out at 4.40.
  const double call_cost = (20000 * 1.10 + 1000 * 0.275 + 1500 * 4.40) / 1e6;
  EXPECT_NEAR(doc["actual"]["llm"]["by_call"][0]["cost_usd"].get<double>(), call_cost, 1e-15);
  EXPECT_EQ(doc["actual"]["llm"]["input_tokens"], 21000);  // cached included, once
  EXPECT_NEAR(doc["actual"]["total_usd"].get<double>(), call_cost + 3 * 0.008, 1e-15);
  EXPECT_EQ(doc["budget"]["status"], "within_budget");
  ASSERT_EQ(doc["unit_economics"]["metrics"].size(), 2u);
  EXPECT_EQ(doc["unit_economics"]["metrics"][0]["name"], "cost_per_issue_found");
  EXPECT_NEAR(doc["unit_economics"]["metrics"][0]["value"].get<double>(), (call_cost + 0.024) / 4,
              1e-15);
  EXPECT_EQ(doc["unit_economics"]["metrics"][1]["basis"]["count"], 12);
  const std::string notes = doc["notes"];
  EXPECT_NE(notes.find("review-deep"), std::string::npos);
  for (const auto& m : doc["prices"]["models"]) EXPECT_NE(m["model"], "gpt-9");
}

TEST(routing_writer, cost_forecast_statuses) {
  fixture f;
  cost_forecast_input in;
  in.run = sample_run();
  in.run.completed_at = "";
  in.prices = f.reg;
  in.decisions = f.decisions;
  in.max_usd_per_run = 0.01;
  auto doc = json::parse(render_cost_forecast(in));
  EXPECT_EQ(doc["budget"]["status"], "forecast_over_budget");
  EXPECT_FALSE(doc["run"].contains("completed_at"));
  EXPECT_FALSE(doc["actual"]["present"].get<bool>());
  in.blocked = true;
  in.enforcement_action = "stop";
  const auto text = render_cost_forecast(in);
  EXPECT_EQ(test::schema_errors(text, "cost_forecast.schema.json"), "");
  doc = json::parse(text);
  EXPECT_EQ(doc["budget"]["status"], "blocked");
  EXPECT_EQ(doc["budget"]["enforcement_action"], "stop");
}

}  // namespace
}  // namespace casm::telemetry
