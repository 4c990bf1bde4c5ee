// The cost accountant actor (actors/routing/accountant.h) and the model
// output checks (actors/workflow/model_output.h).
//
// Property: 64 concurrent callers reserve and reconcile through one
// accountant actor (a fleet's runs share one core) against a small fleet
// cap; total spend never exceeds any cap, and no call starts without a hold.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/routing/accountant.h"
#include "actors/workflow/model_output.h"
#include "runtime/actor_boot.h"

namespace casm {
namespace {

using namespace casm::messages;

TEST(accountant, sixty_four_concurrent_callers_never_spend_past_the_fleet_cap) {
  runtime::casm_config cfg;
  caf::actor_system sys{cfg};
  auto core = routing::make_accountant_core({0.05, {}, {}});
  auto acc = routing::spawn_accountant(sys, core);
  // Two runs share the fleet; each has a run cap above the fleet's.
  core->open_run({"run-a", 1.0});
  core->open_run({"run-b", 1.0});
  std::atomic<int> granted{0}, refused{0};
  std::atomic<bool> broken{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < 64; ++i)
    callers.emplace_back([&, i] {
      caf::scoped_actor self{sys};
      std::mt19937_64 rng(static_cast<uint64_t>(i) + 1);
      std::uniform_real_distribution<double> worst(0.0005, 0.004);
      for (int k = 0; k < 20; ++k) {
        reserve_ask ask{i % 2 ? "run-a" : "run-b", "t" + std::to_string(i), "openai", "m",
                        "2025-07-15", true, worst(rng), -1};
        reservation_reply rr;
        self->request(acc, caf::infinite, ask).receive([&](reservation_reply& r) { rr = r; },
                                                       [&](caf::error&) {});
        if (!core->ledger().invariant_holds()) broken = true;
        if (!rr.granted) {
          ++refused;
          continue;
        }
        ++granted;
        // The actual cost of a call never exceeds its worst case.
        std::uniform_real_distribution<double> frac(0.0, 1.0);
        reconcile_ask rec{rr.held.id, "openai", rr.held.amount_usd * frac(rng), true, false};
        self->request(acc, caf::infinite, rec).receive([](reconcile_answer&) {},
                                                       [&](caf::error&) {});
        if (!core->ledger().invariant_holds()) broken = true;
      }
    });
  for (auto& t : callers) t.join();
  EXPECT_FALSE(broken.load());
  EXPECT_GT(granted.load(), 0);
  EXPECT_GT(refused.load(), 0);  // the cap did bind
  auto levels = core->levels("run-a");
  EXPECT_LE(levels.fleet_spent_usd + levels.fleet_reserved_usd, 0.05 + 1e-12);
  EXPECT_EQ(levels.outstanding, 0u);
  EXPECT_TRUE(levels.invariant_holds);
}

TEST(accountant, an_endpoint_that_keeps_failing_opens_its_breaker_and_refuses_holds) {
  auto core = routing::make_accountant_core({-1, {}, {3, 60000}});
  core->open_run({"r", -1});
  for (int i = 0; i < 3; ++i) {
    auto rr = core->reserve({"r", "t", "openai", "m", "d", true, 0.01, -1});
    ASSERT_TRUE(rr.granted);
    auto a = core->reconcile({rr.held.id, "openai", 0.0, false, true});
    EXPECT_EQ(a.breaker_state, i < 2 ? "closed" : "open");
  }
  auto refused = core->reserve({"r", "t", "openai", "m", "d", true, 0.01, -1});
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.reason_code, "CIRCUIT_OPEN");
  auto snap = core->snapshot({"r", "d"});
  ASSERT_EQ(snap.breakers.open_endpoints.size(), 1u);
  EXPECT_EQ(snap.breakers.open_endpoints[0], "openai");
  // Another endpoint is unaffected.
  EXPECT_TRUE(core->reserve({"r", "t", "anthropic", "m", "d", true, 0.01, -1}).granted);
}

TEST(accountant, a_provider_day_cap_binds_across_runs) {
  auto core = routing::make_accountant_core({-1, {{"openai", 0.10}}, {}});
  core->open_run({"a", -1});
  core->open_run({"b", -1});
  ASSERT_TRUE(core->reserve({"a", "t", "openai", "m", "d1", true, 0.06, -1}).granted);
  auto r = core->reserve({"b", "t", "openai", "m", "d1", true, 0.06, -1});
  EXPECT_FALSE(r.granted);
  EXPECT_EQ(r.refused_level, "provider_day");
  EXPECT_TRUE(core->reserve({"b", "t", "openai", "m", "d2", true, 0.06, -1}).granted);
}

TEST(model_output, review_json_is_accepted_only_when_every_issue_is_well_formed) {
  std::set<std::string> paths{"src/a.js"};
  auto ok = workflow::check_review_output(
    "```json\n{\"issues\":[{\"path\":\"src/a.js\",\"line\":3,\"severity\":\"low\",\"message\":\"x\"}]}\n```",
    paths);
  EXPECT_TRUE(ok.accepted) << ok.reason;
  ASSERT_EQ(ok.issues.size(), 1u);
  EXPECT_EQ(ok.issues[0].line, 3u);
  EXPECT_TRUE(workflow::check_review_output("{\"issues\":[]}", paths).accepted);
  EXPECT_FALSE(workflow::check_review_output("looks fine", paths).accepted);
  EXPECT_FALSE(workflow::check_review_output("{\"issues\":[{\"path\":\"other.js\",\"line\":1,\"severity\":\"low\",\"message\":\"x\"}]}", paths).accepted);
  EXPECT_FALSE(workflow::check_review_output("{\"issues\":[{\"path\":\"src/a.js\",\"line\":0,\"severity\":\"low\",\"message\":\"x\"}]}", paths).accepted);
  EXPECT_FALSE(workflow::check_review_output("{\"issues\":[{\"path\":\"src/a.js\",\"line\":1,\"severity\":\"urgent\",\"message\":\"x\"}]}", paths).accepted);
}

TEST(model_output, a_unified_diff_must_touch_only_asked_files_with_consistent_hunks) {
  std::set<std::string> paths{"src/a.js"};
  const std::string good =
    "--- a/src/a.js\n+++ b/src/a.js\n@@ -1,2 +1,2 @@\n-const k = 1;\n+const k = process.env.K;\n module.exports = k;\n";
  auto v = workflow::check_fix_output("```diff\n" + good + "```\n", paths);
  EXPECT_TRUE(v.accepted) << v.reason;
  EXPECT_EQ(v.files, std::vector<std::string>{"src/a.js"});
  EXPECT_EQ(v.diff, good);
  EXPECT_FALSE(workflow::check_fix_output("no diff here", paths).accepted);
  auto other = good;
  other.replace(other.find("b/src/a.js"), 10, "b/src/b.js");
  EXPECT_FALSE(workflow::check_fix_output(other, paths).accepted);
  auto bad_count = good;
  bad_count.replace(bad_count.find("+1,2"), 4, "+1,5");
  EXPECT_FALSE(workflow::check_fix_output(bad_count, paths).accepted);
}

TEST(model_output, prompts_mask_every_detected_secret) {
  const std::string token = std::string("ghp_") + "R7kq2Lm9Pz4Xt7Vw1Ys3Ub6Nc5Jd0Hf2GaQ8";
  messages::finding f;
  f.rule_id = "github-token";
  f.path = "a.js";
  f.line = 1;
  f.preview = "const t = \"" + token + "\"";  // as if a preview leaked it
  auto p = workflow::review_prompt({f}, {"a.js"}, "1: const t = \"" + token + "\";\n", 10000);
  EXPECT_EQ(p.user.find(token), std::string::npos) << p.user;
  EXPECT_GE(p.input_token_bound(), p.system.size() + p.user.size());
}

}  // namespace
}  // namespace casm
