// The policy gate inside a run, and the human in the loop: gate, block,
// approve, deny, resume, expiry, and the refusals around them.
#include <gtest/gtest.h>

#include <set>

#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

using nlohmann::json;

const std::string planted_key = std::string("AKIA") + "Q2W3E4R5T6Y7U8I9";

// The shipped draft 2020-12 schema, checked with Debian's python3-jsonschema.
testing::AssertionResult valid_policy_decisions(const fs::path& file) {
  return valid_under_schema(shipped_schema("policy_decisions"), file);
}

struct hitl_fixture : ::testing::Test {
  temp_dir tmp;
  fs::path home = tmp / "home";
  git_repo repo{tmp / "repo"};
  std::string base;

  void SetUp() override {
    repo.write("package.json", "{\"name\": \"app\", \"dependencies\": {}}\n");
    repo.write(".github/workflows/ci.yml", "on: push\n");
    repo.write("src/app.js", "module.exports = 1;   \n");
    base = repo.commit("base");
  }

  // The seed's worked example: a change to CI and a new dependency.
  std::string seed_example() {
    repo.write("package.json", "{\"name\": \"app\", \"dependencies\": {\"left-pad\": \"^1.3.0\"}}\n");
    repo.write(".github/workflows/ci.yml", "on: [push, pull_request]\n");
    return repo.commit("ci and a dependency");
  }

  result run(std::vector<std::string> extra = {}, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {CASM_BINARY, "run", "--repo", repo.path().string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    env["CASM_HOME"] = home.string();
    return run_process(argv, env);
  }
  result cli(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    return casm(home, args, std::move(env));
  }
  json state(const std::string& id) { return json::parse(slurp(home / "runs" / id / "state.json")); }
  std::vector<json> events(const std::string& id) {
    std::vector<json> out;
    for (const auto& l : lines_of(home / "runs" / id / "events.jsonl")) out.push_back(json::parse(l));
    return out;
  }
  json hitl_packet(const std::string& id) {
    for (const auto& e : events(id))
      if (e["type"] == "hitl.requested") return e["payload"];
    return {};
  }
};

TEST_F(hitl_fixture, SeedExampleIsGatedBeforeAnythingElseRuns) {
  seed_example();
  auto r = run({"--base", base});
  ASSERT_EQ(r.code, 3) << r.out << r.err;
  auto id = run_id_of(r.out);
  EXPECT_EQ(state(id)["status"], "pending_hitl");
  auto packet = hitl_packet(id);
  std::set<std::string> reasons(packet["reason_codes"].begin(), packet["reason_codes"].end());
  EXPECT_TRUE(reasons.count("PATH_SENSITIVE_HIGH"));
  EXPECT_TRUE(reasons.count("DEP_NEW"));
  EXPECT_EQ(packet["mode"], "incoming");
  // A suggested safe scope: the sensitive and dependency files are denied.
  std::set<std::string> deny(packet["deny_files"].begin(), packet["deny_files"].end());
  EXPECT_TRUE(deny.count(".github/workflows/ci.yml"));
  EXPECT_TRUE(deny.count("package.json"));
  // Nothing ran after the gate: no review, no fix, no report of findings.
  for (const auto& e : events(id)) {
    EXPECT_NE(e["type"], "review.requested");
    EXPECT_NE(e["type"], "fix.requested");
  }
  auto runs = cli({"runs"});
  EXPECT_NE(runs.out.find("pending_hitl"), std::string::npos);
}

TEST_F(hitl_fixture, PlantedAwsKeyOnAnAddedLineIsBlocked) {
  repo.write("src/config.js", "const key = '" + planted_key + "';\n");
  repo.commit("oops");
  auto r = run({"--base", base});
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  auto id = run_id_of(r.out);
  EXPECT_EQ(state(id)["status"], "blocked");
  bool alert = false;
  for (const auto& e : events(id)) alert = alert || e["type"] == "security.alert";
  EXPECT_TRUE(alert);
  EXPECT_TRUE(fs::exists(home / "runs" / id / "artifacts" / "report.md"));
  auto decisions = json::parse(slurp(home / "runs" / id / "artifacts" / "policy_decisions.json"));
  EXPECT_EQ(decisions["summary"]["status"], "block");
  EXPECT_TRUE(valid_policy_decisions(home / "runs" / id / "artifacts" / "policy_decisions.json"));
  for (auto it = fs::recursive_directory_iterator(home); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file()) {
      EXPECT_EQ(slurp(it->path()).find(planted_key), std::string::npos) << it->path();
    }
  }
}

TEST_F(hitl_fixture, CleanDiffPassesAndAFullAuditPatchPassesTheGate) {
  repo.write("README.md", "# app\n");
  repo.commit("docs");
  auto diff = run({"--base", base});
  EXPECT_EQ(diff.code, 0) << diff.err;
  auto full = run();  // fixes trailing whitespace: the patch gate must pass
  ASSERT_EQ(full.code, 0) << full.err;
  auto id = run_id_of(full.out);
  auto decisions = json::parse(slurp(home / "runs" / id / "artifacts" / "policy_decisions.json"));
  EXPECT_EQ(decisions["summary"]["status"], "pass");
  EXPECT_TRUE(fs::exists(home / "runs" / id / "artifacts" / "patch.diff"));
  EXPECT_TRUE(valid_policy_decisions(home / "runs" / id / "artifacts" / "policy_decisions.json"));
  // Nobody approved anything: reviews keep the template's profile.
  size_t review_routes = 0;
  for (const auto& e : events(id)) {
    if (e["type"] != "route.requested" || e["payload"]["task"]["task_type"] != "review") continue;
    ++review_routes;
    EXPECT_EQ(e["payload"]["task"]["profile"], "reasoning_low");
  }
  EXPECT_GT(review_routes, 0u);
}

TEST_F(hitl_fixture, ApproveThenResumeRedoesNoSideEffectBeforeTheGate) {
  seed_example();
  auto effects = tmp / "effects.log";
  auto gated = run({"--base", base}, {{"CASM_TEST_EFFECT_LOG", effects.string()}});
  ASSERT_EQ(gated.code, 3);
  auto id = run_id_of(gated.out);
  auto before = lines_of(effects);
  EXPECT_EQ(before, (std::vector<std::string>{"ingest ingest.requested", "gate gate.requested"}));

  // Resume before a decision: still waiting.
  EXPECT_EQ(cli({"resume", "--run-id", id}).code, 3);
  auto ok = cli({"approve", "--run-id", id, "--reason", "CI change reviewed", "--by", "alice"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  auto resumed = cli({"resume", "--run-id", id}, {{"CASM_TEST_EFFECT_LOG", effects.string()}});
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  auto after = lines_of(effects);
  // The pre-gate effects were not redone: the first two lines are the only
  // ingest and gate calls; everything else came after the approval.
  size_t ingests = 0, gates = 0;
  for (const auto& l : after) {
    ingests += l == "ingest ingest.requested";
    gates += l == "gate gate.requested";
  }
  EXPECT_EQ(ingests, 1u);
  EXPECT_EQ(gates, 1u);  // the incoming diff; the swarm's patch is empty here
  EXPECT_EQ(state(id)["status"], "succeeded");
  std::vector<std::string> types;
  for (const auto& e : events(id)) types.push_back(e["type"]);
  auto consumed = std::find(types.begin(), types.end(), "approval.consumed");
  ASSERT_NE(consumed, types.end());
  EXPECT_EQ(std::count(types.begin(), types.end(), "ingest.requested"), 1);
  // Approved: the review of the change is routed with the higher-reasoning
  // profile (the template's reviewer profile is reasoning_low).
  size_t review_routes = 0;
  for (const auto& e : events(id)) {
    if (e["type"] != "route.requested" || e["payload"]["task"]["task_type"] != "review") continue;
    ++review_routes;
    EXPECT_EQ(e["payload"]["task"]["profile"], "reasoning_high");
  }
  EXPECT_GT(review_routes, 0u);
  auto decisions = json::parse(slurp(home / "runs" / id / "artifacts" / "policy_decisions.json"));
  EXPECT_EQ(decisions["hitl"]["status"], "approved");
  EXPECT_EQ(decisions["hitl"]["approval"]["approved_by"], "alice");
  EXPECT_EQ(decisions["hitl"]["approval"]["reason"], "CI change reviewed");
  EXPECT_TRUE(valid_policy_decisions(home / "runs" / id / "artifacts" / "policy_decisions.json"));
  EXPECT_EQ(cli({"verify-log", "--run-id", id}).code, 0);
  auto explain = cli({"explain", "--run-id", id});
  EXPECT_NE(explain.out.find("alice"), std::string::npos) << explain.out;
  // Finished: a second resume is a wrong-order command.
  EXPECT_EQ(cli({"resume", "--run-id", id}).code, 2);
}

TEST_F(hitl_fixture, ApprovalsAreSingleUseAndNeedAReason) {
  seed_example();
  auto id = run_id_of(run({"--base", base}).out);
  EXPECT_EQ(cli({"approve", "--run-id", id}).code, 2);  // --reason is required
  ASSERT_EQ(cli({"approve", "--run-id", id, "--reason", "ok"}).code, 0);
  auto again = cli({"approve", "--run-id", id, "--reason", "ok again"});
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("single-use"), std::string::npos) << again.err;
  // Approving a run that is not waiting is a wrong-order command.
  repo.write("README.md", "x\n");
  repo.commit("clean");
  auto clean = run();
  auto other = run_id_of(clean.out);
  auto wrong = cli({"approve", "--run-id", other, "--reason", "x"});
  EXPECT_EQ(wrong.code, 2);
  EXPECT_NE(wrong.err.find("not waiting for approval"), std::string::npos);
}

TEST_F(hitl_fixture, ForgedApprovalForAnotherDiffIsRefused) {
  seed_example();
  auto id = run_id_of(run({"--base", base}).out);
  ASSERT_EQ(cli({"approve", "--run-id", id, "--reason", "ok"}).code, 0);
  // Forge: rewrite the approval's diff hash and re-chain the log so that it
  // still verifies; the coordinator itself must refuse the decision.
  auto log = home / "runs" / id / "events.jsonl";
  auto lines = lines_of(log);
  auto rec = json::parse(lines.back());
  ASSERT_EQ(rec["type"], "approval.granted");
  rec["payload"]["diff_hash"] = std::string(64, 'f');
  rec.erase("hash");
  std::string body = rec.dump();
  body.pop_back();
  auto hash = run_process({"sh", "-c", "printf '%s\\n%s}' \"$0\" \"$1\" | sha256sum | cut -c1-64",
                           rec["prev"].get<std::string>(), body}).out.substr(0, 64);
  lines.back() = body + ",\"hash\":\"" + hash + "\"}";
  std::string text;
  for (auto& l : lines) text += l + "\n";
  spit(log, text);
  auto st = state(id);
  st["head"]["hash"] = hash;
  spit(home / "runs" / id / "state.json", st.dump());
  ASSERT_EQ(cli({"verify-log", "--run-id", id}).code, 0);
  auto resumed = cli({"resume", "--run-id", id});
  EXPECT_NE(resumed.code, 0);
  EXPECT_NE(resumed.err.find("does not bind this gate"), std::string::npos) << resumed.err;
  EXPECT_NE(state(id)["status"], "succeeded");
}

TEST_F(hitl_fixture, DenyEndsTheRunDeniedWithAReport) {
  seed_example();
  auto id = run_id_of(run({"--base", base}).out);
  auto d = cli({"deny", "--run-id", id, "--reason", "no workflow changes this week", "--by", "bob"});
  EXPECT_EQ(d.code, 0) << d.err;
  EXPECT_EQ(state(id)["status"], "denied");
  auto report = slurp(home / "runs" / id / "artifacts" / "report.md");
  EXPECT_NE(report.find("denied"), std::string::npos);
  auto decisions = json::parse(slurp(home / "runs" / id / "artifacts" / "policy_decisions.json"));
  EXPECT_EQ(decisions["hitl"]["status"], "denied");
  EXPECT_TRUE(valid_policy_decisions(home / "runs" / id / "artifacts" / "policy_decisions.json"));
  EXPECT_EQ(cli({"resume", "--run-id", id}).code, 2);  // a denied run never resumes
  EXPECT_EQ(cli({"approve", "--run-id", id, "--reason", "changed my mind"}).code, 2);
}

TEST_F(hitl_fixture, ApproveWithScopeNarrowsTheFixToAllowedFiles) {
  seed_example();
  auto id = run_id_of(run({"--base", base}).out);
  auto bad = cli({"approve", "--run-id", id, "--reason", "x", "--allow-files", "not/in/diff.js"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("is not one of the gated change's files"), std::string::npos);
  ASSERT_EQ(cli({"approve", "--run-id", id, "--reason", "only ci", "--deny-files", "package.json"}).code, 0);
  auto resumed = cli({"resume", "--run-id", id});
  EXPECT_EQ(resumed.code, 0) << resumed.err;
}

TEST_F(hitl_fixture, ExpiredRequestCannotBeApprovedOrResumed) {
  seed_example();
  auto manifest = tmp / "m.yaml";
  auto text = slurp(fs::path(CASM_SOURCE_DIR) / "config" / "templates" / "repo-auditor" / "manifest.yaml");
  text.replace(text.find("expires_after_hours: 168"), 24, "expires_after_hours: 0.0000001");
  spit(manifest, text);
  auto r = run({"--base", base, "--template", manifest.string()});
  ASSERT_EQ(r.code, 3) << r.err;
  auto id = run_id_of(r.out);
  auto a = cli({"approve", "--run-id", id, "--reason", "late"});
  EXPECT_EQ(a.code, 2);
  EXPECT_NE(a.err.find("expired"), std::string::npos) << a.err;
  EXPECT_EQ(state(id)["status"], "expired");
  EXPECT_EQ(cli({"resume", "--run-id", id}).code, 2);
}

}  // namespace
}  // namespace casm::itest
