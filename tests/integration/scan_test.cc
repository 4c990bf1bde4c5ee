// `casm scan` end to end with the real binary: planted files in a temp dir,
// exact findings at exact lines, exit codes, suppression, and no secret in
// any output.
//
// The planted AWS key is built at run time from split strings, so this
// source holds no secret for a scanner (CASM's own included) to find.
#include <gtest/gtest.h>

#include <unistd.h>

#include <set>
#include <tuple>

#include "messages/codec/json_text.h"
#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

using nlohmann::json;

const std::string key_body = "Z7Q2W9X4" + std::string("V6B3N8M5");
const std::string aws_key = "AK" + std::string("IA") + key_body;
const std::string todo = "TO" + std::string("DO");

// src/app.js: a key on line 2, a TODO on line 3, trailing blanks on line 4.
const std::string app_js = "const region = \"us-east-1\";\n"
                           "const key = \"" + aws_key + "\";\n"
                           "// " + todo + ": rotate the key\n"
                           "const done = true;   \n";

using where = std::tuple<std::string, std::string, int, int, int>;  // rule, path, line, col, end

std::vector<where> located(const json& doc) {
  std::vector<where> out;
  for (const auto& f : doc["findings"])
    out.emplace_back(f["rule_id"], f["path"], f["line"], f["column"], f["end_column"]);
  return out;
}

struct ScanTest : ::testing::Test {
  temp_dir tmp{"casm-scan"};
  fs::path home = tmp / "home";
  fs::path tree = tmp / "tree";

  void SetUp() override { plant("src/app.js", app_js); }

  void plant(const std::string& rel, const std::string& bytes) {
    fs::create_directories((tree / rel).parent_path());
    spit(tree / rel, bytes);
  }

  result scan(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"scan", tree.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return casm(home, args);
  }

  json scan_json(std::vector<std::string> extra = {}, int expect_code = 0) {
    extra.push_back("--json");
    auto r = scan(extra);
    EXPECT_EQ(r.code, expect_code) << r.err;
    return json::parse(r.out);
  }
};

TEST_F(ScanTest, JsonHasExactFindingsAtExactLines) {
  const json doc = scan_json();
  EXPECT_EQ(located(doc), (std::vector<where>{
                            {"secret.aws_access_key_id", "src/app.js", 2, 14, 34},
                            {"todo.marker", "src/app.js", 3, 4, 8},
                            {"whitespace.trailing", "src/app.js", 4, 19, 22},
                          }));
  EXPECT_EQ(doc["schema_version"], "1");
  EXPECT_EQ(doc["tool"]["name"], "casm");
  EXPECT_EQ(doc["tool"]["rule_pack_hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(doc["scope"]["mode"], "files");
  EXPECT_EQ(doc["scope"]["files_scanned"], 1);
  EXPECT_EQ(doc["scope"]["bytes_scanned"], app_js.size());
  EXPECT_EQ(doc["summary"]["by_severity"],
            (json{{"high", 1}, {"medium", 0}, {"low", 0}, {"info", 2}}));
  EXPECT_EQ(doc["findings"][0]["preview"], "const key = \"AKIA****(20 chars)\";");
  EXPECT_EQ(doc["findings"][0]["secret"], true);
}

TEST_F(ScanTest, TextOutputOneLinePerFindingAndSummary) {
  auto r = scan();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "src/app.js:2:14: high secret.aws_access_key_id An AWS access key id is committed.  "
            "[const key = \"AKIA****(20 chars)\";]\n"
            "src/app.js:3:4: info todo.marker A " + todo +
            "/FIXME/XXX/HACK marker is left in the code.  [// " + todo + ": rotate the key]\n"
            "src/app.js:4:19: info whitespace.trailing The line ends with spaces or tabs.  "
            "[const done = true;]\n"
            "3 findings: 1 high, 0 medium, 0 low, 2 info; 1 file, " +
              std::to_string(app_js.size()) +
              " bytes scanned; 0 skipped; suppressed: 0 inline, 0 allowlist, 0 baseline\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(ScanTest, SingleFileKeepsThePathAsGiven) {
  auto r = casm(home, {"scan", (tree / "src/app.js").string(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["findings"][0]["path"], (tree / "src/app.js").string());
}

TEST_F(ScanTest, FailOnHighExits4) {
  auto r = scan({"--fail-on", "high"});
  EXPECT_EQ(r.code, 4) << r.out << r.err;
}

TEST_F(ScanTest, FailOnHighWithOnlyInfoFindingsExits0) {
  fs::remove(tree / "src/app.js");
  plant("notes.txt", "// " + todo + " later\n");
  auto r = scan({"--fail-on", "high"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("1 finding: 0 high, 0 medium, 0 low, 1 info"), std::string::npos)
      << r.out;
  EXPECT_EQ(scan({"--fail-on", "info"}).code, 4);
  EXPECT_EQ(scan({"--fail-on", "low"}).code, 0);
}

TEST_F(ScanTest, NoSecretInAnyOutputMode) {
  for (const std::vector<std::string>& mode :
       {std::vector<std::string>{}, {"--json"}, {"--sarif"}}) {
    std::vector<std::string> args = mode;
    args.push_back("--log-level");
    args.push_back("debug");
    auto r = scan(args);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("secret.aws_access_key_id"), std::string::npos);
    for (const std::string& secret : {aws_key, key_body, key_body.substr(4)}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << "stdout leaks a secret";
      EXPECT_EQ(r.err.find(secret), std::string::npos) << "stderr leaks a secret";
    }
  }
}

TEST_F(ScanTest, WrittenBaselineSilencesEverythingOnRerun) {
  const auto baseline = tmp / "baseline.json";
  auto first = scan({"--write-baseline", baseline.string()});
  EXPECT_EQ(first.code, 0) << first.err;
  // Writing a baseline still reports, and still fails on --fail-on.
  EXPECT_NE(first.out.find("3 findings"), std::string::npos);
  EXPECT_EQ(scan({"--write-baseline", baseline.string(), "--fail-on", "high"}).code, 4);
  const json b = json::parse(slurp(baseline));
  EXPECT_EQ(b["casm_baseline"], 1);
  ASSERT_EQ(b["fingerprints"].size(), 3u);
  EXPECT_EQ(slurp(baseline).find(key_body), std::string::npos);

  const json doc = scan_json({"--baseline", baseline.string(), "--fail-on", "info"});
  EXPECT_EQ(doc["findings"], json::array());
  EXPECT_EQ(doc["scope"]["suppressed"]["baseline"], 3);

  // A new finding is still reported.
  plant("src/new.js", "// " + todo + " new\n");
  const json again = scan_json({"--baseline", baseline.string()});
  EXPECT_EQ(located(again), (std::vector<where>{{"todo.marker", "src/new.js", 1, 4, 8}}));
}

TEST_F(ScanTest, PlainTextBaselineWorksToo) {
  const json doc = scan_json();
  std::string plain = "# accepted\n";
  for (const auto& f : doc["findings"]) plain += f["fingerprint"].get<std::string>() + "\n";
  spit(tmp / "baseline.txt", plain);
  EXPECT_EQ(scan_json({"--baseline", (tmp / "baseline.txt").string()})["findings"],
            json::array());
}

TEST_F(ScanTest, BadBaselineExits2WithOneSentenceNamingTheLine) {
  spit(tmp / "bad.txt", std::string(64, 'a') + "\nnot a fingerprint\n");
  auto r = scan({"--baseline", (tmp / "bad.txt").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "casm: error: the baseline file '" + (tmp / "bad.txt").string() +
                     "' is not valid: line 2: expected one 64-hex-digit fingerprint (a plain "
                     "baseline holds one per line; '#' starts a comment).\n");
  auto missing = scan({"--baseline", (tmp / "missing.json").string()});
  EXPECT_EQ(missing.code, 2);
  EXPECT_EQ(missing.err, "casm: error: cannot read the baseline file '" +
                           (tmp / "missing.json").string() + "': No such file or directory.\n");
}

TEST_F(ScanTest, AllowPathSilencesAFile) {
  plant("other.js", "// " + todo + "\n");
  const json doc = scan_json({"--allow-path", "src/**"});
  EXPECT_EQ(located(doc), (std::vector<where>{{"todo.marker", "other.js", 1, 4, 8}}));
  ASSERT_EQ(doc["scope"]["skipped"].size(), 1u);
  EXPECT_EQ(doc["scope"]["skipped"][0]["path"], "src/app.js");
  EXPECT_EQ(doc["scope"]["skipped"][0]["reason"], "allowlisted");
  EXPECT_EQ(doc["scope"]["files_scanned"], 1);
}

TEST_F(ScanTest, AllowFingerprintSilencesOneFinding) {
  const json doc = scan_json();
  const std::string todo_fp = doc["findings"][1]["fingerprint"];
  const json quiet = scan_json({"--allow-fingerprint", todo_fp});
  EXPECT_EQ(quiet["findings"].size(), 2u);
  EXPECT_EQ(quiet["scope"]["suppressed"]["allowlist"], 1);
  auto bad = scan({"--allow-fingerprint", "xyz"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err, "casm: error: --allow-fingerprint 'xyz' is not a fingerprint (64 hex "
                     "digits, as in issues.json).\n");
}

TEST_F(ScanTest, InlineAllowCommentWorksAndIsCounted) {
  fs::remove(tree / "src/app.js");
  plant("a.js", "const k = \"" + aws_key + "\"; // casm:allow secret.aws_access_key_id\n"
                "eval(input); // casm:allow\n"
                "eval(other);\n");
  const json doc = scan_json();
  EXPECT_EQ(located(doc), (std::vector<where>{{"risky_call.eval", "a.js", 3, 1, 7}}));
  EXPECT_EQ(doc["scope"]["suppressed"]["inline"], 2);
}

TEST_F(ScanTest, MissingPathExits2WithOneSentence) {
  auto r = casm(home, {"scan", tree.string(), (tmp / "nope").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "casm: error: the scan path '" + (tmp / "nope").string() +
                     "' does not exist.\n");
}

TEST_F(ScanTest, NonUtf8FileNameSurvives) {
  const std::string name = std::string("caf\xE9-") + "\xFF.js";  // not UTF-8
  plant(name, "// " + todo + "\n");
  const json doc = scan_json();
  ASSERT_EQ(doc["findings"].size(), 4u);
  const json* found = nullptr;
  for (const auto& f : doc["findings"])
    if (f.contains("path_b64")) found = &f;
  ASSERT_NE(found, nullptr) << doc.dump();
  EXPECT_EQ((*found)["path"], "caf\\xe9-\\xff.js");
  EXPECT_EQ(codec::base64_decode((*found)["path_b64"].get<std::string>()), name);
  EXPECT_EQ((*found)["rule_id"], "todo.marker");

  auto text = scan();
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("caf\\xe9-\\xff.js:1:4: info todo.marker"), std::string::npos)
      << text.out;
  auto sarif = scan({"--sarif"});
  ASSERT_EQ(sarif.code, 0);
  EXPECT_NE(sarif.out.find("\"caf%E9-%FF.js\""), std::string::npos);
}

TEST_F(ScanTest, SarifParsesAndHasVersion210) {
  auto r = scan({"--sarif"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json s = json::parse(r.out);
  EXPECT_EQ(s["version"], "2.1.0");
  EXPECT_EQ(s["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
  const json& run = s["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "casm");
  ASSERT_EQ(run["results"].size(), 3u);
  const json& first = run["results"][0];
  EXPECT_EQ(first["ruleId"], "secret.aws_access_key_id");
  EXPECT_EQ(first["level"], "error");
  EXPECT_EQ(run["tool"]["driver"]["rules"][first["ruleIndex"].get<size_t>()]["id"],
            "secret.aws_access_key_id");
  EXPECT_EQ(first["locations"][0]["physicalLocation"]["region"],
            (json{{"startLine", 2}, {"startColumn", 14}, {"endColumn", 34}}));
  EXPECT_EQ(first["partialFingerprints"]["casm/v1"].get<std::string>().size(), 64u);
  EXPECT_EQ(run["invocations"][0]["executionSuccessful"], true);
}

TEST_F(ScanTest, BinaryAndOversizedFilesAreSkippedAndSaid) {
  plant("img.bin", std::string("\x89PNG\0\0", 6) + todo);
  plant("big.txt", std::string(299, 'x') + "\n");
  const json doc = scan_json({"--max-file-bytes", "200"});
  std::vector<std::tuple<std::string, std::string, int>> skipped;
  for (const auto& s : doc["scope"]["skipped"]) skipped.emplace_back(s["path"], s["reason"], s["bytes"]);
  EXPECT_EQ(skipped, (std::vector<std::tuple<std::string, std::string, int>>{
                       {"big.txt", "oversized", 300}, {"img.bin", "binary", 10}}));
  EXPECT_EQ(located(doc), (std::vector<where>{
                            {"oversized.file", "big.txt", 0, 0, 0},
                            {"secret.aws_access_key_id", "src/app.js", 2, 14, 34},
                            {"todo.marker", "src/app.js", 3, 4, 8},
                            {"whitespace.trailing", "src/app.js", 4, 19, 22},
                          }));
  EXPECT_EQ(doc["findings"][0]["severity"], "low");
  EXPECT_EQ(doc["scope"]["files_scanned"], 1);
}

TEST_F(ScanTest, SymlinksAndGitDirectoriesAreNotScanned) {
  temp_dir outside{"casm-scan-outside"};
  spit(outside / "leak.js", "// " + todo + "\n");
  fs::create_symlink(outside / "leak.js", tree / "link.js");
  fs::create_directory_symlink(outside.path(), tree / "linkdir");
  plant(".git/hooks/pre-commit.sample", "# " + todo + "\n");
  plant(".hidden/visible.js", "// " + todo + "\n");
  const json doc = scan_json();
  std::set<std::string> paths;
  for (const auto& f : doc["findings"]) paths.insert(f["path"]);
  EXPECT_EQ(paths, (std::set<std::string>{"src/app.js", ".hidden/visible.js"}));
}

TEST_F(ScanTest, CompiledRulesAreCachedAndABadCacheIsRebuilt) {
  const json fresh = scan_json();
  std::vector<fs::path> cached;
  for (const auto& e : fs::directory_iterator(home / "cache")) cached.push_back(e.path());
  ASSERT_EQ(cached.size(), 1u);
  EXPECT_EQ(cached[0].filename().string(),
            "hs-" + fresh["tool"]["rule_pack_hash"].get<std::string>() + ".db");
  const std::string good = slurp(cached[0]);
  EXPECT_EQ(scan_json(), fresh);  // from the cache

  spit(cached[0], good.substr(0, good.size() / 2));  // torn
  EXPECT_EQ(scan_json(), fresh);
  EXPECT_EQ(slurp(cached[0]), good);  // rewritten
}

TEST_F(ScanTest, UnreadableFileIsSkippedWithOneWarningAndTheScanGoesOn) {
  plant("locked.js", "// " + todo + "\n");
  fs::permissions(tree / "locked.js", fs::perms::none);
  std::vector<std::string> argv = {CASM_BINARY, "scan", tree.string(), "--json"};
  if (::geteuid() == 0) {
    // root reads anything: run as nobody, where this machine allows it.
    for (const fs::path& d : {tmp.path(), tree, tree / "src"})
      fs::permissions(d, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(tree / "src/app.js", fs::perms::owner_read | fs::perms::owner_write |
                                           fs::perms::others_read | fs::perms::group_read);
    if (run_process({"runuser", "-u", "nobody", "--", CASM_BINARY, "--version"}).code != 0)
      GTEST_SKIP() << "running as root without a way to run casm as nobody";
    argv.insert(argv.begin(), {"runuser", "-u", "nobody", "--"});
  }
  auto r = run_process(argv, {{"CASM_HOME", home.string()}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "casm: warning: cannot read 'locked.js': Permission denied; it was not "
                   "scanned.\n");
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["findings"].size(), 3u);  // app.js still scanned
  ASSERT_EQ(doc["scope"]["skipped"].size(), 1u);
  EXPECT_EQ(doc["scope"]["skipped"][0],
            (json{{"path", "locked.js"}, {"reason", "unreadable"}, {"bytes", 0},
                  {"detail", "Permission denied"}}));
}

TEST_F(ScanTest, ThreadCountDoesNotChangeTheResult) {
  for (int i = 0; i < 40; ++i)
    plant("many/f" + std::to_string(i) + ".js", std::string(i, '\n') + "// " + todo + "\n");
  const json one = scan_json({"--threads", "1"});
  const json four = scan_json({"--threads", "4"});
  EXPECT_EQ(one["findings"].size(), 43u);
  EXPECT_EQ(one, four);
}

}  // namespace
}  // namespace casm::itest
