// The repo-auditor end to end: real repositories with planted content, the
// real binary, every artifact read back.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

#include "messages/codec/json_text.h"
#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

using nlohmann::json;

// Built at run time so that this source file holds no secret.
const std::string planted_key = std::string("AKIA") + "Q2W3E4R5T6Y7U8I9";

struct audit_fixture : ::testing::Test {
  temp_dir tmp;
  fs::path home = tmp / "home";
  git_repo repo{tmp / "repo"};
  std::string head;

  void SetUp() override {
    repo.write("app.py", "import os\nkey = \"" + planted_key + "\"\nos.system(cmd)\n# TODO: tidy\n");
    repo.write("notes.txt", "first\nsecond   \nlast");
    repo.write("docs/readme.md", "# docs\n");
    head = repo.commit("initial");
  }

  struct run_info {
    result r;
    std::string id;
    fs::path dir;
    json issues;
  };

  run_info audit(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "--repo", repo.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    run_info info;
    info.r = casm(home, args);
    info.id = run_id_of(info.r.out);
    info.dir = home / "runs" / info.id;
    auto text = slurp(info.dir / "artifacts" / "issues.json");
    if (!text.empty()) info.issues = json::parse(text);
    return info;
  }

  static std::set<std::string> locations(const json& issues) {
    std::set<std::string> out;
    for (const auto& f : issues["findings"])
      out.insert(f["rule_id"].get<std::string>() + " " + f["path"].get<std::string>() + ":" +
                 std::to_string(f["line"].get<int>()) + ":" + std::to_string(f["column"].get<int>()));
    return out;
  }

  result audit_path(const fs::path& p) { return casm(home, {"run", "--repo", p.string()}); }

  fs::path write_manifest(const std::string& extra_yaml, const std::string& commands_yaml = "") {
    auto path = tmp / ("manifest-" + std::to_string(++manifests) + ".yaml");
    spit(path, "version: 0.2\ntemplate:\n  id: audit-test\n  name: Audit test\nentrypoint:\n"
               "  workflow: repo_auditor_v1\nruntime:\n  sandbox:\n    allow_network: false\n"
               "    command_timeout_seconds: 2\n" + commands_yaml +
               "agents:\n  reviewer:\n    enabled: true\n  fixer:\n    enabled: true\n"
               "  validator:\n    enabled: true\n" + extra_yaml);
    return path;
  }
  int manifests = 0;
};

TEST_F(audit_fixture, FindsExactlyThePlantedIssuesAtExactPositions) {
  auto run = audit();
  ASSERT_EQ(run.r.code, 0) << run.r.out << run.r.err;
  EXPECT_EQ(locations(run.issues),
            (std::set<std::string>{"secret.aws_access_key_id app.py:2:8",
                                   "risky_call.os_system app.py:3:1",
                                   "todo.marker app.py:4:3",
                                   "whitespace.trailing notes.txt:2:7",
                                   "final_newline.missing notes.txt:3:5"}))
    << run.issues.dump(2);
  for (const auto& f : run.issues["findings"]) {
    EXPECT_EQ(f["fingerprint"].get<std::string>().size(), 64u);
    EXPECT_TRUE(f.contains("severity"));
  }
  EXPECT_EQ(run.issues["scope"]["head_commit"], head);
  EXPECT_EQ(run.issues["scope"]["mode"], "full");
  EXPECT_EQ(run.issues["scope"]["files_scanned"], 3);
  EXPECT_EQ(run.issues["summary"]["by_severity"]["high"], 1);

  auto sarif = json::parse(slurp(run.dir / "artifacts" / "report.sarif"));
  EXPECT_EQ(sarif["version"], "2.1.0");
  bool error_level = false;
  for (const auto& r : sarif["runs"][0]["results"])
    if (r["ruleId"] == "secret.aws_access_key_id") error_level = r["level"] == "error";
  EXPECT_TRUE(error_level);

  auto report = slurp(run.dir / "artifacts" / "report.md");
  EXPECT_NE(report.find("## Findings"), std::string::npos);
  EXPECT_NE(report.find(head), std::string::npos);
  EXPECT_NE(report.find("simulated"), std::string::npos);  // the offline provider's tokens
}

TEST_F(audit_fixture, ThePlantedSecretAppearsNowhereUnderCasmHome) {
  auto run = audit({"--write-branch"});
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  auto json_out = casm(home, {"explain", "--run-id", run.id, "--json"});
  size_t files = 0;
  for (auto it = fs::recursive_directory_iterator(home); it != fs::recursive_directory_iterator();
       ++it) {
    if (!it->is_regular_file()) continue;
    ++files;
    EXPECT_EQ(slurp(it->path()).find(planted_key), std::string::npos) << it->path();
  }
  EXPECT_GT(files, 5u);
  for (const auto* text : {&run.r.out, &run.r.err, &json_out.out})
    EXPECT_EQ(text->find(planted_key), std::string::npos);
  // The masked preview is there instead.
  bool masked = false;
  for (const auto& f : run.issues["findings"])
    if (f["rule_id"] == "secret.aws_access_key_id")
      masked = f["preview"].get<std::string>().find("****") != std::string::npos;
  EXPECT_TRUE(masked);
}

TEST_F(audit_fixture, PatchAppliesAndTheCheckoutIsUntouched) {
  auto status_before = repo.git({"status", "--porcelain", "--ignored"}).out;
  auto refs_before = repo.git({"for-each-ref"}).out;
  auto objects_before = repo.git({"count-objects", "-v"}).out;
  auto notes_before = slurp(repo.path() / "notes.txt");
  auto run = audit();
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  EXPECT_EQ(repo.git({"status", "--porcelain", "--ignored"}).out, status_before);
  EXPECT_EQ(repo.git({"for-each-ref"}).out, refs_before);
  EXPECT_EQ(repo.git({"rev-parse", "HEAD"}).out, head + "\n");
  EXPECT_EQ(repo.git({"count-objects", "-v"}).out, objects_before);  // nothing written
  EXPECT_EQ(slurp(repo.path() / "notes.txt"), notes_before);

  const auto patch = run.dir / "artifacts" / "patch.diff";
  ASSERT_TRUE(fs::exists(patch));
  git_repo copy(tmp / "copy", false);
  ASSERT_EQ(run_process({"git", "clone", "-q", repo.path().string(), copy.path().string()}).code, 0);
  auto check = copy.git({"apply", "--check", patch.string()});
  EXPECT_EQ(check.code, 0) << check.err;
  ASSERT_EQ(copy.git({"apply", patch.string()}).code, 0);
  EXPECT_EQ(slurp(copy.path() / "notes.txt"), "first\nsecond\nlast\n");
  // The secret's line and the risky call are not the fixer's to touch.
  EXPECT_EQ(slurp(copy.path() / "app.py"), slurp(repo.path() / "app.py"));
}

// The fixer's tree id (recorded in fix.completed, made in memory without
// --write-branch) is the tree git itself writes for the patched checkout,
// with fixes in nested directories, and the tree of the --write-branch commit.
TEST_F(audit_fixture, FixedTreeIsTheTreeGitWritesForThePatchedCheckout) {
  repo.write("src/deep/util.txt", "alpha  \nbeta\n");
  repo.write("src/top.txt", "gamma\t\n");
  repo.write("src/deep/other/keep.txt", "untouched\n");
  repo.commit("nested");
  const auto new_tree = [&](const run_info& run) {
    for (const auto& line : lines_of(run.dir / "events.jsonl")) {
      if (line.find("\"type\":\"fix.completed\"") == std::string::npos) continue;
      json p = json::parse(line)["payload"];
      if (p.contains("blob")) p = json::parse(slurp(run.dir / "blobs" / p["blob"].get<std::string>()));
      return p.value("new_tree", "");
    }
    return std::string();
  };
  auto run = audit();
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  git_repo copy(tmp / "copy", false);
  ASSERT_EQ(run_process({"git", "clone", "-q", repo.path().string(), copy.path().string()}).code, 0);
  ASSERT_EQ(copy.git({"apply", (run.dir / "artifacts" / "patch.diff").string()}).code, 0);
  EXPECT_EQ(slurp(copy.path() / "src" / "deep" / "util.txt"), "alpha\nbeta\n");
  ASSERT_EQ(copy.git({"add", "-A"}).code, 0);
  const auto git_tree = copy.git({"write-tree"}).out;
  ASSERT_EQ(git_tree.size(), 41u);
  EXPECT_EQ(new_tree(run) + "\n", git_tree);
  EXPECT_NE(git_tree, repo.git({"rev-parse", "HEAD^{tree}"}).out);

  auto branch_run = audit({"--write-branch"});
  ASSERT_EQ(branch_run.r.code, 0) << branch_run.r.err;
  EXPECT_EQ(repo.git({"rev-parse", "casm/" + branch_run.id + "^{tree}"}).out, git_tree);
  EXPECT_EQ(new_tree(branch_run) + "\n", git_tree);
}

TEST_F(audit_fixture, WriteBranchCommitsTheFixWithoutTouchingHeadIndexOrWorkTree) {
  auto index_before = slurp(repo.path() / ".git" / "index");
  auto run = audit({"--write-branch"});
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  const std::string branch = "casm/" + run.id;
  EXPECT_EQ(repo.git({"rev-parse", "HEAD"}).out, head + "\n");
  EXPECT_EQ(repo.git({"symbolic-ref", "HEAD"}).out, "refs/heads/main\n");
  EXPECT_EQ(slurp(repo.path() / ".git" / "index"), index_before);
  EXPECT_EQ(repo.git({"status", "--porcelain"}).out, "");
  auto parent = repo.git({"rev-parse", branch + "^"});
  EXPECT_EQ(parent.out, head + "\n") << parent.err;
  EXPECT_EQ(repo.git({"show", branch + ":notes.txt"}).out, "first\nsecond\nlast\n");
  auto changed = repo.git({"diff", "--name-only", "HEAD", branch});
  EXPECT_EQ(changed.out, "notes.txt\n");
}

TEST_F(audit_fixture, SecretLinesAreNeverFixedAndMaskedInPatchContext) {
  // Trailing whitespace on the secret's own line and on its neighbour.
  repo.write("app.py", "import os   \nkey = \"" + planted_key + "\"   \nos.system(cmd)\n");
  repo.commit("whitespace near a secret");
  auto run = audit();
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  auto patch = slurp(run.dir / "artifacts" / "patch.diff");
  EXPECT_EQ(patch.find(planted_key), std::string::npos);
  EXPECT_NE(patch.find("masked"), std::string::npos) << patch;
  EXPECT_NE(patch.find("-import os   "), std::string::npos) << patch;
  auto report = slurp(run.dir / "artifacts" / "report.md");
  EXPECT_NE(report.find("secret_line"), std::string::npos);  // left to a human
}

TEST_F(audit_fixture, SensitivePathsAndDependencyFilesAreSuggestionsNotFixes) {
  repo.write(".github/workflows/ci.yml", "on: push   \n");
  repo.write("package.json", "{\"name\": \"x\"}   \n");
  repo.commit("sensitive files");
  auto run = audit();
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  auto patch = slurp(run.dir / "artifacts" / "patch.diff");
  EXPECT_EQ(patch.find("ci.yml"), std::string::npos);
  EXPECT_EQ(patch.find("package.json"), std::string::npos);
  auto report = slurp(run.dir / "artifacts" / "report.md");
  EXPECT_NE(report.find("sensitive_path"), std::string::npos);
  EXPECT_NE(report.find("dependency_file"), std::string::npos);
}

TEST_F(audit_fixture, AllowlistsKeepKnownFalsePositivesQuiet) {
  repo.write("vendor/lib.py", "eval(x)\n");
  repo.write("src/ok.py", "eval(y)  # casm:allow risky_call.eval\n");
  repo.commit("allowlist material");
  auto first = audit();
  ASSERT_EQ(first.r.code, 0);
  std::string todo_fp;
  for (const auto& f : first.issues["findings"])
    if (f["rule_id"] == "todo.marker") todo_fp = f["fingerprint"];
  ASSERT_FALSE(todo_fp.empty());
  EXPECT_EQ(first.issues["scope"]["suppressed"]["inline"], 1) << first.issues["scope"].dump();

  auto manifest = write_manifest("analyze:\n  allowlist:\n    paths: [\"vendor/**\"]\n"
                                 "    fingerprints: [\"" + todo_fp + "\"]\n");
  auto run = audit({"--template", manifest.string()});
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  auto locs = locations(run.issues);
  for (const auto& l : locs) {
    EXPECT_EQ(l.find("vendor/"), std::string::npos) << l;
    EXPECT_EQ(l.find("todo.marker"), std::string::npos) << l;
    EXPECT_EQ(l.find("src/ok.py"), std::string::npos) << l;
  }
  EXPECT_EQ(run.issues["scope"]["suppressed"]["allowlist"], 1);
  bool vendor_skipped = false;
  for (const auto& s : run.issues["scope"]["skipped"])
    vendor_skipped = vendor_skipped || (s["path"] == "vendor/lib.py" && s["reason"] == "allowlisted");
  EXPECT_TRUE(vendor_skipped);
}

TEST_F(audit_fixture, BaselineWrittenByOneRunSilencesTheNext) {
  auto baseline = tmp / "baseline.json";
  auto first = audit({"--write-baseline", baseline.string()});
  ASSERT_EQ(first.r.code, 0) << first.r.err;
  ASSERT_TRUE(fs::exists(baseline));
  EXPECT_EQ(slurp(baseline).find(planted_key), std::string::npos);
  auto second = audit({"--baseline", baseline.string(), "--fail-on", "info"});
  EXPECT_EQ(second.r.code, 0) << second.r.err;
  EXPECT_TRUE(second.issues["findings"].empty()) << second.issues.dump(2);
  EXPECT_EQ(second.issues["scope"]["suppressed"]["baseline"],
            first.issues["findings"].size());
  // A new finding is still reported.
  repo.write("new.py", "eval(z)\n");
  repo.commit("new risk");
  auto third = audit({"--baseline", baseline.string()});
  EXPECT_EQ(locations(third.issues), (std::set<std::string>{"risky_call.eval new.py:1:1"}));
}

TEST_F(audit_fixture, FailOnTurnsFindingsIntoExit4) {
  auto high = audit({"--fail-on", "high"});
  EXPECT_EQ(high.r.code, 4) << high.r.err;
  EXPECT_NE(high.r.err.find("--fail-on high"), std::string::npos) << high.r.err;
  auto state = json::parse(slurp(high.dir / "state.json"));
  EXPECT_EQ(state["status"], "blocked");
  EXPECT_EQ(state["exit_code"], 4);
  EXPECT_TRUE(fs::exists(high.dir / "artifacts" / "report.md"));
  // Without --fail-on, findings alone do not fail a run.
  EXPECT_EQ(audit().r.code, 0);
  // A threshold above every finding passes.
  git_repo clean(tmp / "clean");
  clean.write("a.txt", "# TODO: later\n");
  clean.commit("todo only");
  auto r = casm(home, {"run", "--repo", clean.path().string(), "--fail-on", "high"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(audit_fixture, DiffModeAuditsOnlyAddedLines) {
  repo.write("app.py", "import os\nkey = \"" + planted_key +
                         "\"\nos.system(cmd)\n# TODO: tidy\nx = 1\n# FIXME: new one\n");
  auto second = repo.commit("add a FIXME");
  auto run = audit({"--base", head});
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  EXPECT_EQ(run.issues["scope"]["mode"], "diff");
  EXPECT_EQ(run.issues["scope"]["base_commit"], head);
  EXPECT_EQ(locations(run.issues), (std::set<std::string>{"todo.marker app.py:6:3"}));
}

TEST_F(audit_fixture, HistoryModeFindsASecretRemovedSinceWithItsCommit) {
  git_repo h(tmp / "history");
  h.write("a.txt", "hello\n");
  h.commit("one");
  h.write("cfg.ini", "aws = " + planted_key + "\n");
  auto leaked = h.commit("oops");
  h.write("cfg.ini", "aws = from-env\n");
  h.commit("remove it");
  auto full = casm(home, {"run", "--repo", h.path().string(), "--json"});
  auto full_issues = json::parse(slurp(home / "runs" / json::parse(full.out)["run_id"].get<std::string>() /
                                       "artifacts" / "issues.json"));
  for (const auto& f : full_issues["findings"]) EXPECT_NE(f["rule_id"], "secret.aws_access_key_id");
  auto hist = casm(home, {"run", "--repo", h.path().string(), "--history", "--json"});
  ASSERT_EQ(hist.code, 0) << hist.err;
  auto id = json::parse(hist.out)["run_id"].get<std::string>();
  auto issues = json::parse(slurp(home / "runs" / id / "artifacts" / "issues.json"));
  EXPECT_EQ(issues["scope"]["mode"], "history");
  EXPECT_EQ(issues["scope"]["commits_scanned"], 3);
  int secrets = 0;
  for (const auto& f : issues["findings"])
    if (f["rule_id"] == "secret.aws_access_key_id") {
      ++secrets;
      EXPECT_EQ(f["commit"], leaked);
      EXPECT_EQ(f["path"], "cfg.ini");
      EXPECT_EQ(f["line"], 1);
    }
  EXPECT_EQ(secrets, 1);  // reported once, at the commit that added it
}

TEST_F(audit_fixture, BadInputExits2WithOneSentence) {
  fs::create_directories(tmp / "plain");
  auto r1 = audit_path(tmp / "plain");
  EXPECT_EQ(r1.code, 2);
  EXPECT_NE(r1.err.find("is not a git repository"), std::string::npos);
  git_repo empty(tmp / "empty");
  auto r2 = audit_path(empty.path());
  EXPECT_EQ(r2.code, 2);
  EXPECT_NE(r2.err.find("is empty"), std::string::npos);
  auto r3 = casm(home, {"run", "--repo", repo.path().string(), "--base", "nope"});
  EXPECT_EQ(r3.code, 2);
  EXPECT_NE(r3.err.find("unknown revision 'nope'"), std::string::npos) << r3.err;
  auto r4 = casm(home, {"run", "--repo", repo.path().string(), "--baseline", (tmp / "missing").string()});
  EXPECT_EQ(r4.code, 2);
  EXPECT_NE(r4.err.find("baseline file"), std::string::npos);
}

TEST_F(audit_fixture, CorruptObjectFailsThatFileNotTheRun) {
  auto oid = repo.git({"rev-parse", "HEAD:docs/readme.md"}).out.substr(0, 40);
  auto obj = repo.path() / ".git" / "objects" / oid.substr(0, 2) / oid.substr(2);
  ASSERT_TRUE(fs::exists(obj));
  fs::permissions(obj, fs::perms::owner_all, fs::perm_options::add);
  spit(obj, "this is not a zlib stream");
  auto run = audit();
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  bool reported = false;
  for (const auto& s : run.issues["scope"]["skipped"])
    if (s["path"] == "docs/readme.md") reported = s["reason"] == "corrupt";
  EXPECT_TRUE(reported) << run.issues["scope"].dump(2);
  EXPECT_EQ(locations(run.issues).count("secret.aws_access_key_id app.py:2:8"), 1u);
}

TEST_F(audit_fixture, NonUtf8PathsSurviveIntoEveryArtifact) {
  const std::string name = "caf\xe9-\xff.py";
  repo.write(name, "# TODO: bytes\n");
  repo.commit("latin-1 name");
  auto run = audit();
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  bool found = false;
  for (const auto& f : run.issues["findings"])
    if (f.contains("path_b64")) {
      EXPECT_EQ(codec::get_bytes(f, "path"), name);
      found = true;
    }
  EXPECT_TRUE(found);
  auto sarif = slurp(run.dir / "artifacts" / "report.sarif");
  EXPECT_NE(sarif.find("caf%E9-%FF.py"), std::string::npos);
  auto report = slurp(run.dir / "artifacts" / "report.md");
  EXPECT_NE(report.find("caf\\xe9-\\xff.py"), std::string::npos);
  EXPECT_EQ(casm(home, {"explain", "--run-id", run.id}).code, 0);
}

TEST_F(audit_fixture, BinaryAndOversizedFilesAreSkippedAndSaidSo) {
  repo.write("blob.bin", std::string("\x00\x01\x02TODO\x00", 8));
  repo.write("big.txt", std::string(5000, 'a') + "\n");
  repo.commit("binary and big");
  auto manifest = write_manifest("analyze:\n  max_file_bytes: 4096\n");
  auto run = audit({"--template", manifest.string()});
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  std::map<std::string, std::string> reasons;
  for (const auto& s : run.issues["scope"]["skipped"]) reasons[s["path"]] = s["reason"];
  EXPECT_EQ(reasons["blob.bin"], "binary");
  EXPECT_EQ(reasons["big.txt"], "oversized");
  EXPECT_EQ(locations(run.issues).count("oversized.file big.txt:0:0"), 1u);
  auto report = slurp(run.dir / "artifacts" / "report.md");
  EXPECT_NE(report.find("oversized"), std::string::npos);
}

TEST_F(audit_fixture, RepositoryHooksAndFiltersNeverRun) {
  auto marker = tmp / "pwned";
  auto hook = repo.path() / ".git" / "hooks" / "post-checkout";
  spit(hook, "#!/bin/sh\ntouch " + marker.string() + "\n");
  fs::permissions(hook, fs::perms::owner_all);
  repo.git({"config", "filter.evil.smudge", "touch " + marker.string() + "; cat"});
  repo.git({"config", "filter.evil.clean", "cat"});
  repo.write(".gitattributes", "*.txt filter=evil\n");
  repo.write("package.json", "{\"name\":\"t\",\"scripts\":{\"test\":\"node -e 0\"}}\n");
  repo.commit("hooks and filters");
  fs::remove(marker);
  auto run = audit({"--write-branch"});
  ASSERT_EQ(run.r.code, 0) << run.r.err;
  EXPECT_FALSE(fs::exists(marker));
}

// --- validation commands ---------------------------------------------------

TEST_F(audit_fixture, ApplicableTestCommandRunsSandboxedOnThePatchedTree) {
  // The test fails unless notes.txt ends with a newline: only the patched
  // tree passes, so a pass proves the validator ran on head + patch.
  repo.write("package.json",
             "{\"name\":\"t\",\"scripts\":{\"test\":\"node check.js\"}}\n");
  repo.write("check.js",
             "const s = require('fs').readFileSync('notes.txt', 'utf8');\n"
             "if (!s.endsWith('\\n')) { console.error('no final newline'); process.exit(1); }\n"
             "console.log('ok');\n");
  repo.commit("a test");
  auto manifest = write_manifest("", "    allow_commands: [\"npm test\"]\n");
  auto run = audit({"--template", manifest.string()});
  ASSERT_EQ(run.r.code, 0) << run.r.out << run.r.err;
  auto report = slurp(run.dir / "artifacts" / "report.md");
  EXPECT_NE(report.find("| `npm test` | passed | 0 |"), std::string::npos) << report;
  EXPECT_NE(report.find("VERIFIED"), std::string::npos);
  // No worktree is left behind in the temp dir.
  for (const auto& e : fs::directory_iterator(fs::temp_directory_path()))
    EXPECT_EQ(e.path().filename().string().find("casm-wt-" + run.id), std::string::npos);
}

TEST_F(audit_fixture, NoApplicableCommandMeansUnverifiedNotFailed) {
  auto run = audit();
  ASSERT_EQ(run.r.code, 0);
  auto report = slurp(run.dir / "artifacts" / "report.md");
  EXPECT_NE(report.find("UNVERIFIED"), std::string::npos);
}

TEST_F(audit_fixture, CommandNotOnTheAllowlistIsRefusedAndRecorded) {
  auto manifest = write_manifest("validate:\n  commands: [\"make test\"]\n",
                                 "    allow_commands: [\"npm test\"]\n");
  auto run = audit({"--template", manifest.string()});
  EXPECT_EQ(run.r.code, 1) << run.r.err;
  auto state = json::parse(slurp(run.dir / "state.json"));
  EXPECT_EQ(state["failure_kind"], "policy_rejected");
  auto report = slurp(run.dir / "artifacts" / "report.md");
  EXPECT_NE(report.find("refused"), std::string::npos) << report;
  bool recorded = false;
  for (const auto& l : lines_of(run.dir / "events.jsonl"))
    recorded = recorded || (l.find("validate.completed") != std::string::npos &&
                            l.find("refused") != std::string::npos);
  EXPECT_TRUE(recorded);
}

TEST_F(audit_fixture, ShellMetacharactersAreRefusedEvenWhenAllowlisted) {
  auto manifest = write_manifest("validate:\n  commands: [\"true; touch /tmp/casm-x\"]\n",
                                 "    allow_commands: [\"true; touch /tmp/casm-x\"]\n");
  auto run = audit({"--template", manifest.string()});
  EXPECT_EQ(run.r.code, 1);
  auto report = slurp(run.dir / "artifacts" / "report.md");
  EXPECT_NE(report.find("refused"), std::string::npos);
}

TEST_F(audit_fixture, TimedOutCommandStillProducesAReport) {
  auto manifest = write_manifest("validate:\n  commands: [\"sleep 30\"]\n",
                                 "    allow_commands: [\"sleep 30\"]\n");
  auto run = audit({"--template", manifest.string()});
  EXPECT_EQ(run.r.code, 1) << run.r.err;
  auto state = json::parse(slurp(run.dir / "state.json"));
  EXPECT_EQ(state["status"], "failed");
  EXPECT_EQ(state["failure_kind"], "validation_command");
  auto report = slurp(run.dir / "artifacts" / "report.md");
  EXPECT_NE(report.find("timed_out"), std::string::npos) << report;
  EXPECT_EQ(casm(home, {"verify-log", "--run-id", run.id}).code, 0);
}

TEST(AuditShapes, BareRepositoryAndShallowCloneAreAudited) {
  temp_dir tmp;
  git_repo src(tmp / "src");
  src.write("a.py", "eval(x)\n");
  src.commit("one");
  src.write("b.py", "# TODO\n");
  src.commit("two");
  auto bare = tmp / "bare.git";
  ASSERT_EQ(run_process({"git", "clone", "-q", "--bare", src.path().string(), bare.string()}).code, 0);
  auto shallow = tmp / "shallow";
  ASSERT_EQ(run_process({"git", "clone", "-q", "--depth", "1", "file://" + src.path().string(),
                         shallow.string()}).code, 0);
  for (const auto& path : {bare, shallow}) {
    for (const char* mode : {"", "--history"}) {
      std::vector<std::string> args = {"run", "--repo", path.string(), "--json"};
      if (*mode) args.push_back(mode);
      auto r = casm(tmp / "home", args);
      ASSERT_EQ(r.code, 0) << path << " " << mode << ": " << r.err;
      auto id = json::parse(r.out)["run_id"].get<std::string>();
      auto issues = json::parse(slurp(tmp / "home" / "runs" / id / "artifacts" / "issues.json"));
      std::set<std::string> rules;
      for (const auto& f : issues["findings"]) rules.insert(f["rule_id"]);
      EXPECT_TRUE(rules.count("risky_call.eval")) << path << " " << mode;
    }
  }
}

}  // namespace
}  // namespace casm::itest
