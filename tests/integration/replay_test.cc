// casm replay end to end: real runs of the real binary, replayed offline;
// every way a replay must fail (a changed blob, a changed ruleset, a
// coordinator bug, a tampered log) fails at the right seq with exit 6.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

using nlohmann::json;

// Built at run time so that this source file holds no secret.
const std::string planted_key = std::string("AKIA") + "Q2W3E4R5T6Y7U8I9";

struct ReplayRun : ::testing::Test {
  temp_dir tmp;
  fs::path home = tmp / "home";
  git_repo repo{tmp / "repo"};

  void SetUp() override {
    repo.write("app.py", "import os\nkey = \"" + planted_key + "\"\nos.system(cmd)\n# TODO: tidy\n");
    repo.write("notes.txt", "first\nsecond   \nlast");
    // Forty findings in one file: that reviewer's reply is a blob (> 4 KiB).
    std::string bulk;
    for (int i = 1; i <= 40; ++i) bulk += "line " + std::to_string(i) + "   \n";
    repo.write("bulk.txt", bulk);
    repo.write("Makefile", "test:\n\t@echo ok\n");
    repo.commit("initial");
  }

  result cli(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    return casm(home, args, std::move(env));
  }

  // A v0.2 manifest whose validation command applies: findings, a patch and
  // a command run, so every request/reply pair of an audit is in the log.
  fs::path auditor_manifest() {
    auto path = tmp / "manifest.yaml";
    spit(path,
         "version: 0.2\ntemplate:\n  id: replay-test\n  name: Replay test\nentrypoint:\n"
         "  workflow: repo_auditor_v1\nruntime:\n  sandbox:\n    allow_network: false\n"
         "    command_timeout_seconds: 30\n    allow_commands: [\"make test\"]\n"
         "validate:\n  commands: [\"make test\"]\n"
         "agents:\n  reviewer:\n    enabled: true\n  fixer:\n    enabled: true\n"
         "  validator:\n    enabled: true\n");
    return path;
  }

  // Runs casm run; returns the run id (empty if none was made).
  std::string run(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "--repo", repo.path().string(), "--reviewers", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    last = cli(args);
    return run_id_of(last.out);
  }
  std::string audit() {
    auto id = run({"--template", auditor_manifest().string()});
    EXPECT_EQ(last.code, 0) << last.out << last.err;
    return id;
  }

  fs::path dir(const std::string& id) const { return home / "runs" / id; }
  std::vector<json> events(const std::string& id) const {
    std::vector<json> out;
    for (const auto& l : lines_of(dir(id) / "events.jsonl")) out.push_back(json::parse(l));
    return out;
  }
  // "replay identical: N events, head H" for the whole log of `id`.
  std::string identical_line(const std::string& id) const {
    auto ev = events(id);
    return "replay identical: " + std::to_string(ev.size()) + " events, head " +
           ev.back()["hash"].get<std::string>() + "\n";
  }
  uint64_t seq_where(const std::string& id, const std::function<bool(const json&)>& pred) const {
    for (const auto& e : events(id))
      if (pred(e)) return e["seq"].get<uint64_t>();
    ADD_FAILURE() << "no such record in run " << id;
    return 0;
  }
  // Every file under the run dir and its bytes.
  std::map<std::string, std::string> snapshot(const std::string& id) const {
    std::map<std::string, std::string> files;
    for (auto it = fs::recursive_directory_iterator(dir(id));
         it != fs::recursive_directory_iterator(); ++it)
      if (it->is_regular_file()) files[it->path().string()] = slurp(it->path());
    return files;
  }

  result last;
};

TEST_F(ReplayRun, EveryShippedTemplateRunReplaysIdentically) {
  std::vector<std::string> templates;
  for (const auto& e : fs::directory_iterator(fs::path(CASM_SOURCE_DIR) / "config" / "templates"))
    templates.push_back(e.path().filename().string());
  std::sort(templates.begin(), templates.end());
  ASSERT_GE(templates.size(), 2u);
  for (const auto& t : templates) {
    auto id = run({"--template", t});
    ASSERT_FALSE(id.empty()) << t << ": " << last.out << last.err;
    auto r = cli({"replay", "--run-id", id});
    EXPECT_EQ(r.code, 0) << t << ": " << r.out << r.err;
    EXPECT_EQ(r.out, identical_line(id)) << t;
  }
}

TEST_F(ReplayRun, AuditorRunWithFindingsPatchAndValidationReplaysIdentically) {
  auto id = audit();
  std::set<std::string> types;
  bool validated = false, blob = false;
  for (const auto& e : events(id)) {
    types.insert(e["type"].get<std::string>());
    validated = validated || (e["type"] == "validate.completed" &&
                              e["payload"]["commands"][0]["status"] == "passed");
    blob = blob || (e["payload"].is_object() && e["payload"].contains("blob"));
  }
  for (const char* t : {"review.completed", "gate.completed", "fix.completed",
                        "validate.completed", "report.completed", "run.completed"})
    EXPECT_TRUE(types.count(t)) << t;
  EXPECT_TRUE(validated);
  EXPECT_TRUE(blob);
  auto r = cli({"replay", "--run-id", id});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, identical_line(id));
  EXPECT_EQ(r.err, "");
}

TEST_F(ReplayRun, NeedsNoNetworkNoProcessAndNoRepository) {
  auto id = audit();
  // The repository is gone: replay reads no git object.
  fs::remove_all(repo.path());
  const std::string casm_home = "CASM_HOME=" + home.string();

  // In a network namespace with only loopback (down), no PATH, no HOME.
  auto isolated = run_process({"unshare", "-n", "env", "-i", casm_home, CASM_BINARY, "replay",
                               "--run-id", id});
  const bool unshared = isolated.err.find("unshare") == std::string::npos;
  if (unshared) {
    EXPECT_EQ(isolated.code, 0) << isolated.out << isolated.err;
    EXPECT_EQ(isolated.out, identical_line(id));
  }

  // No process, no thread, no socket: only casm's own execve.
  auto trace = tmp / "strace.txt";
  auto traced = run_process({"strace", "-f", "-qq", "-o", trace.string(), "-e",
                             "trace=execve,fork,vfork,clone,clone3,socket,connect", "env", "-i",
                             casm_home, CASM_BINARY, "replay", "--run-id", id});
  const bool traceable = traced.code != 127 && fs::exists(trace) &&
                         traced.err.find("strace: ") == std::string::npos;
  if (!traceable) {
    if (!unshared)
      GTEST_SKIP() << "neither unshare -n nor strace works here: " << isolated.err
                   << traced.err;
    return;
  }
  EXPECT_EQ(traced.code, 0) << traced.err;
  std::vector<std::string> calls;
  // strace pads the pid column ("1234  execve(...)"): skip every blank.
  for (const auto& l : lines_of(trace)) {
    const auto start = l.find_first_not_of(' ', l.find(' '));
    calls.push_back(start == std::string::npos ? l : l.substr(start));
  }
  // strace execs env, env execs casm, and casm calls none of them.
  ASSERT_EQ(calls.size(), 2u) << slurp(trace);
  EXPECT_EQ(calls[1].rfind(std::string("execve(\"") + CASM_BINARY + "\"", 0), 0u) << calls[1];
}

TEST_F(ReplayRun, MutatedBlobOfAReviewReplyDivergesAtThatSeq) {
  auto id = audit();
  std::string sha;
  uint64_t seq = 0;
  for (const auto& e : events(id))
    if (e["type"] == "review.completed" && e["payload"].contains("blob")) {
      sha = e["payload"]["blob"];
      seq = e["seq"];
    }
  ASSERT_FALSE(sha.empty()) << "no review.completed was stored as a blob";
  auto blob = dir(id) / "blobs" / sha;
  auto bytes = slurp(blob);
  auto at = bytes.find("\"line\":2,");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 9, "\"line\":3,");  // the same length, still JSON
  spit(blob, bytes);
  // The chain itself still verifies: only the blob's digest catches it.
  EXPECT_EQ(cli({"verify-log", "--run-id", id}).code, 0);
  // explain does not read a shard's reply, but it checks its digest.
  auto story = cli({"explain", "--run-id", id});
  EXPECT_EQ(story.code, 6) << story.out << story.err;
  EXPECT_NE(story.err.find("seq " + std::to_string(seq) + ": blob " + sha), std::string::npos)
    << story.err;
  auto r = cli({"replay", "--run-id", id});
  EXPECT_EQ(r.code, 6) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("replay diverged at seq " + std::to_string(seq) +
                          " (type review.completed)\nreason: blob " + sha +
                          " does not match its digest\n",
                        0),
            0u)
    << r.out;
}

TEST_F(ReplayRun, ChangedRulesetIsConfigDriftUnlessAllowed) {
  auto ruleset = tmp / "rules.yaml";
  spit(ruleset, slurp(fs::path(CASM_SOURCE_DIR) / "config" / "rulesets" / "default.devtools.yaml"));
  auto id = run({"--template", auditor_manifest().string(), "--ruleset", ruleset.string()});
  ASSERT_EQ(last.code, 0) << last.err;
  auto pinned = events(id)[0]["payload"];
  ASSERT_EQ(pinned["ruleset_source"], "override");
  // The override's path must be pinned, or no edit of it could be noticed
  // (runtime/cmd_run.cc writes config.pinned).
  ASSERT_TRUE(pinned.contains("ruleset_file"))
    << "config.pinned has no ruleset_file: " << pinned.dump();

  auto r = cli({"replay", "--run-id", id});
  EXPECT_EQ(r.code, 0) << r.out << r.err;

  const std::string before = pinned["ruleset_hash"];
  spit(ruleset, slurp(ruleset) + "# edited after the run\n");
  r = cli({"replay", "--run-id", id});
  EXPECT_EQ(r.code, 6) << r.out << r.err;
  EXPECT_NE(r.out.find("config drift: ruleset default.devtools ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pinned sha256 " + before + ", current "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("--allow-config-drift"), std::string::npos) << r.err;

  // Asked to, it compares anyway: the run's own records still match.
  r = cli({"replay", "--run-id", id, "--allow-config-drift"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, identical_line(id));
  EXPECT_NE(r.err.find("config drift (compared anyway): ruleset default.devtools"),
            std::string::npos)
    << r.err;
}

TEST_F(ReplayRun, CoordinatorBugSeamDivergesAtThePlanTransition) {
  auto id = audit();
  const uint64_t plan = seq_where(id, [](const json& e) {
    return e["type"] == "stage.transition" && e["payload"]["stage"] == "plan" &&
           e["payload"]["status"] == "completed";
  });
  auto r = cli({"replay", "--run-id", id}, {{"CASM_TEST_ENGINE_FAULT", "plan_drops_fixes"}});
  EXPECT_EQ(r.code, 6) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("replay diverged at seq " + std::to_string(plan) +
                          " (type stage.transition)\n",
                        0),
            0u)
    << r.out;
  EXPECT_NE(r.out.find("  /payload/detail: expected \""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("actual \"0 fixes in 0 files"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("diverged at seq " + std::to_string(plan)), std::string::npos);
  // Without the bug the same run is identical.
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
}

TEST_F(ReplayRun, TamperedLogExits6NamingTheBadSeq) {
  auto id = audit();
  auto log = dir(id) / "events.jsonl";
  auto lines = lines_of(log);
  ASSERT_GT(lines.size(), 12u);
  // Flip one byte inside record 12's payload.
  auto& line = lines[11];
  auto at = line.find("\"payload\":") + 12;
  line[at] = line[at] == 'a' ? 'b' : 'a';
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  spit(log, all);
  auto r = cli({"replay", "--run-id", id});
  EXPECT_EQ(r.code, 6) << r.out << r.err;
  EXPECT_NE(r.err.find("first bad seq 12 "), std::string::npos) << r.err;
  auto j = cli({"replay", "--run-id", id, "--json"});
  EXPECT_EQ(j.code, 6);
  auto doc = json::parse(j.out);
  EXPECT_EQ(doc["result"], "tampered");
  EXPECT_EQ(doc["first_bad_seq"], 12);

  // A deleted last line: state.json's head catches it.
  auto id2 = audit();
  auto log2 = dir(id2) / "events.jsonl";
  auto lines2 = lines_of(log2);
  lines2.pop_back();
  all.clear();
  for (const auto& l : lines2) all += l + "\n";
  spit(log2, all);
  r = cli({"replay", "--run-id", id2});
  EXPECT_EQ(r.code, 6) << r.out << r.err;
  EXPECT_NE(r.err.find("first bad seq " + std::to_string(lines2.size() + 1)), std::string::npos)
    << r.err;
}

TEST_F(ReplayRun, JsonOutputShape) {
  auto id = audit();
  auto r = cli({"replay", "--run-id", id, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto doc = json::parse(r.out);
  auto ev = events(id);
  std::set<std::string> keys;
  for (const auto& [k, v] : doc.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"run_id", "result", "exit_code", "events", "replayed",
                                         "head", "complete", "aborted", "torn_tail",
                                         "config_drift", "config_drift_allowed"}));
  EXPECT_EQ(doc["run_id"], id);
  EXPECT_EQ(doc["result"], "identical");
  EXPECT_EQ(doc["exit_code"], 0);
  EXPECT_EQ(doc["events"], ev.size());
  EXPECT_EQ(doc["replayed"], ev.size());
  EXPECT_EQ(doc["head"], ev.back()["hash"]);
  EXPECT_EQ(doc["complete"], true);
  EXPECT_EQ(doc["config_drift"], json::array());

  r = cli({"replay", "--run-id", id, "--json"}, {{"CASM_TEST_ENGINE_FAULT", "plan_drops_fixes"}});
  ASSERT_EQ(r.code, 6);
  doc = json::parse(r.out);
  EXPECT_EQ(doc["result"], "diverged");
  const auto& d = doc["divergence"];
  EXPECT_EQ(d["type"], "stage.transition");
  EXPECT_EQ(d["expected"]["type"], "stage.transition");
  EXPECT_EQ(d["actual"]["payload"]["stage"], "plan");
  ASSERT_EQ(d["diff"].size(), 1u);
  EXPECT_EQ(d["diff"][0]["pointer"], "/payload/detail");
  EXPECT_TRUE(d["diff"][0].contains("expected"));
  EXPECT_TRUE(d["diff"][0].contains("actual"));
}

TEST_F(ReplayRun, NeverWritesToTheRunDir) {
  auto id = audit();
  auto before = snapshot(id);
  EXPECT_EQ(cli({"replay", "--run-id", id}).code, 0);
  EXPECT_EQ(cli({"replay", "--run-id", id}, {{"CASM_TEST_ENGINE_FAULT", "plan_drops_fixes"}}).code,
            6);
  auto log = dir(id) / "events.jsonl";
  spit(log, slurp(log) + "{\"torn");  // a torn tail stays as it is
  before[log.string()] += "{\"torn";
  auto r = cli({"replay", "--run-id", id});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("torn last line"), std::string::npos);
  EXPECT_EQ(snapshot(id), before);
}

TEST_F(ReplayRun, UnknownRunIdExits2) {
  auto r = cli({"replay", "--run-id", "01M80000000000000000000000"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown run id"), std::string::npos);
}

TEST_F(ReplayRun, GatedRunReplaysPausedThenApprovedAndResumed) {
  repo.write(".github/workflows/ci.yml", "on: push\n");
  const std::string base = repo.commit("ci");
  repo.write(".github/workflows/ci.yml", "on: [push, pull_request]\n");
  repo.commit("ci change");
  auto id = run({"--base", base});
  ASSERT_EQ(last.code, 3) << last.out << last.err;

  auto r = cli({"replay", "--run-id", id});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("replayed " + std::to_string(events(id).size()) +
                          " events of a run paused for approval: identical so far, head ",
                        0),
            0u)
    << r.out;

  ASSERT_EQ(cli({"approve", "--run-id", id, "--reason", "reviewed", "--by", "alice"}).code, 0);
  auto resumed = cli({"resume", "--run-id", id});
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  r = cli({"replay", "--run-id", id});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, identical_line(id));
}

}  // namespace
}  // namespace casm::itest
