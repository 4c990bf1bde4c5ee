// The foundation, end to end with the real binary: a noop run on real git
// repositories, explain, verify-log, runs, doctor, and every bad input.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <future>
#include <regex>
#include <set>

#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

using nlohmann::json;

struct noop_fixture : ::testing::Test {
  temp_dir tmp;
  fs::path home = tmp / "home";
  git_repo repo{tmp / "repo"};
  std::string head;

  void SetUp() override {
    repo.write("README.md", "# demo\n");
    repo.write("src/main.c", "int main(void) { return 0; }\n");
    head = repo.commit("initial");
  }

  fs::path run_dir(const std::string& id) const { return home / "runs" / id; }

  std::string run_ok(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "--template", "noop", "--repo", repo.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = casm(home, args);
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    auto id = run_id_of(r.out);
    EXPECT_EQ(id.size(), 26u) << r.out;
    return id;
  }

  std::vector<json> events(const std::string& id) const {
    std::vector<json> out;
    for (const auto& l : lines_of(run_dir(id) / "events.jsonl")) out.push_back(json::parse(l));
    return out;
  }
};

TEST_F(noop_fixture, RunWritesLogStateAndReport) {
  auto id = run_ok();
  const auto dir = run_dir(id);
  EXPECT_TRUE(fs::is_directory(dir / "blobs"));
  auto report = slurp(dir / "artifacts" / "report.md");
  EXPECT_NE(report.find(head), std::string::npos) << report;
  EXPECT_NE(report.find("succeeded"), std::string::npos);

  auto evs = events(id);
  ASSERT_GE(evs.size(), 8u);
  // Config is pinned first.
  EXPECT_EQ(evs[0]["type"], "config.pinned");
  EXPECT_EQ(evs[0]["payload"]["template_id"], "noop");
  EXPECT_EQ(evs[0]["payload"]["template_hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(evs[0]["payload"]["casm_version"], "0.1.0");
  EXPECT_EQ(evs[0]["prev"], std::string(64, '0'));
  EXPECT_EQ(evs[1]["type"], "run.started");
  // Every record has the pinned fields and seq counts from 1.
  for (size_t i = 0; i < evs.size(); ++i) {
    for (const char* k : {"seq", "run_id", "ts", "kind", "source", "target", "type", "payload",
                          "prev", "hash"})
      EXPECT_TRUE(evs[i].contains(k)) << k;
    EXPECT_EQ(evs[i]["seq"], i + 1);
    EXPECT_EQ(evs[i]["run_id"], id);
  }
  // Ingest resolved HEAD with libgit2 and recorded the commit id.
  bool saw_commit = false;
  for (const auto& e : evs)
    if (e["type"] == "ingest.completed") {
      EXPECT_EQ(e["kind"], "input");
      EXPECT_EQ(e["payload"]["head_commit"], head);
      EXPECT_EQ(e["payload"]["file_count"], 2);
      saw_commit = true;
    }
  EXPECT_TRUE(saw_commit);
  EXPECT_EQ(evs.back()["type"], "run.completed");
  EXPECT_EQ(evs.back()["payload"]["status"], "succeeded");

  auto state = json::parse(slurp(dir / "state.json"));
  EXPECT_EQ(state["status"], "succeeded");
  EXPECT_EQ(state["exit_code"], 0);
  EXPECT_EQ(state["head"]["seq"], evs.back()["seq"]);
  EXPECT_EQ(state["head"]["hash"], evs.back()["hash"]);
}

TEST_F(noop_fixture, RunIdIsAUlidAndJsonOutputListsArtifacts) {
  auto r = casm(home, {"run", "--template", "noop", "--repo", repo.path().string(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_TRUE(std::regex_match(j["run_id"].get<std::string>(),
                               std::regex("[0-7][0-9A-HJKMNP-TV-Z]{25}")));
  EXPECT_EQ(j["status"], "succeeded");
  // Every run writes its routing and cost artifacts; report.md comes last.
  ASSERT_EQ(j["artifacts"].size(), 5u);
  std::vector<std::string> names;
  for (const auto& a : j["artifacts"]) {
    names.push_back(a["name"]);
    EXPECT_TRUE(fs::exists(a["path"].get<std::string>())) << a["path"];
  }
  EXPECT_EQ(names, (std::vector<std::string>{"routing_decisions.json", "cost_forecast.json",
                                             "cost_report.md", "run_summary.json", "report.md"}));
}

TEST_F(noop_fixture, ExplainIsByteIdenticalAcrossCallsAndProcesses) {
  auto id = run_ok();
  auto a = casm(home, {"explain", "--run-id", id});
  auto b = casm(home, {"explain", "--run-id", id});
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out.find("ingest"), std::string::npos);
  EXPECT_NE(a.out.find("policy decisions"), std::string::npos);
  EXPECT_NE(a.out.find("routing choices"), std::string::npos);
  EXPECT_NE(a.out.find("cost"), std::string::npos);
  EXPECT_NE(a.out.find(head), std::string::npos);

  auto ja = casm(home, {"explain", "--run-id", id, "--json"});
  auto jb = casm(home, {"explain", "--run-id", id, "--json"});
  ASSERT_EQ(ja.code, 0);
  EXPECT_EQ(ja.out, jb.out);
  auto j = json::parse(ja.out);
  EXPECT_EQ(j["status"], "succeeded");
  ASSERT_EQ(j["stages"].size(), 2u);
  EXPECT_EQ(j["stages"][0]["stage"], "ingest");
  EXPECT_EQ(j["stages"][0]["status"], "completed");
  EXPECT_EQ(j["stages"][1]["stage"], "report");
  EXPECT_TRUE(j["policy"]["decisions"].empty());
  EXPECT_TRUE(j["routing"]["tasks"].empty());
  EXPECT_TRUE(j["log"]["verified"]);
}

TEST_F(noop_fixture, ReadOnlyCommandsNeverModifyARun) {
  auto id = run_ok();
  auto before_log = slurp(run_dir(id) / "events.jsonl");
  auto before_state = slurp(run_dir(id) / "state.json");
  casm(home, {"explain", "--run-id", id});
  casm(home, {"verify-log", "--run-id", id});
  casm(home, {"runs"});
  EXPECT_EQ(slurp(run_dir(id) / "events.jsonl"), before_log);
  EXPECT_EQ(slurp(run_dir(id) / "state.json"), before_state);
}

TEST_F(noop_fixture, VerifyLogPassesAndCatchesTampering) {
  auto id = run_ok();
  auto ok = casm(home, {"verify-log", "--run-id", id});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("log verified"), std::string::npos);

  const auto log = run_dir(id) / "events.jsonl";
  const auto original = slurp(log);
  auto lines = lines_of(log);

  // A changed byte in seq 4.
  auto changed = lines;
  changed[3][changed[3].find("coordinator")] = 'C';
  std::string text;
  for (auto& l : changed) text += l + "\n";
  spit(log, text);
  auto r = casm(home, {"verify-log", "--run-id", id});
  EXPECT_EQ(r.code, 6);
  EXPECT_NE(r.err.find("first bad seq 4"), std::string::npos) << r.err;
  EXPECT_EQ(casm(home, {"explain", "--run-id", id}).code, 6);

  // The last record deleted: caught through state.json's head.
  text.clear();
  for (size_t i = 0; i + 1 < lines.size(); ++i) text += lines[i] + "\n";
  spit(log, text);
  r = casm(home, {"verify-log", "--run-id", id});
  EXPECT_EQ(r.code, 6);
  EXPECT_NE(r.err.find("first bad seq " + std::to_string(lines.size())), std::string::npos)
    << r.err;

  // Two records swapped.
  auto swapped = lines;
  std::swap(swapped[2], swapped[3]);
  text.clear();
  for (auto& l : swapped) text += l + "\n";
  spit(log, text);
  r = casm(home, {"verify-log", "--run-id", id, "--json"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(json::parse(r.out)["first_bad_seq"], 3);

  spit(log, original);
  EXPECT_EQ(casm(home, {"verify-log", "--run-id", id}).code, 0);
}

TEST_F(noop_fixture, TornTailIsReportedAndStillVerifies) {
  auto id = run_ok();
  const auto log = run_dir(id) / "events.jsonl";
  auto bytes = slurp(log);
  spit(log, bytes + "{\"kind\":\"output\",\"payl");
  auto r = casm(home, {"verify-log", "--run-id", id});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("torn last line"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(log), bytes + "{\"kind\":\"output\",\"payl");  // not repaired by a reader
  auto e = casm(home, {"explain", "--run-id", id});
  EXPECT_EQ(e.code, 0);
  EXPECT_NE(e.out.find("torn last line"), std::string::npos);
}

TEST_F(noop_fixture, RunsListsRunsWithStatus) {
  auto a = run_ok();
  auto bad = casm(home, {"run", "--template", "noop", "--repo", (tmp / "nope").string()});
  ASSERT_EQ(bad.code, 2);
  auto b = run_id_of(bad.out);
  auto r = casm(home, {"runs", "--json"});
  ASSERT_EQ(r.code, 0);
  auto j = json::parse(r.out);
  ASSERT_EQ(j["runs"].size(), 2u);
  std::map<std::string, std::string> status;
  for (const auto& row : j["runs"]) status[row["run_id"]] = row["status"];
  EXPECT_EQ(status[a], "succeeded");
  EXPECT_EQ(status[b], "failed");
  auto text = casm(home, {"runs"});
  EXPECT_NE(text.out.find(a), std::string::npos);
  EXPECT_NE(text.out.find("succeeded"), std::string::npos);
}

TEST_F(noop_fixture, AStaleRunningRunIsShownAsCrashed) {
  auto id = run_ok();
  auto state = json::parse(slurp(run_dir(id) / "state.json"));
  state["status"] = "running";
  spit(run_dir(id) / "state.json", state.dump());
  auto r = casm(home, {"runs"});
  EXPECT_NE(r.out.find("crashed"), std::string::npos) << r.out;
}

TEST_F(noop_fixture, HomeFlagOverridesTheEnvironment) {
  auto other = tmp / "other-home";
  auto r = casm(home, {"--home", other.string(), "run", "--repo", repo.path().string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(other / "runs" / run_id_of(r.out) / "state.json"));
  EXPECT_FALSE(fs::exists(home / "runs" / run_id_of(r.out)));
}

TEST_F(noop_fixture, ConcurrentRunsShareOneHome) {
  std::vector<std::future<result>> runs;
  for (int i = 0; i < 4; ++i)
    runs.push_back(std::async(std::launch::async, [&] {
      return casm(home, {"run", "--template", "noop", "--repo", repo.path().string()});
    }));
  std::set<std::string> ids;
  for (auto& f : runs) {
    auto r = f.get();
    EXPECT_EQ(r.code, 0) << r.err;
    ids.insert(run_id_of(r.out));
  }
  EXPECT_EQ(ids.size(), 4u);
  for (const auto& id : ids) EXPECT_EQ(casm(home, {"verify-log", "--run-id", id}).code, 0);
}

TEST_F(noop_fixture, ExplicitHeadRevisionIsPinned) {
  repo.write("b.txt", "b\n");
  auto second = repo.commit("second");
  auto r = casm(home, {"run", "--repo", repo.path().string(), "--head", head, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto id = json::parse(r.out)["run_id"].get<std::string>();
  for (const auto& e : events(id)) {
    if (e["type"] == "ingest.completed") {
      EXPECT_EQ(e["payload"]["head_commit"], head);
    }
  }
  EXPECT_NE(head, second);
}

// --- bad input: exit 2 and one clear sentence --------------------------------

struct bad_input : ::testing::Test {
  temp_dir tmp;
  fs::path home = tmp / "home";

  // A failed run still leaves its state, log and report.
  void expect_failed_run(const result& r, const std::string& needle) {
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    auto id = run_id_of(r.out);
    ASSERT_EQ(id.size(), 26u) << r.out;
    auto dir = home / "runs" / id;
    auto state = json::parse(slurp(dir / "state.json"));
    EXPECT_EQ(state["status"], "failed");
    EXPECT_EQ(state["exit_code"], 2);
    auto report = slurp(dir / "artifacts" / "report.md");
    EXPECT_NE(report.find("Why it failed"), std::string::npos);
    EXPECT_NE(report.find(needle), std::string::npos) << report;
    EXPECT_EQ(casm(home, {"verify-log", "--run-id", id}).code, 0);
    auto explain = casm(home, {"explain", "--run-id", id});
    EXPECT_EQ(explain.code, 0);
    EXPECT_NE(explain.out.find("failed"), std::string::npos);
  }
};

TEST_F(bad_input, RepoPathThatDoesNotExist) {
  auto path = (tmp / "missing").string();
  expect_failed_run(casm(home, {"run", "--repo", path}), "'" + path + "' does not exist");
}

TEST_F(bad_input, PathThatIsNotAGitRepository) {
  fs::create_directories(tmp / "plain");
  auto path = (tmp / "plain").string();
  expect_failed_run(casm(home, {"run", "--repo", path}), "'" + path + "' is not a git repository");
}

TEST_F(bad_input, EmptyRepositoryWithNoCommits) {
  git_repo empty(tmp / "empty");
  expect_failed_run(casm(home, {"run", "--repo", empty.path().string()}), "is empty");
}

TEST_F(bad_input, UnknownRevision) {
  git_repo r(tmp / "r");
  r.write("a", "a\n");
  r.commit("a");
  expect_failed_run(casm(home, {"run", "--repo", r.path().string(), "--head", "no-such-branch"}),
                    "unknown revision 'no-such-branch'");
}

TEST_F(bad_input, UnknownTemplate) {
  auto r = casm(home, {"run", "--template", "nope", "--repo", "."});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown template 'nope'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(home / "runs"));  // config errors start no run
}

TEST_F(bad_input, InvalidManifestNamesFileLineColumnAndKey) {
  auto m = tmp / "manifest.yaml";
  spit(m, "version: 0.1\ntemplate:\n  id: x\n  name: X\nentrypoint:\n  workflow: noop_v1\n"
          "runtime:\n  sandbox:\n    allow_netwrk: true\n");
  auto r = casm(home, {"run", "--template", m.string(), "--repo", "."});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(m.string() + ":9:5: unknown key 'runtime.sandbox.allow_netwrk'"),
            std::string::npos)
    << r.err;
}

TEST_F(bad_input, UnknownRunId) {
  for (const char* cmd : {"explain", "verify-log"}) {
    auto r = casm(home, {cmd, "--run-id", "01ARYZ6S410000000000000000"});
    EXPECT_EQ(r.code, 2) << cmd;
    EXPECT_NE(r.err.find("unknown run id '01ARYZ6S410000000000000000'"), std::string::npos);
  }
  auto sneaky = casm(home, {"explain", "--run-id", "../../etc"});
  EXPECT_EQ(sneaky.code, 2);
}

TEST_F(bad_input, UsageErrorsExit2) {
  EXPECT_EQ(casm(home, {}).code, 2);
  EXPECT_EQ(casm(home, {"run"}).code, 2);  // --repo is required
  EXPECT_EQ(casm(home, {"frobnicate"}).code, 2);
  EXPECT_EQ(casm(home, {"--log-level", "loud", "runs"}).code, 2);
}

// --- repository shapes ---------------------------------------------------

TEST(RepoShapes, BareRepositoryAndShallowCloneWork) {
  temp_dir tmp;
  git_repo src(tmp / "src");
  src.write("a.txt", "one\n");
  src.commit("one");
  src.write("a.txt", "two\n");
  auto head = src.commit("two");
  auto bare = tmp / "bare.git";
  ASSERT_EQ(run_process({"git", "clone", "-q", "--bare", src.path().string(), bare.string()}).code, 0);
  auto shallow = tmp / "shallow";
  ASSERT_EQ(run_process({"git", "clone", "-q", "--depth", "1", "file://" + src.path().string(),
                         shallow.string()})
              .code,
            0);
  auto home = tmp / "home";
  for (auto [path, flag] : {std::pair{bare, "bare"}, std::pair{shallow, "shallow"}}) {
    auto r = casm(home, {"run", "--repo", path.string(), "--json"});
    ASSERT_EQ(r.code, 0) << flag << ": " << r.err;
    auto id = json::parse(r.out)["run_id"].get<std::string>();
    auto e = json::parse(casm(home, {"explain", "--run-id", id, "--json"}).out);
    EXPECT_EQ(e["commits"]["head"], head) << flag;
    EXPECT_TRUE(e["audited"][flag].get<bool>()) << flag;
  }
}

TEST(RepoShapes, NonUtf8RepositoryPathSurvives) {
  temp_dir tmp;
  std::string name = "repo-\xff\xfe";
  git_repo r(tmp.path() / name);
  r.write("a.txt", "a\n");
  r.commit("a");
  auto home = tmp / "home";
  auto run = casm(home, {"run", "--repo", r.path().string(), "--json"});
  ASSERT_EQ(run.code, 0) << run.err;
  auto id = json::parse(run.out)["run_id"].get<std::string>();
  bool found = false;
  for (const auto& l : lines_of(home / "runs" / id / "events.jsonl")) {
    auto e = json::parse(l);  // every line is valid JSON (UTF-8)
    if (e["payload"].contains("blob"))  // large payloads live in blobs/
      e["payload"] = json::parse(
        slurp(home / "runs" / id / "blobs" / e["payload"]["blob"].get<std::string>()));
    if (e["type"] == "run.started") {
      EXPECT_EQ(e["payload"]["repo"], (tmp.path() / "repo-\\xff\\xfe").string());
      EXPECT_TRUE(e["payload"].contains("repo_b64"));
      found = true;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(casm(home, {"verify-log", "--run-id", id}).code, 0);
  EXPECT_EQ(casm(home, {"explain", "--run-id", id}).code, 0);
}

// --- the CLI surface -------------------------------------------------------

TEST(Cli, HelpAndVersion) {
  temp_dir tmp;
  auto v = casm(tmp.path(), {"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("casm 0.1.0"), std::string::npos);
  EXPECT_NE(v.out.find("CAF 0.17.6"), std::string::npos);
  auto h = casm(tmp.path(), {"--help"});
  EXPECT_EQ(h.code, 0);
  for (const char* cmd : {"run", "explain", "verify-log", "runs", "doctor"}) {
    EXPECT_NE(h.out.find(cmd), std::string::npos) << cmd;
    EXPECT_EQ(casm(tmp.path(), {cmd, "--help"}).code, 0) << cmd;
  }
}

TEST(Cli, DoctorPassesHereAndFailsOnAnUnwritableHome) {
  temp_dir tmp;
  auto ok = casm(tmp / "home", {"doctor", "--json"});
  EXPECT_EQ(ok.code, 0) << ok.out;
  auto j = json::parse(ok.out);
  EXPECT_TRUE(j["ok"]);
  std::set<std::string> names;
  for (const auto& c : j["checks"]) names.insert(c["check"]);
  EXPECT_TRUE(names.count("caf") && names.count("casm_home") && names.count("bubblewrap"));

  auto file = tmp / "a-file";
  spit(file, "x");
  auto bad = casm(file / "home", {"doctor"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("FAIL  casm_home"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("fix:"), std::string::npos);
}

// --- every emitted event type is documented -------------------------------

TEST_F(noop_fixture, EveryEmittedEventTypeIsInDocsEventsTable) {
  auto doc = slurp(fs::path(CASM_SOURCE_DIR) / "docs" / "events.md");
  ASSERT_FALSE(doc.empty());
  std::set<std::string> documented;
  std::regex row(R"(\|\s*`([a-z_]+\.[a-z_.]+)`\s*\|)");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), row); it != std::sregex_iterator(); ++it)
    documented.insert((*it)[1]);
  auto ok = run_ok();
  auto failed = casm(home, {"run", "--repo", (tmp / "nope").string()});
  for (const auto& id : {ok, run_id_of(failed.out)})
    for (const auto& e : events(id))
      EXPECT_TRUE(documented.count(e["type"].get<std::string>())) << e["type"];
}

}  // namespace
}  // namespace casm::itest

namespace casm::itest {
namespace {

TEST_F(noop_fixture, PruneDeletesWholeRunsButNeverPendingOnesUnlessAsked) {
  auto a = run_ok();
  auto b = run_ok();
  auto c = run_ok();
  // Make `a` look like a run waiting for a human.
  auto st = json::parse(slurp(run_dir(a) / "state.json"));
  st["status"] = "pending_hitl";
  spit(run_dir(a) / "state.json", st.dump());
  auto dry = casm(home, {"runs", "prune", "--keep", "1", "--dry-run"});
  EXPECT_EQ(dry.code, 0);
  EXPECT_TRUE(fs::exists(run_dir(b)));
  auto r = casm(home, {"runs", "prune", "--keep", "1", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["pruned"].size(), 1u);
  EXPECT_GT(j["freed_bytes"].get<uint64_t>(), 0u);
  EXPECT_FALSE(fs::exists(run_dir(b)));  // pruned
  EXPECT_TRUE(fs::exists(run_dir(a)));   // pending: kept
  EXPECT_TRUE(fs::exists(run_dir(c)));   // the newest: kept
  auto forced = casm(home, {"runs", "prune", "--keep", "1", "--include-pending"});
  EXPECT_EQ(forced.code, 0);
  EXPECT_FALSE(fs::exists(run_dir(a)));
  EXPECT_EQ(casm(home, {"runs", "prune"}).code, 2);  // nothing selected: say what
}

}  // namespace
}  // namespace casm::itest
