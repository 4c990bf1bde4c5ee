// `casm policy score` and `casm policy validate` end to end: real git
// repositories, the real binary, exit codes (0 pass/warn, 3 gate, 4 block,
// 2 bad input), and --json output validated against the shipped
// policy_decisions schema with Debian's python3-jsonschema (draft 2020-12).
//
// Risky text (the AWS key, eval calls) is assembled at run time from split
// literals, so this source holds nothing for a scanner to find.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "messages/codec/digest.h"
#include "tests/integration/harness.h"

namespace casm::itest {
namespace {

using nlohmann::json;

const std::string aws_key = std::string("AKIA") + "Q2W3E4R5T6Y7U8I9";
const std::string eval_call = "ev" + std::string("al(input)");

const fs::path source_dir = CASM_SOURCE_DIR;
const fs::path schema_path = source_dir / "docs/schemas/policy_decisions.schema.json";
const fs::path shipped_ruleset = source_dir / "config/rulesets/default.devtools.yaml";

const std::string package_json_before = R"({
  "name": "demo",
  "dependencies": {
    "express": "^4.18.2"
  }
}
)";
const std::string package_json_after = R"({
  "name": "demo",
  "dependencies": {
    "express": "^4.18.2",
    "left-pad": "^1.3.0"
  }
}
)";
const std::string ci_before = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                              "    steps:\n      - run: npm test\n";

// Validates a document under the shipped schema; the failure lists every
// violation.
testing::AssertionResult valid_policy_document(const fs::path& dir, const std::string& doc) {
  const fs::path doc_path = dir / "policy_decisions.json";
  spit(doc_path, doc);
  return valid_under_schema(shipped_schema("policy_decisions"), doc_path);
}

std::set<std::string> reason_codes(const json& doc) {
  std::set<std::string> out;
  for (const auto& r : doc["summary"]["reason_codes"]) out.insert(r.get<std::string>());
  return out;
}

// Signals of one file, as "type|message".
std::vector<std::string> signals_of(const json& doc, const std::string& file) {
  std::vector<std::string> out;
  for (const auto& s : doc["signals"])
    if (s["file"] == file)
      out.push_back(s["type"].get<std::string>() + "|" + s["message"].get<std::string>());
  return out;
}

bool any_contains(const std::vector<std::string>& xs, const std::string& part) {
  return std::any_of(xs.begin(), xs.end(),
                     [&](const std::string& x) { return x.find(part) != std::string::npos; });
}

struct PolicyCliTest : ::testing::Test {
  temp_dir tmp{"casm-policy"};
  fs::path home = tmp / "home";
  git_repo repo{tmp / "repo"};
  std::string base;

  void SetUp() override {
    repo.write("README.md", "# demo\n\nA demo project.\n");
    repo.write("package.json", package_json_before);
    repo.write(".github/workflows/ci.yml", ci_before);
    repo.write("src/run.js", "function run(input) {\n  return input;\n}\n");
    base = repo.commit("base");
  }

  result score(const std::string& from, const std::string& to,
               std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"policy", "score", "--repo", repo.path().string(),
                                     "--base", from,    "--head", to};
    args.insert(args.end(), extra.begin(), extra.end());
    return casm(home, args);
  }

  json score_json(const std::string& from, const std::string& to, int expect_code) {
    auto r = score(from, to, {"--json"});
    EXPECT_EQ(r.code, expect_code) << r.out << r.err;
    json doc = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << r.out;
    EXPECT_TRUE(valid_policy_document(tmp.path(), r.out));
    return doc;
  }
};

TEST_F(PolicyCliTest, SeedExampleGatesOnTheWorkflowAndTheNewDependency) {
  repo.write(".github/workflows/ci.yml", ci_before + "      - run: npm run lint\n");
  repo.write("package.json", package_json_after);
  const std::string head = repo.commit("lint in CI, left-pad");

  auto r = score(base, head);
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("status: gate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PATH_SENSITIVE_HIGH"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DEP_NEW"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("score: 0.10 (warn 0.40, gate 0.65, block 0.85)"), std::string::npos)
    << r.out;
  EXPECT_NE(r.out.find("dependency_risk"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("suggested scope: deny .github/workflows/ci.yml, package.json"),
            std::string::npos)
    << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;

  const json doc = score_json(base, head, 3);
  EXPECT_EQ(doc["summary"]["status"], "gate");
  EXPECT_EQ(reason_codes(doc), (std::set<std::string>{"PATH_SENSITIVE_HIGH",
                                                      "PATH_SENSITIVE_MEDIUM", "DEP_CHANGE",
                                                      "DEP_NEW"}));
  EXPECT_EQ(doc["run"]["commit"]["base"], base);
  EXPECT_EQ(doc["run"]["commit"]["head"], head);
  EXPECT_EQ(doc["run"]["template_id"], "policy-score");
  EXPECT_EQ(doc["ruleset"]["id"], "default.devtools");
  EXPECT_EQ(doc["ruleset"]["source"], "bundled");
  EXPECT_EQ(doc["ruleset"]["hash"], codec::sha256_hex(slurp(shipped_ruleset)));
  EXPECT_EQ(doc["decisions"][0]["action"], "gate");
  EXPECT_EQ(doc["decisions"][0]["status"], "pending_hitl");
  EXPECT_EQ(doc["hitl"]["required"], true);
  EXPECT_EQ(doc["redaction"]["snippets_included"], false);
  EXPECT_TRUE(any_contains(signals_of(doc, "package.json"), "left-pad"));
  // The same diff gives the same run id (derived, not random).
  EXPECT_EQ(score_json(base, head, 3)["run"]["run_id"], doc["run"]["run_id"]);
}

TEST_F(PolicyCliTest, PlantedAwsKeyBlocksAndIsPrintedNowhere) {
  repo.write("src/config.py", "import os\nkey = \"" + aws_key + "\"\n");
  const std::string head = repo.commit("config");

  auto r = score(base, head);
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("SECRET_LIKE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("src/config.py:2"), std::string::npos) << r.out;
  for (const auto& text : {r.out, r.err}) {
    EXPECT_EQ(text.find(aws_key), std::string::npos);
    EXPECT_EQ(text.find("Q2W3E4R5T6Y7U8I9"), std::string::npos);
  }

  auto j = score(base, head, {"--json"});
  EXPECT_EQ(j.code, 4);
  EXPECT_EQ(j.out.find("Q2W3E4R5T6Y7U8I9"), std::string::npos);
  EXPECT_EQ(j.err.find("Q2W3E4R5T6Y7U8I9"), std::string::npos);
  const json doc = score_json(base, head, 4);
  EXPECT_EQ(doc["summary"]["status"], "block");
  ASSERT_EQ(doc["signals"].size(), 1u);
  const json& s = doc["signals"][0];
  EXPECT_EQ(s["type"], "secret_like");
  EXPECT_EQ(s["line_start"], 2);
  EXPECT_EQ(s["line_end"], 2);
  // The digest of the hunk that added the line, not of anything guessable
  // from the key alone.
  const std::string digest = s["evidence"]["diff_hunk_sha256"];
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_NE(digest, codec::sha256_hex(aws_key));
  EXPECT_NE(digest, codec::sha256_hex("key = \"" + aws_key + "\""));
  EXPECT_EQ(doc["decisions"][0]["action"], "block");
}

TEST_F(PolicyCliTest, CleanReadmeChangePasses) {
  repo.write("README.md", "# demo\n\nA demo project.\n\n## Install\n\nRun `make`.\n");
  const std::string head = repo.commit("docs");
  auto r = score(base, head);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("status: pass"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reason codes: (none)"), std::string::npos) << r.out;
  const json doc = score_json(base, head, 0);
  EXPECT_EQ(doc["summary"]["status"], "pass");
  EXPECT_EQ(doc["signals"], json::array());
  EXPECT_EQ(doc["decisions"][0]["action"], "allow");
  EXPECT_EQ(doc["hitl"]["status"], "not_required");
}

TEST_F(PolicyCliTest, ReindentedEvalIsNotCommandExecButANewCopyIs) {
  repo.write("src/run.js", "function run(input) {\n  return " + eval_call + ";\n}\n");
  const std::string with_eval = repo.commit("eval");
  repo.write("src/run.js", "function run(input) {\n\treturn  " + eval_call + ";\n}\n");
  const std::string reindented = repo.commit("reindent");
  repo.write("src/run.js",
             "function run(input) {\n\treturn  " + eval_call + ";\n}\nconst again = " + eval_call +
               ";\n");
  const std::string copied = repo.commit("copy");

  const json same = score_json(with_eval, reindented, 0);
  EXPECT_EQ(reason_codes(same).count("COMMAND_EXEC"), 0u) << same.dump(2);
  EXPECT_EQ(same["summary"]["status"], "pass");

  const json more = score_json(reindented, copied, 0);
  EXPECT_EQ(reason_codes(more).count("COMMAND_EXEC"), 1u) << more.dump(2);
  ASSERT_EQ(more["signals"].size(), 1u);
  EXPECT_EQ(more["signals"][0]["line_start"], 4);
}

TEST_F(PolicyCliTest, RequirementsGoModAndCargoChangesAreDetected) {
  repo.write("requirements.txt", "requests==2.31.0\n");
  const std::string go_mod = "module example.com/demo\n\ngo 1.21\n\n";
  const std::string cargo = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[dependencies]\n";
  repo.write("go.mod", go_mod + "require github.com/pkg/errors v0.9.1\n");
  repo.write("Cargo.toml", cargo + "serde = \"1.0\"\n");
  const std::string before = repo.commit("manifests");
  repo.write("requirements.txt", "requests==2.31.0\nflask>=3.0\n");
  repo.write("go.mod", go_mod + "require (\n\tgithub.com/pkg/errors v0.9.1\n" +
                         "\tgolang.org/x/text v0.14.0\n)\n");
  repo.write("Cargo.toml", cargo + "serde = \"2.0\"\n");
  const std::string after = repo.commit("more dependencies");

  const json doc = score_json(before, after, 3);
  EXPECT_EQ(doc["summary"]["status"], "gate");
  const auto codes = reason_codes(doc);
  EXPECT_EQ(codes.count("DEP_NEW"), 1u);
  EXPECT_EQ(codes.count("DEP_MAJOR_BUMP"), 1u);
  EXPECT_TRUE(any_contains(signals_of(doc, "requirements.txt"),
                           "dependency_change|Adds the dependency flask"))
    << doc["signals"].dump(2);
  EXPECT_TRUE(any_contains(signals_of(doc, "go.mod"),
                           "dependency_change|Adds the dependency golang.org/x/text"))
    << doc["signals"].dump(2);
  EXPECT_TRUE(any_contains(signals_of(doc, "Cargo.toml"), "major version of serde"))
    << doc["signals"].dump(2);
  // Three pieces of dependency evidence: 0.20 x (1 - 1/8).
  EXPECT_EQ(doc["risk"]["components"][4]["evidence_count"], 3);
  EXPECT_EQ(doc["decisions"][1]["action"], "scope_reduce");
  EXPECT_EQ(doc["decisions"][1]["status"], "skipped");
}

TEST_F(PolicyCliTest, BinaryChangeIsUnreadableAndGates) {
  repo.write("assets/logo.bin", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  const std::string head = repo.commit("logo");
  const json doc = score_json(base, head, 3);
  EXPECT_EQ(reason_codes(doc), (std::set<std::string>{"UNREADABLE_CHANGE"}));
  EXPECT_TRUE(any_contains(signals_of(doc, "assets/logo.bin"), "(binary)"));
}

TEST_F(PolicyCliTest, OversizedAndCorruptChangesAreUnreadableAndGate) {
  repo.write("data/big.txt", std::string(1100000, 'x') + "\n");
  repo.write("docs/guide.md", "# guide\n");
  const std::string head = repo.commit("big file, guide");
  const std::string oid = repo.git({"rev-parse", head + ":docs/guide.md"}).out.substr(0, 40);
  const fs::path obj = repo.path() / ".git" / "objects" / oid.substr(0, 2) / oid.substr(2);
  fs::permissions(obj, fs::perms::owner_all, fs::perm_options::add);
  spit(obj, "this is not a zlib stream");

  auto r = score(base, head);
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("unreadable change: gates by itself"), std::string::npos) << r.out;
  const json doc = score_json(base, head, 3);
  EXPECT_EQ(reason_codes(doc), (std::set<std::string>{"UNREADABLE_CHANGE"}));
  EXPECT_TRUE(any_contains(signals_of(doc, "data/big.txt"), "oversized (1100001 bytes"))
    << doc["signals"].dump(2);
  EXPECT_TRUE(any_contains(signals_of(doc, "docs/guide.md"), "corrupt object " + oid))
    << doc["signals"].dump(2);
}

TEST_F(PolicyCliTest, NonUtf8FileNameIsWrittenAsValidJson) {
  repo.write("caf\xE9.txt", "hello\n");
  const std::string head = repo.commit("latin-1 name");
  auto r = score(base, head, {"--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(valid_policy_document(tmp.path(), r.out));
}

TEST_F(PolicyCliTest, BadRepositoryOrRevisionExitsTwoWithOneSentence) {
  auto r = score(base, "no-such-branch");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown revision 'no-such-branch' in repository '" +
                       repo.path().string() + "'"),
            std::string::npos)
    << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  fs::create_directories(tmp / "plain");
  auto n = casm(home, {"policy", "score", "--repo", (tmp / "plain").string(), "--base", "HEAD~1"});
  EXPECT_EQ(n.code, 2);
  EXPECT_NE(n.err.find("is not a git repository"), std::string::npos) << n.err;
}

// --- casm policy validate ---------------------------------------------------

struct PolicyCliValidateTest : ::testing::Test {
  temp_dir tmp{"casm-policy-validate"};
  fs::path home = tmp / "home";
  std::string shipped = slurp(shipped_ruleset);

  // The shipped text with `from` replaced by `to` (which must occur once).
  std::string with(const std::string& from, const std::string& to) {
    const size_t at = shipped.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    EXPECT_EQ(shipped.find(from, at + 1), std::string::npos) << from;
    std::string out = shipped;
    return at == std::string::npos ? out : out.replace(at, from.size(), to);
  }

  // 1-based line and column of the first occurrence of `needle` in `text`.
  static std::pair<int, int> position(const std::string& text, const std::string& needle) {
    const size_t at = text.find(needle);
    EXPECT_NE(at, std::string::npos) << needle;
    const size_t newline = at == 0 ? std::string::npos : text.rfind('\n', at - 1);
    const size_t line_start = newline == std::string::npos ? 0 : newline + 1;
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
    const int column = static_cast<int>(at - line_start) + 1;
    return {line, column};
  }

  result validate(const std::string& text, std::vector<std::string> extra = {}) {
    const fs::path file = tmp / "bad.yaml";
    spit(file, text);
    std::vector<std::string> args = {"policy", "validate", file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return casm(home, args);
  }

  // Exit 2 and an error at file:line:column holding `words`.
  testing::AssertionResult refused_at(const std::string& text, std::pair<int, int> where,
                                      const std::string& words) {
    auto r = validate(text);
    const std::string prefix = "casm: error: " + (tmp / "bad.yaml").string() + ":" +
                               std::to_string(where.first) + ":" + std::to_string(where.second) +
                               ": ";
    if (r.code != 2) return testing::AssertionFailure() << "exit " << r.code << "\n" << r.err;
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind(prefix, 0) == 0 && line.find(words) != std::string::npos)
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "no '" << prefix << "..." << words << "' in:\n" << r.err;
  }
};

TEST_F(PolicyCliValidateTest, ShippedRulesetIsValid) {
  auto r = casm(home, {"policy", "validate", shipped_ruleset.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ruleset OK: default.devtools, sha256 " + codec::sha256_hex(shipped) + "\n");
  auto by_id = casm(home, {"policy", "validate", "default.devtools"});
  EXPECT_EQ(by_id.code, 0) << by_id.err;
  EXPECT_EQ(by_id.out, r.out);
}

TEST_F(PolicyCliValidateTest, MalformedYaml) {
  const std::string text = with("ruleset: default.devtools", "ruleset: [default.devtools");
  // The parser notices at the next token: the ':' after risk_thresholds.
  auto where = position(text, "risk_thresholds:");
  where.second += static_cast<int>(std::string("risk_thresholds").size());
  EXPECT_TRUE(refused_at(text, where, "malformed YAML"));
}

TEST_F(PolicyCliValidateTest, UnknownKey) {
  const std::string text = with("  block: 0.85\n", "  block: 0.85\n  panic: 0.90\n");
  EXPECT_TRUE(refused_at(text, position(text, "panic"), "unknown key 'risk_thresholds.panic'"));
}

TEST_F(PolicyCliValidateTest, WeightOutsideUnitInterval) {
  const std::string text = with("weight: 0.30", "weight: 1.5");
  EXPECT_TRUE(refused_at(text, position(text, "1.5"), "outside [0, 1]"));
}

TEST_F(PolicyCliValidateTest, MisorderedThresholds) {
  const std::string text = with("  gate: 0.65", "  gate: 0.90");
  // gate > block: reported at the later of the two.
  EXPECT_TRUE(refused_at(text, position(text, "0.85"), "warn <= gate <= block"));
}

TEST_F(PolicyCliValidateTest, PatternThatDoesNotCompileIsNamed) {
  const std::string text = with(R"("eval\\(")", R"("(unclosed")");
  EXPECT_TRUE(refused_at(text, position(text, R"("(unclosed")"), "pattern '(unclosed'"));
  EXPECT_TRUE(refused_at(text, position(text, R"("(unclosed")"), "does not compile"));
}

TEST_F(PolicyCliValidateTest, BadGlob) {
  const std::string text = with(R"("**/auth/**")", R"("src/[abc")");
  EXPECT_TRUE(refused_at(text, position(text, R"("src/[abc")"), "bad glob 'src/[abc'"));
}

TEST_F(PolicyCliValidateTest, JsonListsEveryError) {
  // Every bad pattern is reported, not only the first.
  shipped = with(R"("execSync\\(")", R"("[z-a]")");
  const std::string text = with(R"("eval\\(")", R"("(unclosed")");
  auto r = validate(text, {"--json"});
  EXPECT_EQ(r.code, 2);
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["ok"], false);
  ASSERT_EQ(doc["errors"].size(), 2u) << doc.dump(2);
  std::set<std::string> messages;
  for (const auto& e : doc["errors"]) {
    EXPECT_GT(e["line"].get<int>(), 0);
    EXPECT_GT(e["column"].get<int>(), 0);
    messages.insert(e["text"].get<std::string>());
  }
  const auto range = position(text, R"("[z-a]")");
  const auto pattern = position(text, R"("(unclosed")");
  EXPECT_TRUE(std::any_of(messages.begin(), messages.end(), [&](const std::string& m) {
    return m.find(":" + std::to_string(range.first) + ":" + std::to_string(range.second) +
                  ": pattern '[z-a]'") != std::string::npos;
  })) << doc.dump(2);
  EXPECT_TRUE(std::any_of(messages.begin(), messages.end(), [&](const std::string& m) {
    return m.find(":" + std::to_string(pattern.first) + ":" + std::to_string(pattern.second) +
                  ": pattern '(unclosed'") != std::string::npos;
  })) << doc.dump(2);
}

}  // namespace
}  // namespace casm::itest
