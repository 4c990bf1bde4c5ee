// Fleets (docs/fleet.md): `casm run --repos FILE|DIR --parallel N` over real
// repositories, good and bad; fleet.json against its shipped schema;
// SIGINT and `casm resume --fleet-id`; every fleet run replays.
#include <gtest/gtest.h>

#include <signal.h>

#include <set>

#include "tests/integration/fake_provider.h"
#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

using nlohmann::json;

const std::string planted_key = std::string("AKIA") + "Q2W3E4R5T6Y7U8I9";

testing::AssertionResult valid_fleet_json(const fs::path& file) {
  const auto schema = fs::path(CASM_SOURCE_DIR) / "docs" / "schemas" / "fleet.schema.json";
  const std::string script =
    "import jsonschema,json,sys\n"
    "v=jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))\n"
    "errors=list(v.iter_errors(json.load(open(sys.argv[2]))))\n"
    "for e in errors: print(list(e.absolute_path), e.message)\n"
    "sys.exit(1 if errors else 0)\n";
  auto r = run_process({"/usr/bin/python3", "-c", script, schema.string(), file.string()});
  if (r.code == 0) return testing::AssertionSuccess();
  return testing::AssertionFailure() << r.out << r.err;
}

std::string fleet_id_of(const std::string& out) {
  auto pos = out.find("fleet_id: ");
  if (pos == std::string::npos) return {};
  return out.substr(pos + 10, 26);
}

json fleet_json(const fs::path& home, const std::string& id) {
  return json::parse(slurp(home / "fleets" / id / "fleet.json"));
}

// The fingerprints of a run's findings, sorted: what "identical findings" means.
std::vector<std::string> fingerprints(const fs::path& home, const std::string& run_id) {
  std::vector<std::string> out;
  auto text = slurp(home / "runs" / run_id / "artifacts" / "issues.json");
  if (text.empty()) return out;
  const json doc = json::parse(text);  // named: a range-for over a temporary's member dangles
  for (const auto& f : doc["findings"])
    out.push_back(f.value("rule_id", "") + " " + f.value("path", "") + ":" +
                  std::to_string(f.value("line", 0)) + " " + f.value("fingerprint", ""));
  std::sort(out.begin(), out.end());
  return out;
}

// A small real repository; `secret` plants a credential (a high finding).
void make_repo(const fs::path& dir, int n, bool secret) {
  git_repo r(dir);
  r.write("README.md", "# repo " + std::to_string(n) + "\n");
  r.write("src/main.c", "int main(void) { return " + std::to_string(n) + "; }\n");
  if (secret) r.write("config.py", "KEY = \"" + planted_key + "\"\n");
  r.commit("initial");
}

struct fleet_fixture : ::testing::Test {
  temp_dir tmp{"casm-fleet"};
  fs::path home = tmp / "home";
};

TEST_F(fleet_fixture, MixedGoodAndBadReposEachGetARowAndEveryRunReplays) {
  const fs::path dir = tmp / "repos";
  make_repo(dir / "a-clean", 1, false);
  make_repo(dir / "b-secret", 2, true);
  fs::create_directories(dir / "c-not-git/src");  // no .git: not a repository
  fs::create_directories(dir / "d-corrupt/.git");  // a .git that cannot be opened
  spit(dir / "d-corrupt/.git/HEAD", "this is not a ref\n");
  make_repo(dir / "e-bare-src", 5, false);
  ASSERT_EQ(run_process({"git", "clone", "-q", "--bare", (dir / "e-bare-src").string(),
                         (dir / "f-bare.git").string()}).code, 0);

  auto r = casm(home, {"run", "--template", "repo-auditor", "--repos", dir.string(), "--parallel", "2"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;  // one run failed, so the fleet exits 1
  const std::string id = fleet_id_of(r.out);
  ASSERT_EQ(id.size(), 26u) << r.out;
  const auto fdir = home / "fleets" / id;
  EXPECT_TRUE(valid_fleet_json(fdir / "fleet.json"));
  EXPECT_TRUE(fs::exists(fdir / "fleet.md"));
  // Not a TTY: progress is JSON lines, one per start and finish.
  size_t events = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("{", 0) != 0) continue;
    auto j = json::parse(line);
    EXPECT_TRUE(j.contains("event"));
    ++events;
  }
  EXPECT_GE(events, 5u * 2);

  auto doc = fleet_json(home, id);
  EXPECT_EQ(doc["status"], "completed");
  EXPECT_EQ(doc["exit_code"], 1);
  EXPECT_EQ(doc["parallel"], 2);
  ASSERT_EQ(doc["runs"].size(), 5u) << doc.dump(2);  // c-not-git is no repository
  EXPECT_EQ(doc["ignored"], json::array({"c-not-git"}));
  std::map<std::string, json> by_name;
  for (const auto& row : doc["runs"]) by_name[fs::path(row["repo"].get<std::string>()).filename()] = row;
  for (const char* good : {"a-clean", "b-secret", "e-bare-src", "f-bare.git"}) {
    const auto& row = by_name.at(good);
    EXPECT_EQ(row["status"], "succeeded") << row.dump();
    EXPECT_EQ(row["exit_code"], 0) << row.dump();
    EXPECT_TRUE(row["error"].is_null()) << row.dump();
    EXPECT_EQ(row["cost_usd"], 0.0);
  }
  EXPECT_GE(by_name.at("b-secret")["findings"]["high"].get<int>(), 1);
  EXPECT_EQ(by_name.at("a-clean")["findings"]["high"], 0);
  const auto& bad = by_name.at("d-corrupt");
  EXPECT_EQ(bad["status"], "failed");
  EXPECT_EQ(bad["exit_code"], 2);  // not a git repository: bad input, recorded in its run
  ASSERT_TRUE(bad["error"].is_string());
  EXPECT_NE(bad["error"].get<std::string>().find("d-corrupt"), std::string::npos) << bad.dump();
  EXPECT_TRUE(bad["run_id"].is_string());

  // Each run is a run like any other: it replays identically, and a fleet
  // run finds what a single run of the same repository finds.
  for (const auto& row : doc["runs"]) {
    auto rep = casm(home, {"replay", "--run-id", row["run_id"].get<std::string>()});
    EXPECT_EQ(rep.code, 0) << row.dump() << rep.out << rep.err;
    EXPECT_NE(rep.out.find("replay identical"), std::string::npos) << rep.out;
  }
  auto single = casm(home, {"run", "--template", "repo-auditor", "--repo", (dir / "b-secret").string()});
  EXPECT_EQ(single.code, 0) << single.err;
  EXPECT_EQ(fingerprints(home, run_id_of(single.out)),
            fingerprints(home, by_name.at("b-secret")["run_id"].get<std::string>()));

  auto ex = casm(home, {"explain", "--fleet-id", id});
  EXPECT_EQ(ex.code, 0) << ex.err;
  EXPECT_NE(ex.out.find("d-corrupt"), std::string::npos) << ex.out;
  auto exj = casm(home, {"explain", "--fleet-id", id, "--json"});
  EXPECT_EQ(exj.code, 0);
  EXPECT_EQ(json::parse(exj.out)["runs"].size(), 5u);
}

// The bench seam that measures what recording costs: the same fleet and the
// same findings, but no log, blob or head, and a state.json that says so.
TEST_F(fleet_fixture, TheNoRecordBenchModeKeepsTheResultsAndWritesNoLog) {
  const fs::path dir = tmp / "repos";
  make_repo(dir / "a", 1, true);
  make_repo(dir / "b", 2, false);
  auto recorded = casm(home, {"run", "--repos", dir.string(), "--parallel", "2"});
  ASSERT_EQ(recorded.code, 0) << recorded.out << recorded.err;
  const fs::path bare = tmp / "bare-home";
  auto bare_run = casm(bare, {"run", "--repos", dir.string(), "--parallel", "2"},
                       {{"CASM_BENCH_NO_RECORD", "1"}});
  ASSERT_EQ(bare_run.code, 0) << bare_run.out << bare_run.err;
  auto rows = [](const fs::path& h, const std::string& out) {
    std::map<std::string, std::pair<std::string, std::vector<std::string>>> by_repo;
    const json doc = fleet_json(h, fleet_id_of(out));
    for (const auto& row : doc["runs"])
      by_repo[fs::path(row["repo"].get<std::string>()).filename().string()] = {
        row["run_id"].get<std::string>(), fingerprints(h, row["run_id"].get<std::string>())};
    return by_repo;
  };
  auto a = rows(home, recorded.out);
  auto b = rows(bare, bare_run.out);
  ASSERT_EQ(a.size(), 2u) << recorded.out;
  ASSERT_EQ(b.size(), 2u);
  for (const auto& [repo, run] : b) {
    EXPECT_EQ(run.second, a[repo].second) << repo;
    const fs::path run_dir = bare / "runs" / run.first;
    EXPECT_FALSE(fs::exists(run_dir / "events.jsonl")) << repo;
    EXPECT_TRUE(fs::exists(run_dir / "artifacts" / "issues.json")) << repo;
    auto state = json::parse(slurp(run_dir / "state.json"));
    EXPECT_NE(state["reason"].get<std::string>().find("not recorded"), std::string::npos);
    EXPECT_NE(casm(bare, {"verify-log", "--run-id", run.first}).code, 0);
  }
  EXPECT_FALSE(a.begin()->second.second.empty());  // the planted key was found
}

TEST_F(fleet_fixture, FileListWithAMissingPathAndBadFlags) {
  make_repo(tmp / "one", 1, false);
  spit(tmp / "list.txt", "# the fleet\n" + (tmp / "one").string() + "\n\n" + (tmp / "missing").string() +
                           "\n" + (tmp / "one").string() + "\n");
  auto r = casm(home, {"run", "--repos", (tmp / "list.txt").string(), "--parallel", "1"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  auto doc = fleet_json(home, fleet_id_of(r.out));
  ASSERT_EQ(doc["runs"].size(), 2u);  // the duplicate runs once
  EXPECT_EQ(doc["runs"][0]["exit_code"], 0);
  EXPECT_EQ(doc["runs"][1]["repo"], (tmp / "missing").string());
  EXPECT_EQ(doc["runs"][1]["exit_code"], 2);
  EXPECT_NE(doc["runs"][1]["error"].get<std::string>().find("missing"), std::string::npos);
  EXPECT_TRUE(valid_fleet_json(home / "fleets" / fleet_id_of(r.out) / "fleet.json"));

  auto none = casm(home, {"run", "--repos", (tmp / "nowhere").string()});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("nowhere' does not exist"), std::string::npos) << none.err;
  fs::create_directories(tmp / "empty");
  auto empty = casm(home, {"run", "--repos", (tmp / "empty").string()});
  EXPECT_EQ(empty.code, 2);
  EXPECT_NE(empty.err.find("names no repository"), std::string::npos) << empty.err;
  EXPECT_EQ(casm(home, {"run", "--repos", (tmp / "list.txt").string(), "--parallel", "0"}).code, 2);
  auto budget = casm(home, {"run", "--repos", (tmp / "list.txt").string(), "--fleet-budget-usd", "-1"});
  EXPECT_EQ(budget.code, 2);
  EXPECT_NE(budget.err.find("--fleet-budget-usd"), std::string::npos) << budget.err;
  EXPECT_EQ(casm(home, {"run", "--repos", (tmp / "list.txt").string(), "--repo", "x"}).code, 2);
  auto unknown = casm(home, {"resume", "--fleet-id", "01ARZ3NDEKTSV4RRFFQ69G5FAV"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown fleet id"), std::string::npos);
  // A cap the offline runs never reach: every run goes.
  auto capped = casm(home, {"run", "--repos", (tmp / "list.txt").string(), "--fleet-budget-usd", "0.5"});
  EXPECT_EQ(capped.code, 1);  // the missing repository
  EXPECT_EQ(fleet_json(home, fleet_id_of(capped.out))["fleet_budget_usd"], 0.5);
}

// --fleet-budget-usd is enforced by the one cost accountant every run of the
// fleet reserves through: a cap below any call's worst case stops every run
// before a single request reaches the provider (exit 5 in each row); a cap
// that fits lets the runs call, and the fleet's spend stays under it.
TEST_F(fleet_fixture, TheFleetBudgetBindsEveryRunThroughTheOneAccountant) {
  const fs::path dir = tmp / "repos";
  for (int i = 0; i < 3; ++i) make_repo(dir / ("r" + std::to_string(i)), i, false);
  fake_provider fake;
  const std::map<std::string, std::string> env{
    {"CASM_HOME", home.string()},
    {"OPENAI_BASE_URL", fake.base_url() + "/v1"},
    {"OPENAI_API_KEY", "sk-fake-" + std::string("fleet-budget-test")}};
  auto fleet = [&](const std::string& cap) {
    return run_process({CASM_BINARY, "run", "--repos", dir.string(), "--parallel", "2",
                        "--provider", "openai", "--fleet-budget-usd", cap},
                       env);
  };

  auto starved = fleet("0.0000001");
  EXPECT_EQ(starved.code, 1) << starved.out << starved.err;
  auto doc = fleet_json(home, fleet_id_of(starved.out));
  ASSERT_EQ(doc["runs"].size(), 3u) << doc.dump(2);
  for (const auto& row : doc["runs"]) {
    EXPECT_EQ(row["exit_code"], 5) << row.dump();
    EXPECT_EQ(row["cost_usd"], 0.0) << row.dump();
  }
  EXPECT_EQ(fake.request_count(), 0u);

  auto funded = fleet("5");
  doc = fleet_json(home, fleet_id_of(funded.out));
  ASSERT_EQ(doc["runs"].size(), 3u) << doc.dump(2);
  double spent = 0;
  for (const auto& row : doc["runs"]) {
    EXPECT_NE(row["exit_code"], 5) << row.dump();
    spent += row["cost_usd"].get<double>();
  }
  EXPECT_GT(fake.request_count(), 0u);
  EXPECT_GT(spent, 0.0);
  EXPECT_LE(spent, 5.0);
}

TEST_F(fleet_fixture, SigintStopsAdmissionAndResumeFinishesTheRest) {
  const fs::path dir = tmp / "repos";
  // Enough runs that SIGINT, sent once the first has finished (the output is
  // polled every 50 ms and a run takes a few ms), still finds some unstarted.
  const int n = 48;
  for (int i = 0; i < n; ++i) make_repo(dir / ("r" + std::to_string(10 + i)), i, i % 3 == 0);
  child_process fleet({CASM_BINARY, "run", "--repos", dir.string(), "--parallel", "1"},
                      {{"CASM_HOME", home.string()}}, tmp / "out.txt", tmp / "err.txt");
  ASSERT_TRUE(fleet.wait_for("\"run_finished\"", 120)) << fleet.out() << fleet.err();
  fleet.signal(SIGINT);
  EXPECT_EQ(fleet.wait(), 130) << fleet.out() << fleet.err();
  const std::string id = fleet_id_of(fleet.out());
  ASSERT_EQ(id.size(), 26u);
  auto doc = fleet_json(home, id);
  EXPECT_EQ(doc["status"], "interrupted");
  EXPECT_EQ(doc["exit_code"], 130);
  EXPECT_TRUE(valid_fleet_json(home / "fleets" / id / "fleet.json"));
  size_t done = 0, pending = 0;
  for (const auto& row : doc["runs"]) {
    if (row["status"] == "pending") {
      ++pending;
      EXPECT_TRUE(row["run_id"].is_null());
    } else {
      ++done;
      EXPECT_EQ(row["exit_code"], 0) << row.dump();  // it finished, it was not cut
    }
  }
  EXPECT_GE(done, 1u);
  EXPECT_GE(pending, 1u) << "every run finished before SIGINT was seen";
  EXPECT_NE(slurp(home / "fleets" / id / "fleet.md").find("casm resume --fleet-id " + id),
            std::string::npos);

  auto again = casm(home, {"resume", "--fleet-id", id});
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  doc = fleet_json(home, id);
  EXPECT_EQ(doc["status"], "completed");
  EXPECT_EQ(doc["exit_code"], 0);
  EXPECT_TRUE(valid_fleet_json(home / "fleets" / id / "fleet.json"));
  std::set<std::string> run_ids;
  for (const auto& row : doc["runs"]) {
    EXPECT_EQ(row["exit_code"], 0) << row.dump();
    run_ids.insert(row["run_id"].get<std::string>());
  }
  // No repository ran twice: one run dir per row, each named by its row.
  EXPECT_EQ(run_ids.size(), static_cast<size_t>(n));
  size_t run_dirs = 0;
  for (auto it = fs::directory_iterator(home / "runs"); it != fs::directory_iterator(); ++it) ++run_dirs;
  EXPECT_EQ(run_dirs, static_cast<size_t>(n));
  auto twice = casm(home, {"resume", "--fleet-id", id});
  EXPECT_EQ(twice.code, 0);
  EXPECT_NE(twice.out.find("nothing left to run"), std::string::npos) << twice.out;
}

TEST_F(fleet_fixture, AKilledFleetProcessResumesItsRunsAndRunsTheRestOnce) {
  const fs::path dir = tmp / "repos";
  const int n = 6;
  for (int i = 0; i < n; ++i) make_repo(dir / ("r" + std::to_string(i)), i, i % 2 == 0);
  // The kill seam SIGKILLs the whole fleet process right after the first
  // scan result of a run is logged: two runs are mid-way, the rest unstarted.
  auto killed = run_process({CASM_BINARY, "run", "--repos", dir.string(), "--parallel", "2"},
                            {{"CASM_HOME", home.string()}, {"CASM_TEST_KILL_AFTER", "review.completed"}});
  ASSERT_EQ(killed.code, 128 + SIGKILL) << killed.out << killed.err;
  const std::string id = fleet_id_of(killed.out);
  ASSERT_EQ(id.size(), 26u);
  auto ex = casm(home, {"explain", "--fleet-id", id, "--json"});
  EXPECT_EQ(json::parse(ex.out)["status"], "crashed");

  auto again = casm(home, {"resume", "--fleet-id", id});
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_EQ(again.out.find("\"artifacts\""), std::string::npos) << "a resumed run's summary is not fleet output";
  auto doc = fleet_json(home, id);
  EXPECT_EQ(doc["status"], "completed");
  EXPECT_TRUE(valid_fleet_json(home / "fleets" / id / "fleet.json"));
  std::set<std::string> run_ids;
  for (const auto& row : doc["runs"]) {
    EXPECT_EQ(row["exit_code"], 0) << row.dump();
    run_ids.insert(row["run_id"].get<std::string>());
    auto rep = casm(home, {"replay", "--run-id", row["run_id"].get<std::string>()});
    EXPECT_EQ(rep.code, 0) << rep.out << rep.err;
  }
  EXPECT_EQ(run_ids.size(), static_cast<size_t>(n));
  size_t run_dirs = 0, resumed = 0;
  for (auto it = fs::directory_iterator(home / "runs"); it != fs::directory_iterator(); ++it) {
    ++run_dirs;
    resumed += slurp(it->path() / "events.jsonl").find("\"type\":\"run.resumed\"") != std::string::npos;
  }
  EXPECT_EQ(run_dirs, static_cast<size_t>(n)) << "a started run was resumed, not started twice";
  EXPECT_GE(resumed, 1u);
}

}  // namespace
}  // namespace casm::itest
