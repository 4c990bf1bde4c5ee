// Routing and cost in real runs of the real binary: the offline default
// (zero spend, artifacts on every run), opt-in providers against the
// loopback fake provider (tests/integration/fake_provider.h), fallbacks,
// budget stops (exit 5 with a report), replay with the provider gone, and
// the fake API key nowhere under $CASM_HOME. No timing assertions.
//
// The secret in the test repository is assembled at run time from split
// literals, so this source holds nothing for a scanner to find.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "tests/integration/fake_provider.h"
#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

using nlohmann::json;

const fs::path source_dir = CASM_SOURCE_DIR;
const std::string github_token = std::string("ghp_") + "R7kq2Lm9Pz4Xt7Vw1Ys3Ub6Nc5Jd0Hf2GaQ8";
const std::string fake_key = "sk-fake-" + std::string("casm-test-key-7d1e9b");

class Routing : public testing::Test {
protected:
  temp_dir tmp{"casm-routing"};
  fs::path home = tmp / "home";
  git_repo repo{tmp / "repo"};

  void SetUp() override {
    repo.write("src/app.js", "const token = \"" + github_token + "\";\nfunction add(a, b) {  \n  return a + b;\n}\nmodule.exports = { add, token };\n");
    repo.write("README.md", "# demo\n");
    repo.commit("init");
  }

  // A one-shard run with openai that SIGKILLs itself right after recording
  // `point` (CASM_TEST_KILL_AFTER); its run id, or "" if it did not die so.
  std::string run_killed_after(const std::string& point, const fake_provider& fake) const {
    auto e = env(&fake);
    e["CASM_TEST_KILL_AFTER"] = point;
    auto killed = run_process({CASM_BINARY, "run", "--repo", repo.path().string(), "--reviewers",
                               "1", "--provider", "openai", "--budget-usd", "1"},
                              e);
    EXPECT_EQ(killed.code, 128 + 9) << killed.out << killed.err;
    if (killed.code != 128 + 9) return "";
    std::string id;
    for (const auto& d : fs::directory_iterator(home / "runs")) id = d.path().filename().string();
    return id;
  }

  std::map<std::string, std::string> env(const fake_provider* fake) const {
    std::map<std::string, std::string> e{{"CASM_HOME", home.string()}};
    if (fake) {
      e["OPENAI_BASE_URL"] = fake->base_url() + "/v1";
      e["OPENAI_API_KEY"] = fake_key;
      e["ANTHROPIC_BASE_URL"] = fake->base_url();
      e["ANTHROPIC_API_KEY"] = fake_key;
    }
    return e;
  }
  result cli(std::vector<std::string> args, const fake_provider* fake = nullptr) const {
    args.insert(args.begin(), CASM_BINARY);
    return run_process(args, env(fake));
  }
  fs::path artifacts(const std::string& id) const { return home / "runs" / id / "artifacts"; }
  json artifact_json(const std::string& id, const std::string& name) const {
    return json::parse(slurp(artifacts(id) / name));
  }
  std::vector<json> events(const std::string& id) const {
    std::vector<json> out;
    for (const auto& l : lines_of(home / "runs" / id / "events.jsonl"))
      if (!l.empty()) out.push_back(json::parse(l));
    return out;
  }
  void expect_valid_artifacts(const std::string& id) const {
    EXPECT_TRUE(valid_under_schema(source_dir / "docs/schemas/routing_decisions.schema.json",
                                   artifacts(id) / "routing_decisions.json"));
    EXPECT_TRUE(valid_under_schema(source_dir / "docs/schemas/cost_forecast.schema.json",
                                   artifacts(id) / "cost_forecast.json"));
    EXPECT_TRUE(fs::exists(artifacts(id) / "cost_report.md"));
    EXPECT_TRUE(fs::exists(artifacts(id) / "run_summary.json"));
  }
  void expect_key_nowhere() const {
    for (const auto& e : fs::recursive_directory_iterator(home)) {
      if (!e.is_regular_file()) continue;
      EXPECT_EQ(slurp(e.path()).find(fake_key), std::string::npos) << e.path();
    }
  }
};

const std::string good_review = R"({"issues":[{"path":"src/app.js","line":1,"severity":"high","message":"hard-coded token"}]})";

TEST_F(Routing, OfflineDefaultRoutesEveryTaskToTheOfflineProviderAndSpendsNothing) {
  auto r = cli({"run", "--repo", repo.path().string(), "--reviewers", "2"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = run_id_of(r.out);
  expect_valid_artifacts(id);
  auto rd = artifact_json(id, "routing_decisions.json");
  ASSERT_FALSE(rd["tasks"].empty());
  for (const auto& t : rd["tasks"]) {
    EXPECT_EQ(t["selected"]["provider"], "other");
    EXPECT_EQ(t["selected"]["model"], "casm-offline");
  }
  auto sum = artifact_json(id, "run_summary.json");
  EXPECT_EQ(sum["cost"]["actual"]["usd"], 0.0);
  EXPECT_TRUE(sum["cost"]["by_call"].empty());
  EXPECT_GT(sum["outcomes"]["loc_audited"].get<uint64_t>(), 0u);
  // Every routing decision is in the log; no model was called.
  size_t decided = 0;
  for (const auto& e : events(id)) {
    if (e["type"] == "route.decided") ++decided;
    EXPECT_NE(e["type"], "model.requested");
  }
  EXPECT_GE(decided, 2u);
  auto rep = cli({"replay", "--run-id", id});
  EXPECT_EQ(rep.code, 0) << rep.out << rep.err;
  auto cost = cli({"cost", "--last-run", "--json"});
  ASSERT_EQ(cost.code, 0) << cost.err;
  EXPECT_EQ(json::parse(cost.out)["total"]["usd"], 0.0);
  auto e1 = cli({"explain", "--run-id", id});
  auto e2 = cli({"explain", "--run-id", id});
  EXPECT_EQ(e1.out, e2.out);
  EXPECT_NE(e1.out.find("other/casm-offline"), std::string::npos) << e1.out;
  auto j1 = cli({"explain", "--run-id", id, "--json"});
  auto j2 = cli({"explain", "--run-id", id, "--json"});
  EXPECT_EQ(j1.out, j2.out);
  EXPECT_FALSE(json::parse(j1.out)["routing"]["tasks"].empty());
}

TEST_F(Routing, NoopTemplateStillWritesTheRoutingArtifacts) {
  auto r = cli({"run", "--template", "noop", "--repo", repo.path().string()});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = run_id_of(r.out);
  expect_valid_artifacts(id);
  EXPECT_TRUE(artifact_json(id, "routing_decisions.json")["tasks"].empty());
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
}

TEST_F(Routing, OpenAIRunAgainstTheFakeProviderCostsExactlyItsUsageAndReplaysWithoutIt) {
  std::string id;
  std::vector<fake_request> seen;
  {
    fake_provider fake;
    fake.set_answer(good_review);
    fake.set_usage({1200, 200, 0, 300});
    auto r = cli({"run", "--repo", repo.path().string(), "--reviewers", "1", "--provider",
                  "openai", "--budget-usd", "1"},
                 &fake);
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    id = run_id_of(r.out);
    seen = fake.requests();
  }  // the fake provider is gone from here on
  ASSERT_FALSE(seen.empty());
  for (const auto& q : seen) {
    EXPECT_EQ(q.body.find(github_token), std::string::npos) << "a secret left the process";
    EXPECT_EQ(q.authorization, "Bearer " + fake_key);
  }
  expect_valid_artifacts(id);
  auto sum = artifact_json(id, "run_summary.json");
  const auto& calls = sum["cost"]["by_call"];
  ASSERT_FALSE(calls.empty());
  // The registry's price of the model used, cached tokens priced once.
  auto models = json::parse(cli({"models", "--json"}).out);
  double total = 0;
  for (const auto& c : calls) {
    EXPECT_EQ(c["provider"], "openai");
    EXPECT_EQ(c["input_tokens"], 1200);
    EXPECT_EQ(c["cached_input_tokens"], 200);
    EXPECT_EQ(c["output_tokens"], 300);
    json price;
    for (const auto& m : models["models"])
      if (m["model"] == c["model"]) price = m;
    ASSERT_TRUE(price.is_object()) << c["model"];
    const double expected = (1000 * price["price_in_per_1m"].get<double>() +
                             200 * price["price_cache_read_per_1m"].get<double>() +
                             300 * price["price_out_per_1m"].get<double>()) / 1e6;
    EXPECT_NEAR(c["usd"].get<double>(), expected, 1e-12) << c.dump();
    EXPECT_EQ(c["truth"], "calculated");
    EXPECT_LE(c["usd"].get<double>(), c["reserved_usd"].get<double>());
    total += c["usd"].get<double>();
  }
  EXPECT_NEAR(sum["cost"]["actual"]["usd"].get<double>(), total, 1e-12);
  EXPECT_EQ(sum["outcomes"]["model_issues"].size(), 1u);
  auto fc = artifact_json(id, "cost_forecast.json");
  EXPECT_TRUE(fc["actual"]["present"].get<bool>());
  EXPECT_NEAR(fc["actual"]["llm"]["cost_usd"].get<double>(), total, 1e-9);
  // Every request, reply and reconcile is recorded.
  std::set<std::string> types;
  for (const auto& e : events(id)) types.insert(e["type"].get<std::string>());
  for (const char* t : {"route.requested", "route.decided", "model.requested", "model.completed",
                        "cost.reconcile_requested", "cost.reconciled", "model.output_checked"})
    EXPECT_TRUE(types.count(t)) << t;
  auto rep = cli({"replay", "--run-id", id});
  EXPECT_EQ(rep.code, 0) << rep.out << rep.err;
  auto cost = cli({"cost", "--run-id", id});
  EXPECT_EQ(cost.code, 0) << cost.err;
  EXPECT_NE(cost.out.find("200 cached"), std::string::npos) << cost.out;
  EXPECT_NE(slurp(artifacts(id) / "cost_report.md").find("| 200 |"), std::string::npos);
  auto e1 = cli({"explain", "--run-id", id});
  auto e2 = cli({"explain", "--run-id", id});
  EXPECT_EQ(e1.out, e2.out);
  EXPECT_NE(e1.out.find("reservation: granted"), std::string::npos) << e1.out;
  EXPECT_NE(e1.out.find("output accepted"), std::string::npos) << e1.out;
  // explain's cost section: the calls add up per stage and in total.
  const auto story = json::parse(cli({"explain", "--run-id", id, "--json"}).out);
  double by_stage = 0;
  for (const auto& [stage, usd] : story["cost"]["by_stage"].items()) by_stage += usd.get<double>();
  EXPECT_GT(story["cost"]["by_stage"].value("analyze", 0.0), 0.0) << story["cost"].dump();
  EXPECT_NEAR(by_stage, story["cost"]["total_usd"].get<double>(), 1e-12);
  EXPECT_NE(e1.out.find("stage analyze"), std::string::npos) << e1.out;
  expect_key_nowhere();
  // Nor the repository's secret: prompts, log, blobs and artifacts mask it.
  for (const auto& e : fs::recursive_directory_iterator(home)) {
    if (e.is_regular_file()) {
      EXPECT_EQ(slurp(e.path()).find(github_token), std::string::npos) << e.path();
    }
  }
}

TEST_F(Routing, ABudgetNoCandidateFitsStopsTheRunBeforeAnyCallWithExit5AndAReport) {
  fake_provider fake;
  fake.set_answer(good_review);
  auto r = cli({"run", "--repo", repo.path().string(), "--reviewers", "1", "--provider", "openai",
                "--budget-usd", "0.00001"},
               &fake);
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_EQ(fake.request_count(), 0u);
  const std::string id = run_id_of(r.out);
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(fs::exists(artifacts(id) / "report.md"));
  expect_valid_artifacts(id);
  auto fc = artifact_json(id, "cost_forecast.json");
  EXPECT_EQ(fc["budget"]["enforcement_action"], "stop");
  EXPECT_EQ(fc["budget"]["status"], "blocked");
  auto sum = artifact_json(id, "run_summary.json");
  EXPECT_EQ(sum["status"], "budget_stopped");
  EXPECT_TRUE(sum["routing"]["budget_stopped"].get<bool>());
  // reduce_scope was tried first (the template's over_budget rule), then stop.
  std::vector<std::string> actions;
  for (const auto& e : events(id))
    if (e["type"] == "route.fallback") actions.push_back(e["payload"]["action"]);
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0], "reduce_scope");
  EXPECT_EQ(actions[1], "stop");
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
  EXPECT_EQ(cli({"cost", "--run-id", id}).code, 0);
}

TEST_F(Routing, TimeoutDowngradesTheModelAndTheModelUsedIsInEveryRecord) {
  fake_provider fake;
  fake.set_answer(good_review);
  fake.script({fake_step::hang(3000)});
  auto r = cli({"run", "--repo", repo.path().string(), "--reviewers", "1", "--provider", "openai",
                "--budget-usd", "1", "--call-timeout-ms", "300", "--routing", "quality_first"},
               &fake);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = run_id_of(r.out);
  json fallback;
  std::vector<std::string> called;
  for (const auto& e : events(id)) {
    if (e["type"] == "route.fallback" && e["payload"]["task_id"] == "review-0" && fallback.is_null())
      fallback = e["payload"];
    if (e["type"] == "model.requested" && e["payload"]["task_id"] == "review-0")
      called.push_back(e["payload"]["request"]["model"]);
  }
  ASSERT_TRUE(fallback.is_object());
  EXPECT_EQ(fallback["on"], "timeout");
  EXPECT_EQ(fallback["action"], "downgrade_model");
  ASSERT_GE(called.size(), 2u);
  EXPECT_EQ(fallback["failed_model"], called[0]);
  EXPECT_NE(called[0], called[1]);
  auto sum = artifact_json(id, "run_summary.json");
  ASSERT_GE(sum["cost"]["by_call"].size(), 2u);
  EXPECT_EQ(sum["cost"]["by_call"][0]["error_kind"], "timeout");
  EXPECT_EQ(sum["cost"]["by_call"][0]["model"], called[0]);
  EXPECT_EQ(sum["cost"]["by_call"][1]["model"], called[1]);
  // A timeout without usage may have been billed: the whole hold counts.
  EXPECT_EQ(sum["cost"]["by_call"][0]["truth"], "unknown");
  EXPECT_EQ(sum["cost"]["by_call"][0]["usd"], sum["cost"]["by_call"][0]["reserved_usd"]);
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
}

TEST_F(Routing, ProviderErrorSwitchesProviderAndInvalidOutputIsRejectedAndRecorded) {
  fake_provider fake;
  fake.set_answer(good_review);
  // A malformed reply (provider_error) then an answer that is not the asked JSON.
  fake.script({fake_step::malformed(), fake_step::answer("I think the code is fine.")});
  auto r = cli({"run", "--repo", repo.path().string(), "--reviewers", "1", "--provider",
                "openai,anthropic", "--budget-usd", "2"},
               &fake);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = run_id_of(r.out);
  std::vector<json> fallbacks, checks;
  std::vector<std::string> endpoints;
  for (const auto& e : events(id)) {
    if (e["payload"].is_object() && e["payload"].value("task_id", "") != "review-0") continue;
    if (e["type"] == "route.fallback") fallbacks.push_back(e["payload"]);
    if (e["type"] == "model.output_checked") checks.push_back(e["payload"]);
    if (e["type"] == "model.requested") endpoints.push_back(e["payload"]["endpoint"]);
  }
  ASSERT_GE(fallbacks.size(), 2u);
  EXPECT_EQ(fallbacks[0]["on"], "provider_error");
  EXPECT_EQ(fallbacks[0]["action"], "switch_provider");
  ASSERT_GE(endpoints.size(), 3u);
  EXPECT_NE(endpoints[0], endpoints[1]);
  EXPECT_EQ(fallbacks[1]["on"], "low_quality");
  ASSERT_GE(checks.size(), 2u);
  EXPECT_FALSE(checks[0]["accepted"].get<bool>());
  EXPECT_FALSE(checks[0]["reason"].get<std::string>().empty());
  EXPECT_TRUE(checks.back()["accepted"].get<bool>());
  // Anthropic's usage: input_tokens (uncached) + cache reads + cache writes
  // is the prompt; the cache read is priced once, at the cache price.
  auto sum = artifact_json(id, "run_summary.json");
  auto models = json::parse(cli({"models", "--json"}).out);
  bool saw_anthropic = false;
  for (const auto& c : sum["cost"]["by_call"]) {
    if (c["provider"] != "anthropic" || !c["usage_present"].get<bool>()) continue;
    saw_anthropic = true;
    EXPECT_EQ(c["input_tokens"], 1400);
    EXPECT_EQ(c["cached_input_tokens"], 200);
    json price;
    for (const auto& m : models["models"])
      if (m["model"] == c["model"]) price = m;
    ASSERT_TRUE(price.is_object());
    EXPECT_NEAR(c["usd"].get<double>(),
                (1200 * price["price_in_per_1m"].get<double>() +
                 200 * price["price_cache_read_per_1m"].get<double>() +
                 300 * price["price_out_per_1m"].get<double>()) / 1e6,
                1e-12);
  }
  EXPECT_TRUE(saw_anthropic);
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
  expect_key_nowhere();
}

TEST_F(Routing, TheFixersModelDiffIsCheckedAndWrittenAsAProposal) {
  fake_provider fake;
  const std::string diff =
    "--- a/src/app.js\n+++ b/src/app.js\n@@ -5,1 +5,2 @@\n-module.exports = { add, token };\n"
    "+// the token now comes from the environment\n+module.exports = { add };\n";
  fake.script({fake_step::answer(good_review), fake_step::answer("```diff\n" + diff + "```\n")});
  auto r = cli({"run", "--repo", repo.path().string(), "--reviewers", "1", "--provider", "openai",
                "--budget-usd", "1"},
               &fake);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = run_id_of(r.out);
  ASSERT_TRUE(fs::exists(artifacts(id) / "model_patch.diff"));
  EXPECT_EQ(slurp(artifacts(id) / "model_patch.diff"), diff);
  auto sum = artifact_json(id, "run_summary.json");
  EXPECT_EQ(sum["outcomes"]["model_patch"], "model_patch.diff");
  bool fix_routed = false;
  for (const auto& t : sum["routing"]["tasks"])
    if (t["task_id"] == "fix") {
      fix_routed = true;
      EXPECT_EQ(t["outcome"], "model_ok");
    }
  EXPECT_TRUE(fix_routed);
  // The fixer's prompt held the finding, never the secret.
  auto seen = fake.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[1].body.find("src/app.js"), std::string::npos);
  EXPECT_EQ(seen[1].body.find(github_token), std::string::npos);
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
}

TEST_F(Routing, AModelCallCutByACrashIsNotSentAgainWithoutALiveReservation) {
  fake_provider fake;
  fake.set_answer(good_review);
  const std::string id = run_killed_after("model.requested", fake);
  ASSERT_FALSE(id.empty());
  const size_t before = fake.request_count();
  auto resumed = cli({"resume", "--run-id", id}, &fake);
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  std::vector<json> replies;
  for (const auto& ev : events(id))
    if (ev["type"] == "model.completed") replies.push_back(ev["payload"]);
  ASSERT_GE(replies.size(), 2u);
  EXPECT_FALSE(replies[0]["ok"].get<bool>());
  EXPECT_NE(replies[0]["error"].get<std::string>().find("interrupted by a crash"), std::string::npos);
  // The task routed again and called under a new hold.
  EXPECT_GT(fake.request_count(), before);
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
  expect_valid_artifacts(id);
}

// Durable points: a model call's request is made durable (log synced,
// state.json's head moved to it) before the provider gets it, and its reply
// as soon as it is recorded.
TEST_F(Routing, AModelCallIsDurableBeforeItIsSentAndItsReplyAsSoonAsItIsRecorded) {
  fake_provider fake;
  fake.set_answer(good_review);
  auto head_and_last = [&](const std::string& id, const char* type) {
    auto state = json::parse(slurp(home / "runs" / id / "state.json"));
    uint64_t last = 0;
    for (const auto& ev : events(id))
      if (ev["type"] == type) last = ev["seq"].get<uint64_t>();
    return std::make_pair(state["head"]["seq"].get<uint64_t>(), last);
  };
  // Killed right after the reply was appended: the head is the request.
  const std::string cut_reply = run_killed_after("model.completed", fake);
  ASSERT_FALSE(cut_reply.empty());
  auto [head1, request_seq] = head_and_last(cut_reply, "model.requested");
  ASSERT_GT(request_seq, 0u);
  EXPECT_EQ(head1, request_seq);
  EXPECT_EQ(cli({"verify-log", "--run-id", cut_reply}).code, 0);
  // Killed at the next record (the reconcile request): the head is the reply.
  fs::remove_all(home / "runs");
  const std::string cut_after = run_killed_after("cost.reconcile_requested", fake);
  ASSERT_FALSE(cut_after.empty());
  auto [head2, reply_seq] = head_and_last(cut_after, "model.completed");
  ASSERT_GT(reply_seq, 0u);
  EXPECT_EQ(head2, reply_seq);
  auto resumed = cli({"resume", "--run-id", cut_after}, &fake);
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(cli({"replay", "--run-id", cut_after}).code, 0);
}

TEST_F(Routing, TheTemplateCanOptInAndAnUnpricedModelIsNeverSelected) {
  std::string manifest = slurp(source_dir / "config/templates/repo-auditor/manifest.yaml");
  const std::string at = "routing:\n  budget:\n    max_usd_per_run: 3.50\n";
  ASSERT_NE(manifest.find(at), std::string::npos);
  manifest.replace(manifest.find(at), at.size(),
                   at + "  providers: [openai]\n  prices_override: prices-override.yaml\n");
  manifest.replace(manifest.find("id: repo-auditor"), 16, "id: routed-auditor");
  const fs::path dir = tmp / "tmpl";
  fs::create_directories(dir);
  spit(dir / "manifest.yaml", manifest);
  spit(dir / "prices-override.yaml",
       "registry_version: \"test\"\nmodels:\n  - model: gpt-unpriced\n    provider: openai\n"
       "profiles:\n  - name: reasoning_low\n    candidates:\n"
       "      - {model: gpt-unpriced, quality: 0.99, latency_ms: 100}\n"
       "      - {model: gpt-4o-mini, quality: 0.80, latency_ms: 900}\n");
  fake_provider fake;
  fake.set_answer(good_review);
  auto r = cli({"run", "--template", (dir / "manifest.yaml").string(), "--repo",
                repo.path().string(), "--reviewers", "1"},
               &fake);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = run_id_of(r.out);
  expect_valid_artifacts(id);
  auto rd = artifact_json(id, "routing_decisions.json");
  bool checked = false;
  for (const auto& t : rd["tasks"]) {
    if (t["task_id"] != "review-0") continue;
    checked = true;
    EXPECT_EQ(t["selected"]["model"], "gpt-4o-mini");
    for (const auto& c : t["candidates"])
      if (c["model"] == "gpt-unpriced") {
        EXPECT_FALSE(c.contains("estimated_cost_usd")) << c.dump();  // never $0
        EXPECT_NE(c.dump().find("PRICE_UNKNOWN"), std::string::npos) << c.dump();
      }
  }
  EXPECT_TRUE(checked);
  for (const auto& q : fake.requests()) EXPECT_NE(q.model, "gpt-unpriced");
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
}

TEST_F(Routing, AProviderThatKeepsFailingOpensItsBreakerAndLaterTasksAreNotRoutedToIt) {
  repo.write("src/b.js", "function b() {\n  return 2;\n}\n");
  repo.write("src/c.js", "function c() {\n  return 3;\n}\n");
  repo.commit("more files");
  fake_provider fake;
  std::vector<fake_step> failures(12, fake_step::server_error(503));
  fake.script(failures);
  auto r = cli({"run", "--repo", repo.path().string(), "--reviewers", "3", "--provider", "openai",
                "--budget-usd", "1"},
               &fake);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = run_id_of(r.out);
  json fix_decision;
  size_t failed_calls = 0;
  for (const auto& e : events(id)) {
    if (e["type"] == "model.completed" && !e["payload"]["ok"].get<bool>()) ++failed_calls;
    if (e["type"] == "route.decided" && e["payload"]["decision"]["task_id"] == "fix")
      fix_decision = e["payload"];
  }
  EXPECT_GE(failed_calls, 3u);
  ASSERT_TRUE(fix_decision.is_object());
  // The breaker is open for openai: the fixer's task finds no eligible model.
  EXPECT_FALSE(fix_decision["decision"]["has_selection"].get<bool>());
  EXPECT_NE(fix_decision["breakers"].dump().find("openai"), std::string::npos);
  EXPECT_NE(fix_decision["decision"]["reason_codes"].dump().find("REJECTED_CIRCUIT_OPEN"),
            std::string::npos)
    << fix_decision.dump();
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
}

TEST_F(Routing, AResumedRunKeepsCountingWhatItSpentBeforeTheCrash) {
  fake_provider fake;
  fake.set_answer(good_review);
  const std::string id = run_killed_after("cost.reconciled", fake);
  ASSERT_FALSE(id.empty());
  auto resumed = cli({"resume", "--run-id", id}, &fake);
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  double spent_before = 0;
  bool after_resume = false;
  json first_view;
  for (const auto& ev : events(id)) {
    if (ev["type"] == "run.resumed") after_resume = true;
    if (!after_resume && ev["type"] == "cost.reconciled")
      spent_before += ev["payload"]["actual"]["usd"].get<double>();
    if (after_resume && ev["type"] == "route.decided" && first_view.is_null())
      first_view = ev["payload"]["budget"];
  }
  ASSERT_GT(spent_before, 0);
  ASSERT_TRUE(first_view.is_object());
  EXPECT_NEAR(first_view["run_remaining_usd"].get<double>(), 1.0 - spent_before, 1e-9);
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
}

TEST_F(Routing, BadRoutingInputIsOneSentenceAndExit2) {
  auto r = cli({"run", "--repo", repo.path().string(), "--provider", "nosuch"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("provider 'nosuch'"), std::string::npos) << r.err;
  auto c = cli({"cost", "--run-id", "01NOSUCHRUN"});
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find("unknown run id"), std::string::npos) << c.err;
  auto m = cli({"models"});
  EXPECT_EQ(m.code, 0);
  EXPECT_NE(m.out.find("casm-offline"), std::string::npos);
  EXPECT_NE(m.out.find("reasoning_low"), std::string::npos);
}

}  // namespace
}  // namespace casm::itest
