// Proof mode end to end: the seed's acceptance (`--proof-mode true` on the
// noop template writes all four artifacts), the three JSON artifacts valid
// under the shipped schemas, and run_replay.sh itself run with sh: offline it
// proves the run with `casm replay`; with --rerun it runs casm again with the
// pinned settings and compares the outcome; a tampered outcome exits 6. No
// secret in the script. Real repositories, the real binary.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

// Assembled at run time, so this source holds nothing for a scanner to find.
const std::string planted_key = std::string("AKIA") + "Q2W3E4R5T6Y7U8I9";

class Proof : public testing::Test {
protected:
  temp_dir tmp{"casm-proof"};
  fs::path home = tmp / "home";
  git_repo repo{tmp / "repo"};
  std::string base;

  void SetUp() override {
    repo.write("README.md", "# demo\n");
    repo.write("app.py", "def add(a, b):\n    return a + b\n");
    base = repo.commit("init");
    repo.write("app.py", "import os\nkey = \"" + planted_key + "\"\nos.system(cmd)   \n# TODO: tidy\n");
    repo.write(".github/workflows/ci.yml", "on: push\njobs: {}\n");
    repo.commit("change");
  }

  fs::path artifacts(const std::string& id) const { return home / "runs" / id / "artifacts"; }

  // Runs the run's run_replay.sh with sh, from an unrelated directory, with
  // the casm binary named by $CASM (it is not on PATH here).
  result script(const std::string& id, const std::vector<std::string>& args = {}) const {
    std::vector<std::string> argv{"/bin/sh", (artifacts(id) / "run_replay.sh").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {{"CASM", CASM_BINARY}, {"CASM_HOME", "/nonexistent"}}, tmp.path());
  }
};

TEST_F(Proof, NoopWithProofModeTrueWritesTheFourSeedArtifactsValidUnderTheSchemas) {
  auto r = casm(home, {"run", "--template", "noop", "--repo", repo.path().string(),
                       "--proof-mode", "true"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = run_id_of(r.out);
  for (const char* name : {"policy_decisions.json", "routing_decisions.json", "cost_forecast.json",
                           "run_replay.sh"})
    EXPECT_TRUE(fs::exists(artifacts(id) / name)) << name;
  EXPECT_TRUE(valid_under_schema(shipped_schema("policy_decisions"),
                                 artifacts(id) / "policy_decisions.json"));
  EXPECT_TRUE(valid_under_schema(shipped_schema("routing_decisions"),
                                 artifacts(id) / "routing_decisions.json"));
  EXPECT_TRUE(valid_under_schema(shipped_schema("cost_forecast"),
                                 artifacts(id) / "cost_forecast.json"));
  // Nothing was scored, and the document says so instead of inventing a pass.
  const auto policy = nlohmann::json::parse(slurp(artifacts(id) / "policy_decisions.json"));
  ASSERT_EQ(policy["decisions"].size(), 1u);
  EXPECT_EQ(policy["decisions"][0]["status"], "skipped");
  EXPECT_EQ(policy["risk"]["score"], 0);

  struct stat st{};
  ASSERT_EQ(::stat((artifacts(id) / "run_replay.sh").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  auto syntax = run_process({"/bin/sh", "-n", (artifacts(id) / "run_replay.sh").string()});
  EXPECT_EQ(syntax.code, 0) << syntax.err;

  // Without the flag (or with =false) there is no script.
  for (const std::string flag : {"", "--proof-mode=false"}) {
    std::vector<std::string> args{"run", "--template", "noop", "--repo", repo.path().string()};
    if (!flag.empty()) args.push_back(flag);
    auto off = casm(home, args);
    ASSERT_EQ(off.code, 0) << off.err;
    EXPECT_FALSE(fs::exists(artifacts(run_id_of(off.out)) / "run_replay.sh")) << flag;
    EXPECT_FALSE(fs::exists(artifacts(run_id_of(off.out)) / "policy_decisions.json")) << flag;
  }
  auto bad = casm(home, {"run", "--template", "noop", "--repo", repo.path().string(),
                         "--proof-mode", "maybe"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--proof-mode"), std::string::npos) << bad.err;
}

TEST_F(Proof, TheScriptReplaysOfflineAndARerunReproducesTheAudit) {
  auto r = casm(home, {"run", "--repo", repo.path().string(), "--base", base, "--proof-mode",
                       "--routing", "quality_first"});
  // The change touches a workflow file and adds a key: gated or blocked.
  ASSERT_TRUE(r.code == 3 || r.code == 4) << r.code << r.out << r.err;
  const std::string id = run_id_of(r.out);
  const std::string text = slurp(artifacts(id) / "run_replay.sh");
  EXPECT_EQ(text.find(planted_key), std::string::npos);
  EXPECT_NE(text.find("--base '" + base + "'"), std::string::npos) << text;
  EXPECT_NE(text.find("--routing 'quality_first'"), std::string::npos) << text;
  EXPECT_NE(text.find("--ruleset 'default.devtools'"), std::string::npos) << text;
  EXPECT_NE(text.find("RECORDED_OUTCOME='template="), std::string::npos) << text;
  EXPECT_TRUE(valid_under_schema(shipped_schema("policy_decisions"),
                                 artifacts(id) / "policy_decisions.json"));

  // Offline: the script finds CASM_HOME from its own place and replays.
  auto replay = script(id);
  EXPECT_EQ(replay.code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("replay identical"), std::string::npos) << replay.out;

  // Live: a new run with the pinned settings has the same outcome.
  auto rerun = script(id, {"--rerun"});
  EXPECT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.out.find("rerun identical"), std::string::npos) << rerun.out;
  EXPECT_EQ(fs::directory_iterator(home / "runs") == fs::directory_iterator(), false);
  size_t runs = 0;
  for (const auto& e : fs::directory_iterator(home / "runs")) runs += e.is_directory() ? 1 : 0;
  EXPECT_EQ(runs, 2u);

  // A recorded outcome that no longer matches: the rerun says so, exit 6.
  std::string tampered = text;
  const auto at = tampered.find("findings=");
  ASSERT_NE(at, std::string::npos);
  tampered.replace(at, 9, "findings=9");
  spit(artifacts(id) / "run_replay.sh", tampered);
  auto differs = script(id, {"--rerun"});
  EXPECT_EQ(differs.code, 6) << differs.out << differs.err;
  EXPECT_NE(differs.err.find("rerun differs"), std::string::npos) << differs.err;

  auto unknown = script(id, {"--bogus"});
  EXPECT_EQ(unknown.code, 2);
}

TEST_F(Proof, TheTemplatesProofModeTurnsItOnAndAProofRunReplays) {
  const fs::path manifest = tmp / "proof-noop.yaml";
  std::string text = slurp(fs::path(CASM_SOURCE_DIR) / "config/templates/noop/manifest.yaml");
  const auto at = text.find("proof_mode: false");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 17, "proof_mode: true");
  spit(manifest, text);
  auto r = casm(home, {"run", "--template", manifest.string(), "--repo", repo.path().string()});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string id = run_id_of(r.out);
  EXPECT_TRUE(fs::exists(artifacts(id) / "run_replay.sh"));
  auto replay = casm(home, {"replay", "--run-id", id});
  EXPECT_EQ(replay.code, 0) << replay.out << replay.err;

  auto off = casm(home, {"run", "--template", manifest.string(), "--repo", repo.path().string(),
                         "--proof-mode=false"});
  ASSERT_EQ(off.code, 0) << off.err;
  EXPECT_FALSE(fs::exists(artifacts(run_id_of(off.out)) / "run_replay.sh"));
}

}  // namespace
}  // namespace casm::itest
