// Crash and resume: a run killed with SIGKILL at chosen points keeps a valid
// log up to its last complete record, and `casm resume` finishes it without
// redoing recorded side effects, with the same result as an uninterrupted run.
#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

using nlohmann::json;

struct crash_fixture : ::testing::TestWithParam<const char*> {
  temp_dir tmp;
  fs::path home = tmp / "home";
  git_repo repo{tmp / "repo"};

  void SetUp() override {
    repo.write("a.py", "eval(x)   \n# TODO: later\n");
    repo.write("b.txt", "no newline at the end");
    repo.write("package.json", "{\"name\":\"t\",\"scripts\":{\"test\":\"node -e 0\"}}\n");
    repo.commit("initial");
  }

  result cli(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    return casm(home, args, std::move(env));
  }

  static json findings_of(const fs::path& run_dir) {
    auto doc = json::parse(slurp(run_dir / "artifacts" / "issues.json"));
    json out = json::array();
    for (const auto& f : doc["findings"])
      out.push_back({f["rule_id"], f["path"], f["line"], f["column"], f["fingerprint"]});
    return out;
  }
};

TEST_P(crash_fixture, KilledRunResumesToTheSameResult) {
  auto clean = cli({"run", "--repo", repo.path().string(), "--json"});
  ASSERT_EQ(clean.code, 0) << clean.err;
  const auto clean_dir = home / "runs" / json::parse(clean.out)["run_id"].get<std::string>();

  auto effects = tmp / "effects.log";
  auto killed = cli({"run", "--repo", repo.path().string()},
                    {{"CASM_TEST_KILL_AFTER", GetParam()}, {"CASM_TEST_EFFECT_LOG", effects.string()}});
  ASSERT_EQ(killed.code, 128 + 9) << killed.out << killed.err;  // SIGKILL
  auto id = run_id_of(killed.out);
  if (id.empty()) {  // the summary was never printed: find the newest run
    for (const auto& e : fs::directory_iterator(home / "runs"))
      if (e.path() != clean_dir) id = e.path().filename().string();
  }
  const auto dir = home / "runs" / id;
  // The log verifies up to its last complete record; the run is a crashed
  // `running` run with no live holder.
  EXPECT_EQ(cli({"verify-log", "--run-id", id}).code, 0);
  // Stage boundaries are not durable points. An offline run's first ones
  // are around its validation (it runs commands): the request before it is
  // dispatched, the reply once recorded. So the head is the validation's
  // reply if the run got that far, else the head the run was created with.
  uint64_t durable = 0;
  for (const auto& line : lines_of(dir / "events.jsonl")) {
    auto ev = json::parse(line);
    if (ev["type"] == "validate.completed") durable = ev["seq"];
  }
  EXPECT_EQ(json::parse(slurp(dir / "state.json"))["head"]["seq"], durable);
  auto runs = cli({"runs"});
  EXPECT_NE(runs.out.find("crashed"), std::string::npos) << runs.out;
  // A torn last line, as a crash mid-append leaves it.
  auto log = slurp(dir / "events.jsonl");
  spit(dir / "events.jsonl", log + "{\"kind\":\"output\",\"pay");
  const size_t effects_before = lines_of(effects).size();

  auto resumed = cli({"resume", "--run-id", id}, {{"CASM_TEST_EFFECT_LOG", effects.string()}});
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(json::parse(slurp(dir / "state.json"))["status"], "succeeded");
  EXPECT_EQ(cli({"verify-log", "--run-id", id}).code, 0);
  EXPECT_EQ(slurp(dir / "events.jsonl").substr(0, log.size()), log);  // nothing valid lost
  EXPECT_EQ(findings_of(dir), findings_of(clean_dir));
  // Effects already answered in the log were not redone.
  std::map<std::string, int> redone;
  auto all = lines_of(effects);
  for (size_t i = effects_before; i < all.size(); ++i) ++redone[all[i]];
  for (const auto& line : std::vector<std::string>(all.begin(), all.begin() + effects_before)) {
    (void)line;
  }
  if (std::string(GetParam()).rfind("review.completed", 0) == 0 ||
      std::string(GetParam()).rfind("fix.", 0) == 0) {
    EXPECT_EQ(redone["ingest ingest.requested"], 0);
  }
  auto replay = cli({"replay", "--run-id", id});
  EXPECT_EQ(replay.code, 0) << replay.out << replay.err;
}

// A power loss, as opposed to a SIGKILL: blobs and artifacts are written
// without a sync of their own and reach the disk at the run's next durable
// point, so past state.json's head a record may name a blob or an artifact
// that never arrived. Simulated here by removing or garbling them after a
// kill past the last durable point: resume cuts the log at the first such
// record and recomputes from there, to the clean run's result. At or before
// the head, the same damage is tampering and resume refuses it.
TEST_F(crash_fixture, APowerLossPastTheDurableHeadIsCutAndRecomputed) {
  auto clean = cli({"run", "--repo", repo.path().string(), "--json"});
  ASSERT_EQ(clean.code, 0) << clean.err;
  const auto clean_dir = home / "runs" / json::parse(clean.out)["run_id"].get<std::string>();

  // A run SIGKILLed right after its report: past its last durable point
  // (its validation), so the report's records are an unflushed tail.
  auto killed_run = [&] {
    auto killed = cli({"run", "--repo", repo.path().string()},
                      {{"CASM_TEST_KILL_AFTER", "report.completed"}});
    EXPECT_EQ(killed.code, 128 + 9) << killed.out << killed.err;
    for (const auto& e : fs::directory_iterator(home / "runs"))
      if (json::parse(slurp(e.path() / "state.json"))["status"] == "running") return e.path();
    return fs::path();
  };
  auto head_of = [](const fs::path& dir) {
    return json::parse(slurp(dir / "state.json"))["head"]["seq"].get<uint64_t>();
  };
  auto record_of = [](const fs::path& dir, const std::string& type) {
    for (const auto& line : lines_of(dir / "events.jsonl"))
      if (auto ev = json::parse(line); ev["type"] == type) return ev;
    return json();
  };
  auto resume_cut_at = [&](const fs::path& dir, const json& rec, const std::string& why) {
    auto resumed = cli({"resume", "--run-id", dir.filename().string()});
    EXPECT_EQ(resumed.code, 0) << resumed.out << resumed.err;
    EXPECT_NE(resumed.err.find("from seq " + std::to_string(rec["seq"].get<uint64_t>()) +
                               " on were never made durable (" + why),
              std::string::npos)
      << resumed.err;
    EXPECT_EQ(cli({"verify-log", "--run-id", dir.filename().string()}).code, 0);
    auto replay = cli({"replay", "--run-id", dir.filename().string()});
    EXPECT_EQ(replay.code, 0) << replay.out << replay.err;
  };

  // 1. The report's request names a blob that is gone: cut at that record.
  {
    const auto dir = killed_run();
    ASSERT_FALSE(dir.empty());
    const auto req = record_of(dir, "report.requested");
    ASSERT_TRUE(req["payload"].contains("blob")) << req.dump();
    ASSERT_GT(req["seq"].get<uint64_t>(), head_of(dir));
    fs::remove(dir / "blobs" / req["payload"]["blob"].get<std::string>());
    spit(dir / "artifacts" / "issues.json", "{\"torn");
    resume_cut_at(dir, req, "blob ");
    EXPECT_EQ(findings_of(dir), findings_of(clean_dir));
  }
  // 2. The blobs arrived but an artifact the report announced did not:
  //    cut at report.completed, the report is rendered again.
  {
    const auto dir = killed_run();
    ASSERT_FALSE(dir.empty());
    const auto rendered = slurp(dir / "artifacts" / "report.sarif");
    spit(dir / "artifacts" / "report.sarif", "");
    resume_cut_at(dir, record_of(dir, "report.completed"), "artifact report.sarif");
    EXPECT_TRUE(slurp(dir / "artifacts" / "report.sarif") == rendered);  // rendered again, the same
  }
  // 3. At or before the durable head a missing blob is not a lost tail.
  {
    const auto dir = killed_run();
    ASSERT_FALSE(dir.empty());
    const auto started = record_of(dir, "run.started");
    ASSERT_TRUE(started["payload"].contains("blob"));
    ASSERT_LE(started["seq"].get<uint64_t>(), head_of(dir));
    fs::remove(dir / "blobs" / started["payload"]["blob"].get<std::string>());
    auto resumed = cli({"resume", "--run-id", dir.filename().string()});
    EXPECT_EQ(resumed.code, 6) << resumed.out << resumed.err;
    EXPECT_NE(resumed.err.find("is missing"), std::string::npos) << resumed.err;
  }
}

INSTANTIATE_TEST_SUITE_P(CrashPoints, crash_fixture,
                         ::testing::Values("run.started", "ingest.completed", "review.requested",
                                           "review.completed:2", "fix.completed",
                                           "validate.requested", "report.requested"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace casm::itest
