// The policy engine: ruleset parsing and validation, dependency diffs, risk
// scoring and the gate decision (docs/policy.md).
//
// Secrets and risky calls are assembled at run time from split literals, so
// that CASM auditing its own repository finds none of them in this file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "messages/codec/digest.h"
#include "policy/dependency_diff.h"
#include "policy/glob.h"
#include "policy/risk.h"
#include "policy/ruleset.h"
#include "tests/unit/test_util.h"

namespace casm::policy {
namespace {

using codec::config_error;

const std::string shipped_path =
  std::string(CASM_SOURCE_DIR) + "/config/rulesets/default.devtools.yaml";

const std::string& shipped_text() {
  static const std::string text = test::slurp(shipped_path);
  return text;
}

const ruleset& shipped() {
  static const ruleset rs = [] {
    ruleset out;
    std::vector<config_error> errors;
    if (!parse_ruleset("default.devtools.yaml", shipped_text(), out, errors)) {
      for (const auto& e : errors) ADD_FAILURE() << e.to_string();
    }
    return out;
  }();
  return rs;
}

const scanner& shipped_scanner() {
  static const std::optional<scanner> s = [] {
    std::string error;
    auto compiled = build_heuristics_scanner(shipped(), &error);
    if (!compiled) ADD_FAILURE() << error;
    return compiled;
  }();
  return *s;
}

// --- risky text, built at run time ---------------------------------------

std::string aws_key() { return "AK" + std::string("IA") + "Q7ZT4W2XK9LM3RBN"; }
std::string private_key_header(const std::string& kind) {
  return "-----BEGIN " + kind + std::string("PRIVATE KEY-----");
}
std::string exec_call() { return "const out = ev" + std::string("al(input);"); }
std::string pickle_call() { return "obj = pickle" + std::string(".loads(blob)"); }
std::string sudo_call() { return "su" + std::string("do rm -rf /tmp/x"); }

changed_file file(std::string path, std::vector<std::string> added,
                  std::vector<std::string> removed = {}) {
  changed_file f;
  f.path = std::move(path);
  for (size_t i = 0; i < added.size(); ++i)
    f.added_lines.push_back({static_cast<uint32_t>(i + 1), added[i]});
  f.removed_lines = std::move(removed);
  return f;
}

risk_assessment score(const std::vector<changed_file>& files,
                      const std::vector<dependency_manifest>& manifests = {}) {
  return score_diff(shipped(), shipped_scanner(), files, manifests);
}

bool has(const risk_assessment& a, reason_code r) {
  return std::find(a.reason_codes.begin(), a.reason_codes.end(), r) != a.reason_codes.end();
}

std::vector<std::string> codes(const risk_assessment& a) {
  std::vector<std::string> out;
  for (auto r : a.reason_codes) out.emplace_back(to_string(r));
  return out;
}

// --- RulesetTest --------------------------------------------------------

TEST(RulesetTest, ShippedRulesetParsesWithTheSeedsValues) {
  const ruleset& rs = shipped();
  EXPECT_EQ(rs.id, "default.devtools");
  EXPECT_EQ(rs.version, "0.1");
  EXPECT_DOUBLE_EQ(rs.thresholds.warn, 0.40);
  EXPECT_DOUBLE_EQ(rs.thresholds.gate, 0.65);
  EXPECT_DOUBLE_EQ(rs.thresholds.block, 0.85);
  EXPECT_EQ(rs.high_paths.size(), 16u);
  EXPECT_EQ(rs.high_paths[7], ".github/workflows/**");
  EXPECT_EQ(rs.medium_paths.size(), 6u);

  ASSERT_EQ(rs.heuristics.size(), 4u);
  EXPECT_EQ(rs.heuristics[0].name, "secret_like_patterns");
  EXPECT_DOUBLE_EQ(rs.heuristics[0].weight, 0.30);
  EXPECT_EQ(rs.heuristics[1].name, "command_exec_additions");
  EXPECT_EQ(rs.heuristics[1].patterns.size(), 5u);
  EXPECT_EQ(rs.heuristics[1].patterns[0], "child_process\\.exec");  // YAML unescaped once
  EXPECT_DOUBLE_EQ(rs.heuristics[2].weight, 0.20);
  EXPECT_DOUBLE_EQ(rs.heuristics[3].weight, 0.25);
  // Fix 1: a pattern that matches real private key headers.
  EXPECT_EQ(rs.heuristics[0].patterns[1], "-----BEGIN [A-Z ]*PRIVATE KEY-----");

  ASSERT_TRUE(rs.dependency);
  EXPECT_DOUBLE_EQ(rs.dependency->weight, 0.20);
  EXPECT_TRUE(rs.dependency->adds_new_dependency);
  EXPECT_TRUE(rs.dependency->updates_dependency_major);
  // Fix 2: the other ecosystems' manifests are dependency files.
  for (const char* f : {"package.json", "requirements.txt", "go.mod", "Cargo.toml"})
    EXPECT_TRUE(is_dependency_file(rs, f)) << f;
  EXPECT_TRUE(is_dependency_file(rs, "services/api/go.mod"));
  EXPECT_FALSE(is_dependency_file(rs, "README.md"));

  EXPECT_EQ(rs.require_hitl_if,
            (std::vector<gating_condition>{gating_condition::score_at_least_gate,
                                           gating_condition::touches_high,
                                           gating_condition::touches_dependency_files}));
  EXPECT_EQ(rs.block_if, (std::vector<gating_condition>{gating_condition::score_at_least_block,
                                                         gating_condition::secret_like_detected}));
  EXPECT_EQ(rs.on_gate, (std::vector<std::string>{"stop_before_apply", "emit_hitl_request"}));
  EXPECT_EQ(rs.on_block, (std::vector<std::string>{"stop_immediately", "emit_security_alert"}));
}

TEST(RulesetTest, HashIsTheSha256OfTheExactBytes) {
  EXPECT_EQ(ruleset_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string h = ruleset_hash(shipped_text());
  EXPECT_EQ(h, codec::sha256_hex(shipped_text()));
  EXPECT_NE(h, ruleset_hash(shipped_text() + "\n"));  // a byte more is another ruleset
}

TEST(RulesetTest, ConditionsRoundTripTheirExactText) {
  for (auto c : {gating_condition::score_at_least_gate, gating_condition::score_at_least_block,
                 gating_condition::touches_high, gating_condition::touches_medium,
                 gating_condition::touches_dependency_files,
                 gating_condition::secret_like_detected})
    EXPECT_EQ(parse_gating_condition(to_string(c)), c);
  EXPECT_FALSE(parse_gating_condition("risk_score >= risk_thresholds.warn"));
  EXPECT_FALSE(parse_gating_condition("touches_any(path_sensitivity.low)"));
}

TEST(RulesetTest, HeuristicsCompileIntoOneScannerWithStableIds) {
  const auto& rules = shipped_scanner().rules();
  ASSERT_EQ(rules.size(), 17u);  // 4 + 5 + 3 + 5
  EXPECT_EQ(rules[0].id, "heuristic.secret_like_patterns.0");
  EXPECT_TRUE(rules[0].secret);
  EXPECT_EQ(rules[16].id, "heuristic.permission_escalation.4");
}

TEST(RulesetTest, PrivateKeyPatternMatchesRealHeadersAndTheSeedsDoesNot) {
  for (const std::string kind : {"RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""}) {
    auto a = score({file("deploy/key.pem", {private_key_header(kind)})});
    EXPECT_TRUE(has(a, reason_code::secret_like)) << kind;
  }
  std::string error;
  rule seed;
  seed.id = "seed.private_key";
  seed.pattern = "-----BEGIN (RSA|EC|OPENSSH) KEY";
  auto s = scanner::compile({seed}, &error);
  ASSERT_TRUE(s) << error;
  EXPECT_TRUE(s->scan_added_lines("k.pem", {{1, private_key_header("RSA ")}}).empty());
}

// A small valid ruleset the bad cases below are variations of.
const std::string base_ruleset = R"(version: 0.1
ruleset: test.rules
risk_thresholds:
  warn: 0.40
  gate: 0.65
  block: 0.85
path_sensitivity:
  high:
    - "**/auth/**"
diff_heuristics:
  secret_like_patterns:
    weight: 0.30
    patterns:
      - "AKIA[0-9A-Z]{16}"   # AWS access key
  dependency_risk:
    weight: 0.20
    files:
      - "package.json"
gating:
  require_hitl_if:
    - "touches_dependency_files: true"
  block_if:
    - "secret_like_detected: true"
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::vector<config_error> errors_of(const std::string& text) {
  ruleset rs;
  std::vector<config_error> errors;
  EXPECT_FALSE(parse_ruleset("bad.yaml", text, rs, errors));
  EXPECT_FALSE(errors.empty());
  return errors;
}

// True when some error is at line:column and its message holds `words`.
::testing::AssertionResult error_at(const std::vector<config_error>& errors, int line, int column,
                                    const std::string& words) {
  std::string all;
  const std::string where = "bad.yaml:" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  for (const auto& e : errors) {
    if (e.line == line && e.column == column && e.message.find(words) != std::string::npos &&
        e.to_string().rfind(where, 0) == 0)
      return ::testing::AssertionSuccess();
    all += "\n  " + e.to_string();
  }
  return ::testing::AssertionFailure()
         << "no error at " << line << ":" << column << " with '" << words << "'; got:" << all;
}

TEST(RulesetTest, BaseRulesetIsValid) {
  ruleset rs;
  std::vector<config_error> errors;
  EXPECT_TRUE(parse_ruleset("ok.yaml", base_ruleset, rs, errors));
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(rs.heuristics.size(), 1u);
}

TEST(RulesetTest, MalformedYamlIsReportedWithItsPosition) {
  auto errors = errors_of(replace(base_ruleset, "ruleset: test.rules", "ruleset: [test.rules"));
  ASSERT_EQ(errors.size(), 1u);
  // The parser notices at the next token: the ':' after risk_thresholds.
  EXPECT_TRUE(error_at(errors, 3, 16, "malformed YAML: end of sequence flow not found"));
}

TEST(RulesetTest, UnknownKeysAreRefused) {
  EXPECT_TRUE(error_at(errors_of(base_ruleset + "colour: red\n"), 24, 1, "unknown key 'colour'"));
  EXPECT_TRUE(error_at(
    errors_of(replace(base_ruleset, "  block: 0.85\n", "  block: 0.85\n  panic: 0.9\n")), 7, 3,
    "unknown key 'risk_thresholds.panic'"));
  // A misspelled heuristic would silently disable a check: it is an error.
  EXPECT_TRUE(error_at(
    errors_of(replace(base_ruleset, "  secret_like_patterns:", "  secret_like_pattern:")), 11, 3,
    "unknown key 'diff_heuristics.secret_like_pattern'"));
}

TEST(RulesetTest, WeightOutsideUnitIntervalIsRefused) {
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, "weight: 0.30", "weight: 1.5")), 12, 13,
                       "outside [0, 1]"));
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, "weight: 0.20", "weight: -0.1")), 16, 13,
                       "diff_heuristics.dependency_risk.weight"));
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, "block: 0.85", "block: 1.2")), 6, 10,
                       "risk_thresholds.block"));
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, "weight: 0.30", "weight: heavy")), 12, 13,
                       "must be a number"));
}

TEST(RulesetTest, MisorderedThresholdsAreRefused) {
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, "gate: 0.65", "gate: 0.30")), 5, 9,
                       "warn <= gate <= block: gate 0.3 is below warn 0.4"));
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, "block: 0.85", "block: 0.60")), 6, 10,
                       "block 0.6 is below gate 0.65"));
  // Equal thresholds are ordered.
  ruleset rs;
  std::vector<config_error> errors;
  EXPECT_TRUE(
    parse_ruleset("eq.yaml", replace(base_ruleset, "gate: 0.65", "gate: 0.40"), rs, errors));
}

TEST(RulesetTest, PatternThatDoesNotCompileIsNamedWithItsPosition) {
  auto errors = errors_of(replace(base_ruleset, R"("AKIA[0-9A-Z]{16}")", R"("(unclosed")"));
  EXPECT_TRUE(error_at(errors, 14, 9, "pattern '(unclosed'"));
  EXPECT_TRUE(error_at(errors, 14, 9, "diff_heuristics.secret_like_patterns.patterns[0]"));
  EXPECT_TRUE(error_at(errors, 14, 9, "does not compile"));
  // Every bad pattern is reported, not only the first.
  auto two = errors_of(replace(base_ruleset, "      - \"AKIA[0-9A-Z]{16}\"   # AWS access key\n",
                               "      - \"ok\"\n      - \"[z-a]\"\n      - \"(?<=x)y\\\\1\"\n"));
  EXPECT_TRUE(error_at(two, 15, 9, "pattern '[z-a]'"));
  EXPECT_TRUE(error_at(two, 16, 9, "does not compile"));
  // A pattern that can match nothing would hit every line.
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, R"("AKIA[0-9A-Z]{16}")", R"("")")), 14, 9,
                       "does not compile: it is empty"));
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, R"("AKIA[0-9A-Z]{16}")", R"("x*")")), 14, 9,
                       "it can match the empty string"));
}

TEST(RulesetTest, BadGlobIsRefused) {
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, R"("**/auth/**")", R"("src/[abc")")), 9, 7,
                       "path_sensitivity.high[0]: bad glob 'src/[abc'"));
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, R"("package.json")", R"("!package.json")")),
                       18, 9, "negation"));
}

TEST(RulesetTest, GatingConditionsOutsideTheVocabularyAreRefused) {
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, R"("touches_dependency_files: true")",
                                         R"("risk_score > 0.5")")),
                       21, 7, "unknown gating condition 'risk_score > 0.5'"));
  // Unquoted, the seed's form is a YAML mapping, not the condition.
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, R"("secret_like_detected: true")",
                                         "secret_like_detected: true")),
                       23, 7, "must be a string"));
  // A condition needs the part of the ruleset it reads.
  const std::string no_deps = replace(
    base_ruleset, "  dependency_risk:\n    weight: 0.20\n    files:\n      - \"package.json\"\n", "");
  EXPECT_TRUE(error_at(errors_of(no_deps), 17, 7, "no dependency_risk"));
}

TEST(RulesetTest, ActionsAndVersionAreAFixedVocabulary) {
  EXPECT_TRUE(error_at(errors_of(base_ruleset + "actions:\n  on_gate:\n    - \"page_someone\"\n"), 26,
                       7, "must be one of"));
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, "version: 0.1", "version: 0.9")), 1, 10,
                       "must be one of 0.1"));
  EXPECT_TRUE(error_at(errors_of(replace(base_ruleset, "ruleset: test.rules", "ruleset: \"a b;rm\"")),
                       2, 10, "ruleset id"));
}

// --- DependencyDiffTest -------------------------------------------------

dependency_manifest manifest(std::string path, std::optional<std::string> before,
                             std::optional<std::string> after) {
  return {std::move(path), std::move(before), std::move(after)};
}

// "name:kind:from:to" for each change, in order.
std::vector<std::string> changes(const dependency_manifest& m) {
  std::vector<std::string> out;
  for (const auto& c : diff_dependencies(m))
    out.push_back(c.name + ":" + std::string(to_string(c.kind)) + ":" + c.from + ":" + c.to);
  return out;
}

using strings = std::vector<std::string>;

TEST(DependencyDiffTest, VersionChangeClassification) {
  EXPECT_EQ(classify_version_change("^1.2.3", "^1.2.3"), version_change::none);
  EXPECT_EQ(classify_version_change("^1.2.3", "^1.9.0"), version_change::minor);
  EXPECT_EQ(classify_version_change("^1.2.3", "^2.0.0"), version_change::major);
  EXPECT_EQ(classify_version_change("~1.2", ">=1.4"), version_change::minor);
  EXPECT_EQ(classify_version_change("v1.2.0", "v2.0.0"), version_change::major);
  EXPECT_EQ(classify_version_change("==3.2", "==4.0"), version_change::major);
  EXPECT_EQ(classify_version_change("0.1.0", "0.2.0"), version_change::major);  // 0.x minor
  EXPECT_EQ(classify_version_change("0.1.0", "0.1.9"), version_change::minor);
  EXPECT_EQ(classify_version_change("0.0.3", "0.0.4"), version_change::major);
  EXPECT_EQ(classify_version_change("2.0.0", "1.9.0"), version_change::major);  // downgrade
  EXPECT_EQ(classify_version_change("^1.0.0", "latest"), version_change::major);
  EXPECT_EQ(classify_version_change("", "==2.0"), version_change::minor);  // pinned
  EXPECT_EQ(classify_version_change("==2.0", ""), version_change::major);  // unpinned
  EXPECT_EQ(classify_version_change("1.00", "1.0"), version_change::minor);
  EXPECT_EQ(classify_version_change("99999999999999999999.0", "99999999999999999999.1"),
            version_change::minor);
}

TEST(DependencyDiffTest, PackageJson) {
  const std::string before = R"({"name": "app", "dependencies": {"lodash": "^4.17.21", "zod": "^0.1.0",
    "express": "^4.18.0"}, "devDependencies": {"jest": "^29.0.0", "left": "1.0.0"}})";
  const std::string after = R"({"name": "app", "dependencies": {"lodash": "^4.17.21", "zod": "^0.2.0",
    "express": "^5.0.0", "axios": "^1.6.0"}, "devDependencies": {"jest": "^29.7.0"},
    "peerDependencies": {"react": ">=18"}, "optionalDependencies": {"fsevents": "2.3.3"}})";
  EXPECT_EQ(changes(manifest("web/package.json", before, after)),
            (strings{"axios:added::^1.6.0", "express:major_bump:^4.18.0:^5.0.0",
                     "fsevents:added::2.3.3", "jest:minor_bump:^29.0.0:^29.7.0",
                     "left:removed:1.0.0:", "react:added::>=18", "zod:major_bump:^0.1.0:^0.2.0"}));
  EXPECT_TRUE(changes(manifest("package.json", before, before)).empty());
  // A scripts-only change is not a dependency change.
  EXPECT_TRUE(changes(manifest("package.json", R"({"scripts": {"a": "x"}})",
                               R"({"scripts": {"a": "y"}})")).empty());
}

TEST(DependencyDiffTest, NewAndDeletedManifestsAndBrokenJson) {
  EXPECT_EQ(changes(manifest("package.json", std::nullopt, R"({"dependencies": {"a": "1"}})")),
            (strings{"a:added::1"}));
  EXPECT_EQ(changes(manifest("package.json", R"({"dependencies": {"a": "1"}})", std::nullopt)),
            (strings{"a:removed:1:"}));
  auto broken = diff_dependencies(manifest("package.json", R"({"dependencies": {}})", "{oops"));
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_EQ(broken[0].kind, dependency_change_kind::unparsed);
  EXPECT_NE(broken[0].detail.find("new version"), std::string::npos);
}

TEST(DependencyDiffTest, RequirementsTxt) {
  const std::string before =
    "# pinned\nDjango==3.2.1\nrequests>=2.25  # http\nnumpy==0.9.0\nFoo_Bar==1.0\n"
    "-r base.txt\n--index-url https://example.invalid/simple\nold-lib==1.0\n";
  const std::string after =
    "# pinned\nDjango==4.0\nrequests>=2.31 ; python_version >= \"3.8\"\nnumpy==0.10.0\n"
    "foo-bar==1.0\n-r base.txt\nflask[async]==3.0.0 \\\n    --hash=sha256:abc\n"
    "https://example.invalid/pkg.whl\n";
  EXPECT_EQ(changes(manifest("requirements.txt", before, after)),
            (strings{"django:major_bump:==3.2.1:==4.0", "flask:added::==3.0.0",
                     "numpy:major_bump:==0.9.0:==0.10.0", "old-lib:removed:==1.0:",
                     "requests:minor_bump:>=2.25:>=2.31"}));
}

TEST(DependencyDiffTest, GoMod) {
  const std::string before = R"(module example.com/app

go 1.22

require github.com/pkg/errors v0.9.1

require (
	golang.org/x/net v0.20.0 // indirect
	github.com/spf13/cobra v1.7.0
	github.com/old/thing v1.0.0
)
)";
  const std::string after = R"(module example.com/app

go 1.22

require github.com/pkg/errors v0.9.1

require (
	golang.org/x/net v0.21.0 // indirect
	github.com/spf13/cobra v1.8.0
	github.com/new/thing v2.1.0
)

replace github.com/spf13/cobra => github.com/fork/cobra v1.8.1
)";
  EXPECT_EQ(changes(manifest("go.mod", before, after)),
            (strings{"github.com/new/thing:added::v2.1.0", "github.com/old/thing:removed:v1.0.0:",
                     "github.com/spf13/cobra:minor_bump:v1.7.0:v1.8.0",
                     "github.com/spf13/cobra (replace):added::=> github.com/fork/cobra v1.8.1",
                     "golang.org/x/net:major_bump:v0.20.0:v0.21.0"}));
}

TEST(DependencyDiffTest, CargoToml) {
  const std::string before = R"([package]
name = "app"
version = "0.1.0"  # our own version is not a dependency

[dependencies]
serde = "1.0"
tokio = { version = "1.28", features = ["full"] }
rand = "0.7"
gone = "1"

[dependencies.regex]
version = "1.9"

[dev-dependencies]
criterion = "0.4"
)";
  const std::string after = R"([package]
name = "app"
version = "0.2.0"

[dependencies]
serde = "2.0"
tokio = { version = "1.35", features = ["full"] }  # bump
rand = "0.8"
anyhow = { git = "https://example.invalid/anyhow", tag = "v1" }

[dependencies.regex]
version = "2.0"

[dev-dependencies]
criterion = "0.5"

[build-dependencies]
cc = "1.0"

[target.'cfg(unix)'.dependencies]
libc = "0.2"
)";
  EXPECT_EQ(changes(manifest("Cargo.toml", before, after)),
            (strings{"anyhow:added::git https://example.invalid/anyhow tag v1", "cc:added::1.0",
                     "criterion:major_bump:0.4:0.5", "gone:removed:1:", "libc:added::0.2",
                     "rand:major_bump:0.7:0.8", "regex:major_bump:1.9:2.0",
                     "serde:major_bump:1.0:2.0", "tokio:minor_bump:1.28:1.35"}));
}

TEST(DependencyDiffTest, LockfilesYieldOneChangeWithCounts) {
  const std::string lock_before = R"({"lockfileVersion": 3, "packages": {"": {"name": "app"},
    "node_modules/a": {"version": "1.0.0"}, "node_modules/b": {"version": "2.0.0"}}})";
  const std::string lock_after = R"({"lockfileVersion": 3, "packages": {"": {"name": "app"},
    "node_modules/a": {"version": "1.1.0"}, "node_modules/c": {"version": "3.0.0"},
    "node_modules/c/node_modules/d": {"version": "0.1.0"}}})";
  auto c = diff_dependencies(manifest("package-lock.json", lock_before, lock_after));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, dependency_change_kind::lockfile_changed);
  EXPECT_EQ(c[0].detail, "2 packages added, 1 removed, 1 changed");

  auto cargo = diff_dependencies(manifest("Cargo.lock",
                                          "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n",
                                          "[[package]]\nname = \"a\"\nversion = \"1.0.1\"\n"));
  ASSERT_EQ(cargo.size(), 1u);
  EXPECT_EQ(cargo[0].detail, "0 packages added, 0 removed, 1 changed");

  auto gosum = diff_dependencies(manifest(
    "go.sum", "github.com/a/b v1.0.0 h1:x=\ngithub.com/a/b v1.0.0/go.mod h1:y=\n",
    "github.com/a/b v1.0.0 h1:x=\ngithub.com/a/b v1.0.0/go.mod h1:y=\ngithub.com/c/d v0.1.0 h1:z=\n"));
  ASSERT_EQ(gosum.size(), 1u);
  EXPECT_EQ(gosum[0].detail, "1 packages added, 0 removed, 0 changed");

  auto yarn = diff_dependencies(manifest(
    "yarn.lock", "lodash@^4.17.0:\n  version \"4.17.20\"\n",
    "\"lodash@^4.17.0\", lodash@^4.17.21:\n  version \"4.17.21\"\n"
    "\"@babel/core@^7.0.0\":\n  version \"7.24.0\"\n"));
  ASSERT_EQ(yarn.size(), 1u);
  EXPECT_EQ(yarn[0].detail, "1 packages added, 0 removed, 1 changed");

  auto pnpm = diff_dependencies(manifest(
    "pnpm-lock.yaml", "lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n    resolution: {}\n",
    "lockfileVersion: '6.0'\npackages:\n  /a@2.0.0:\n    resolution: {}\n"
    "  /@s/b@1.0.0(react@18.0.0):\n    dev: true\n"));
  ASSERT_EQ(pnpm.size(), 1u);
  EXPECT_EQ(pnpm[0].detail, "1 packages added, 0 removed, 1 changed");

  EXPECT_TRUE(diff_dependencies(manifest("Cargo.lock", "same", "same")).empty());
  auto fresh = diff_dependencies(manifest("go.sum", std::nullopt, "github.com/a/b v1.0.0 h1:x=\n"));
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].detail, "new lockfile: 1 packages added, 0 removed, 0 changed");
}

TEST(DependencyDiffTest, ManyManifestsAreSortedByFile) {
  auto all = diff_dependencies(std::vector<dependency_manifest>{
    manifest("b/package.json", std::nullopt, R"({"dependencies": {"z": "1", "a": "1"}})"),
    manifest("a/requirements.txt", "", "x==1\n"), manifest("notes.txt", "a", "b")});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].file, "a/requirements.txt");
  EXPECT_EQ(all[1].name, "a");
  EXPECT_EQ(all[2].name, "z");
}

// --- RiskTest -----------------------------------------------------------

const std::string pkg_before = R"({"name": "app", "dependencies": {"express": "^4.18.0"}})";
const std::string pkg_after =
  R"({"name": "app", "dependencies": {"express": "^4.18.0", "left-pad": "^1.3.0"}})";

TEST(RiskTest, SeedExampleWorkflowAndPackageJsonGates) {
  auto ci = file(".github/workflows/ci.yml", {"      - run: npm run lint"});
  auto pkg = file("package.json", {R"(    "left-pad": "^1.3.0",)"});
  auto a = score({ci, pkg}, {manifest("package.json", pkg_before, pkg_after)});

  EXPECT_EQ(a.status, gate_status::gate) << a.human_summary;
  EXPECT_TRUE(has(a, reason_code::path_sensitive_high));
  EXPECT_TRUE(has(a, reason_code::dep_change));
  EXPECT_TRUE(has(a, reason_code::dep_new));
  EXPECT_EQ(codes(a),
            (strings{"PATH_SENSITIVE_HIGH", "PATH_SENSITIVE_MEDIUM", "DEP_CHANGE", "DEP_NEW"}));
  EXPECT_EQ(a.hitl_conditions_met, (std::vector<gating_condition>{
                                     gating_condition::touches_high,
                                     gating_condition::touches_dependency_files}));
  EXPECT_TRUE(a.block_conditions_met.empty());
  EXPECT_EQ(a.actions, shipped().on_gate);

  // One new dependency is the only weighted evidence: 0.20 * (1 - 1/2).
  ASSERT_EQ(a.components.size(), 5u);
  EXPECT_EQ(a.components[4].name, "dependency_risk");
  EXPECT_EQ(a.components[4].evidence_count, 1u);
  EXPECT_DOUBLE_EQ(a.components[4].contribution, 0.10);
  EXPECT_DOUBLE_EQ(a.score, 0.10);

  EXPECT_EQ(a.scope.deny_files, (strings{".github/workflows/ci.yml", "package.json"}));
  EXPECT_TRUE(a.scope.allow_files.empty());
  EXPECT_NE(a.scope.notes.find("Only comment"), std::string::npos);
  EXPECT_NE(a.human_summary.find("gate: risk score 0.10"), std::string::npos);
}

TEST(RiskTest, AwsKeyOnAnAddedLineBlocks) {
  const std::string line = "aws_access_key_id = " + aws_key();
  auto a = score({file("src/config.py", {"import os", line})});
  EXPECT_EQ(a.status, gate_status::block);
  EXPECT_TRUE(has(a, reason_code::secret_like));
  EXPECT_EQ(a.block_conditions_met,
            (std::vector<gating_condition>{gating_condition::secret_like_detected}));
  EXPECT_EQ(a.actions, shipped().on_block);
  ASSERT_EQ(a.signals.size(), 1u);
  const auto& s = a.signals[0];
  EXPECT_EQ(s.type, signal_type::secret_like);
  EXPECT_EQ(s.severity, messages::severity::high);
  EXPECT_EQ(s.line_start, 2u);
  EXPECT_EQ(s.evidence.kind, evidence_kind::pattern);
  EXPECT_EQ(s.evidence.pattern_id, "heuristic.secret_like_patterns.0");
  EXPECT_EQ(s.evidence.diff_hunk_sha256, codec::sha256_hex(line));
  // The key itself is nowhere in the assessment.
  for (const auto& sig : a.signals) EXPECT_EQ(sig.message.find(aws_key()), std::string::npos);
  EXPECT_EQ(a.human_summary.find(aws_key()), std::string::npos);
}

TEST(RiskTest, CleanReadmeChangePasses) {
  auto a = score({file("README.md", {"## Install", "Run `make`."}, {"## Setup"})});
  EXPECT_EQ(a.status, gate_status::pass);
  EXPECT_TRUE(a.reason_codes.empty());
  EXPECT_TRUE(a.signals.empty());
  EXPECT_EQ(a.score, 0.0);
  EXPECT_EQ(a.scope.allow_files, (strings{"README.md"}));
  EXPECT_TRUE(a.actions.empty());
}

TEST(RiskTest, PatternHitsCountOnAddedLinesOnly) {
  auto a = score({file("src/run.js", {"// safe now"}, {exec_call()})});
  EXPECT_EQ(a.status, gate_status::pass);
  EXPECT_EQ(a.components[1].evidence_count, 0u);
}

TEST(RiskTest, LineThatIsOnlyReWhitespacedIsNotEvidence) {
  const std::string call = exec_call();
  auto a = score({file("src/run.js", {"    " + call, "\t" + sudo_call() + "  "},
                      {call, sudo_call()})});
  EXPECT_EQ(a.status, gate_status::pass);
  EXPECT_EQ(a.score, 0.0);
  EXPECT_TRUE(a.signals.empty());
  // Each removed line excuses one added line: a second copy is new content.
  auto b = score({file("src/run.js", {"  " + call, call}, {call})});
  EXPECT_EQ(b.components[1].evidence_count, 1u);
  // A whitespace change that creates a match is evidence: "chmod+x" is
  // another command than "chmod" with "+x".
  const std::string chmod = "ch" + std::string("mod");
  auto c = score({file("install.txt", {chmod + " +x run"}, {chmod + "+x run"})});
  EXPECT_EQ(c.components[3].evidence_count, 1u);
  EXPECT_TRUE(has(c, reason_code::permission_escalation));
}

TEST(RiskTest, InlineAllowCommentsDoNotSilenceTheGate) {
  auto a = score({file("src/config.py", {"k = '" + aws_key() + "'  # casm:allow"})});
  EXPECT_EQ(a.status, gate_status::block);
}

TEST(RiskTest, UnreadableChangedFileGates) {
  changed_file bin;
  bin.path = "assets/blob.bin";
  bin.readable = false;
  bin.unreadable_reason = "binary";
  auto a = score({bin});
  EXPECT_EQ(a.status, gate_status::gate);
  EXPECT_TRUE(a.unreadable_change);
  EXPECT_TRUE(has(a, reason_code::unreadable_change));
  EXPECT_TRUE(a.hitl_conditions_met.empty());  // no ruleset condition: it gates by itself
  EXPECT_NE(a.signals.at(0).message.find("binary"), std::string::npos);

  // Even under a ruleset with no require_hitl_if at all.
  ruleset lax;
  std::vector<config_error> errors;
  ASSERT_TRUE(parse_ruleset("lax.yaml",
                            "version: 0.1\nruleset: lax\nrisk_thresholds: {warn: 0.5, gate: 0.6, "
                            "block: 0.7}\ngating: {}\n",
                            lax, errors));
  std::string error;
  auto sc = build_heuristics_scanner(lax, &error);
  ASSERT_TRUE(sc) << error;
  EXPECT_EQ(score_diff(lax, *sc, {bin}, {}).status, gate_status::gate);
  EXPECT_EQ(score_diff(lax, *sc, {file("a.txt", {"x"})}, {}).status, gate_status::pass);
}

// n added lines, each holding `text`.
changed_file repeated(const std::string& path, const std::string& text, size_t n) {
  return file(path, std::vector<std::string>(n, text));
}

TEST(RiskTest, ScoreThresholdsGiveWarnGateAndBlock) {
  // Two saturated 0.25 components: 0.5 -> warn.
  auto warn = score({repeated("a.js", exec_call(), 40), repeated("b.sh.txt", sudo_call(), 40)});
  EXPECT_NEAR(warn.score, 0.5, 1e-9);
  EXPECT_EQ(warn.status, gate_status::warn);
  EXPECT_TRUE(has(warn, reason_code::score_warn));
  // + deserialization 0.20: 0.7 -> gate.
  auto gate = score({repeated("a.js", exec_call(), 40), repeated("b.txt", sudo_call(), 40),
                     repeated("c.py", pickle_call(), 40)});
  EXPECT_NEAR(gate.score, 0.7, 1e-9);
  EXPECT_EQ(gate.status, gate_status::gate);
  EXPECT_TRUE(has(gate, reason_code::score_gate));
  EXPECT_FALSE(has(gate, reason_code::score_warn));  // only the highest threshold crossed
  EXPECT_EQ(gate.hitl_conditions_met,
            (std::vector<gating_condition>{gating_condition::score_at_least_gate}));
  // + lockfile changes (dependency_risk 0.20): 0.9 -> block, with no secret.
  std::vector<dependency_manifest> locks;
  for (int i = 0; i < 40; ++i)
    locks.push_back(manifest("p" + std::to_string(i) + "/Cargo.lock", "a", "b"));
  auto block = score({repeated("a.js", exec_call(), 40), repeated("b.txt", sudo_call(), 40),
                      repeated("c.py", pickle_call(), 40)},
                     locks);
  EXPECT_NEAR(block.score, 0.9, 1e-9);
  EXPECT_EQ(block.status, gate_status::block);
  EXPECT_TRUE(has(block, reason_code::score_block));
  EXPECT_TRUE(has(block, reason_code::lockfile_change));
  EXPECT_EQ(block.block_conditions_met,
            (std::vector<gating_condition>{gating_condition::score_at_least_block}));
}

TEST(RiskTest, ContributionIsWeightTimesOneMinusTwoToTheMinusN) {
  for (uint32_t n : {1u, 2u, 3u, 10u}) {
    auto a = score({repeated("a.js", exec_call(), n)});
    EXPECT_EQ(a.components[1].evidence_count, n);
    EXPECT_EQ(a.components[1].contribution, 0.25 * (1 - std::ldexp(1.0, -static_cast<int>(n))));
    EXPECT_EQ(a.score, a.components[1].contribution);
  }
}

TEST(RiskTest, EveryReasonCodeIsTriggered) {
  std::set<reason_code> seen;
  auto collect = [&](const risk_assessment& a) {
    seen.insert(a.reason_codes.begin(), a.reason_codes.end());
  };
  collect(score({file(".github/workflows/ci.yml", {"x"}), file("package.json", {"x"})},
                {manifest("package.json", pkg_before, pkg_after)}));
  collect(score({file("a.py", {aws_key()})}));
  collect(score({repeated("a.js", exec_call(), 40), repeated("b", sudo_call(), 40)}));
  collect(score({repeated("a.js", exec_call(), 40), repeated("b", sudo_call(), 40),
                 repeated("c.py", pickle_call(), 40)}));
  std::vector<dependency_manifest> locks;
  for (int i = 0; i < 40; ++i)
    locks.push_back(manifest(std::to_string(i) + "/Cargo.lock", "a", "b"));
  collect(score({repeated("a.js", exec_call(), 40), repeated("b", sudo_call(), 40),
                 repeated("c.py", pickle_call(), 40)},
                locks));
  collect(score({file("package.json", {})},
                {manifest("package.json", pkg_before,
                          R"({"dependencies": {"express": "^5.0.0"}})")}));
  changed_file bin;
  bin.path = "x.bin";
  bin.readable = false;
  collect(score({bin}));
  for (const auto& [code, name] :
       std::vector<std::pair<reason_code, std::string>>{
         {reason_code::path_sensitive_high, "PATH_SENSITIVE_HIGH"},
         {reason_code::path_sensitive_medium, "PATH_SENSITIVE_MEDIUM"},
         {reason_code::secret_like, "SECRET_LIKE"},
         {reason_code::command_exec, "COMMAND_EXEC"},
         {reason_code::deserialization, "DESERIALIZATION"},
         {reason_code::permission_escalation, "PERMISSION_ESCALATION"},
         {reason_code::dep_change, "DEP_CHANGE"},
         {reason_code::dep_new, "DEP_NEW"},
         {reason_code::dep_major_bump, "DEP_MAJOR_BUMP"},
         {reason_code::lockfile_change, "LOCKFILE_CHANGE"},
         {reason_code::unreadable_change, "UNREADABLE_CHANGE"},
         {reason_code::score_warn, "SCORE_WARN"},
         {reason_code::score_gate, "SCORE_GATE"},
         {reason_code::score_block, "SCORE_BLOCK"}}) {
    EXPECT_TRUE(seen.count(code)) << name;
    EXPECT_EQ(to_string(code), name);
    EXPECT_EQ(parse_reason_code(name), code);
  }
}

// Evidence atoms for the property tests: each adds content to a diff.
struct diff_input {
  std::vector<changed_file> files;
  std::vector<dependency_manifest> manifests;
};

std::vector<std::function<void(diff_input&)>> atoms() {
  std::vector<std::function<void(diff_input&)>> out;
  auto add_line = [](std::string path, std::string text) {
    return [path, text](diff_input& d) {
      for (auto& f : d.files)
        if (f.path == path) {
          f.added_lines.push_back({static_cast<uint32_t>(f.added_lines.size() + 1), text});
          return;
        }
      d.files.push_back(file(path, {text}));
    };
  };
  auto add_file = [](std::string path) {
    return [path](diff_input& d) { d.files.push_back(file(path, {"x"})); };
  };
  for (int i = 0; i < 3; ++i) {
    out.push_back(add_line("src/a.js", exec_call()));
    out.push_back(add_line("src/b.py", pickle_call()));
    out.push_back(add_line("deploy.txt", sudo_call()));
    out.push_back(add_line("src/c.js", "let x = " + std::to_string(i) + ";"));
  }
  out.push_back(add_line("src/d.py", aws_key()));
  out.push_back(add_file(".github/workflows/ci" + std::string(".yml")));
  out.push_back(add_file("scripts/build.sh"));
  out.push_back(add_file("docs/readme.md"));
  out.push_back([](diff_input& d) { d.manifests.push_back(manifest("Cargo.lock", "a", "b")); });
  out.push_back([](diff_input& d) {
    d.manifests.push_back(manifest("py/requirements.txt", "a==1\n", "a==2\nb==1\n"));
  });
  changed_file bin;
  bin.path = "blob.bin";
  bin.readable = false;
  out.push_back([bin](diff_input& d) { d.files.push_back(bin); });
  return out;
}

int rank(gate_status s) { return static_cast<int>(s); }

TEST(RiskTest, MoreEvidenceNeverLowersTheScoreOrStatus) {
  const auto all = atoms();
  uint32_t x = 12345;
  auto next = [&x] {
    x = x * 1664525u + 1013904223u;
    return x >> 8;
  };
  for (int trial = 0; trial < 150; ++trial) {
    diff_input d;
    std::vector<size_t> order;
    for (size_t i = 0; i < all.size(); ++i)
      if (next() % 3 == 0) order.push_back(i);
    for (size_t i : order) all[i](d);
    const auto before = score(d.files, d.manifests);
    all[next() % all.size()](d);
    const auto after = score(d.files, d.manifests);
    ASSERT_GE(after.score, before.score) << "trial " << trial;
    ASSERT_GE(rank(after.status), rank(before.status)) << "trial " << trial;
    for (size_t c = 0; c < before.components.size(); ++c)
      ASSERT_GE(after.components[c].contribution, before.components[c].contribution);
  }
}

TEST(RiskTest, ScoreIsBoundedEvenWithEveryHeuristicFiringManyTimes) {
  std::vector<changed_file> files;
  for (const auto& text : {exec_call(), pickle_call(), sudo_call(), aws_key(),
                           private_key_header("RSA ")})
    files.push_back(repeated("f" + std::to_string(files.size()) + ".txt", text, 3000));
  std::vector<dependency_manifest> locks;
  for (int i = 0; i < 200; ++i) locks.push_back(manifest(std::to_string(i) + "/go.sum", "a", "b"));
  auto a = score(files, locks);
  EXPECT_EQ(a.score, 1.0);  // weights sum to 1.2, clipped
  double sum = 0;
  for (const auto& c : a.components) {
    EXPECT_GE(c.contribution, 0.0);
    EXPECT_LE(c.contribution, c.weight);
    EXPECT_LE(c.contribution, 1.0);
    sum += c.contribution;
  }
  EXPECT_GT(sum, 1.0);
  EXPECT_EQ(a.status, gate_status::block);
  EXPECT_EQ(score({}).score, 0.0);
}

TEST(RiskTest, OutputIsDeterministicAndIndependentOfInputOrder) {
  auto ci = file(".github/workflows/ci.yml", {exec_call(), "ok"});
  auto key = file("src/k.py", {aws_key()});
  auto pkg = file("package.json", {});
  std::vector<dependency_manifest> m{manifest("package.json", pkg_before, pkg_after),
                                     manifest("Cargo.lock", "a", "b")};
  auto a = score({ci, key, pkg}, m);
  auto b = score({pkg, key, ci}, {m[1], m[0]});
  ASSERT_EQ(a.signals.size(), b.signals.size());
  std::set<std::string> ids;
  for (size_t i = 0; i < a.signals.size(); ++i) {
    EXPECT_EQ(a.signals[i].signal_id, b.signals[i].signal_id);
    EXPECT_EQ(a.signals[i].message, b.signals[i].message);
    EXPECT_EQ(a.signals[i].signal_id.rfind("sig-", 0), 0u);
    ids.insert(a.signals[i].signal_id);
    if (i > 0) {
      const auto& p = a.signals[i - 1];
      EXPECT_LE(std::tie(p.file, p.line_start),
                std::tie(a.signals[i].file, a.signals[i].line_start));
    }
  }
  EXPECT_EQ(ids.size(), a.signals.size());
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.human_summary, b.human_summary);
  EXPECT_EQ(codes(a), codes(b));
}

TEST(RiskTest, RecordedEvidenceReScoresWithoutContent) {
  auto files = std::vector<changed_file>{file(".github/workflows/ci.yml", {exec_call()}),
                                         file("src/k.py", {aws_key()})};
  auto ev = collect_evidence(shipped_scanner(), files, {});
  ASSERT_EQ(ev.hits.size(), 2u);
  EXPECT_EQ(ev.hits[0].heuristic, "command_exec_additions");
  EXPECT_EQ(ev.hits[0].line_sha256, codec::sha256_hex(exec_call()));
  auto replayed = assess(shipped(), ev);
  auto live = score(files);
  EXPECT_EQ(replayed.score, live.score);
  EXPECT_EQ(replayed.status, live.status);
  ASSERT_EQ(replayed.signals.size(), live.signals.size());
  for (size_t i = 0; i < live.signals.size(); ++i)
    EXPECT_EQ(replayed.signals[i].signal_id, live.signals[i].signal_id);
}

// assess() compiles each ruleset's globs once per thread (compiled_glob_set).
// The signals must be those of uncompiled-per-call globs, and a ruleset
// whose globs differ must never be scored with another's.
TEST(RiskTest, CompiledGlobsFollowTheRulesetTheyCameFrom) {
  diff_evidence ev;
  for (const char* p : {"src/auth/login.js", "billing/x.py", "README.md", "web/package.json",
                        ".github/workflows/ci.yml", "ops/deploy.sh", "go.mod", "docs/a.md"})
    ev.files.push_back({p, "", messages::change_status::modified, true, ""});
  ev.files.push_back({"lib/new.js", "crypto/old.js", messages::change_status::renamed, true, ""});

  // What the globs say, each compiled on the spot.
  auto expected_paths = [&](const std::vector<std::string>& globs) {
    std::string error;
    auto set = glob_set::compile(globs, &error);
    EXPECT_TRUE(set) << error;
    std::vector<std::pair<std::string, std::string>> out;  // (file, pattern_id suffix)
    for (const auto& f : ev.files)
      if (int i = set->first_match_index(f.path, f.old_path); i >= 0)
        out.emplace_back(f.path, "[" + std::to_string(i) + "]");
    std::sort(out.begin(), out.end());
    return out;
  };
  auto signalled = [](const risk_assessment& a, const std::string& prefix) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& s : a.signals)
      if (s.evidence.pattern_id.rfind(prefix, 0) == 0)
        out.emplace_back(s.file, s.evidence.pattern_id.substr(prefix.size()));
    std::sort(out.begin(), out.end());
    return out;
  };

  const ruleset& a = shipped();
  ruleset b = shipped();
  b.high_paths = {"docs/**", "**/auth/**"};
  b.medium_paths = {"README.md"};
  b.dependency->files = {"go.mod"};

  for (int round = 0; round < 2; ++round) {  // the second round is served by the memo
    for (const ruleset* rs : {&a, static_cast<const ruleset*>(&b), &a}) {
      auto out = assess(*rs, ev);
      EXPECT_EQ(signalled(out, "path_sensitivity.high"), expected_paths(rs->high_paths));
      EXPECT_EQ(signalled(out, "path_sensitivity.medium"), expected_paths(rs->medium_paths));
      EXPECT_EQ(signalled(out, "diff_heuristics.dependency_risk.files"),
                expected_paths(rs->dependency->files));
      EXPECT_EQ(out.human_summary, assess(*rs, ev).human_summary);
    }
  }
  // The two rulesets really differ on these files.
  EXPECT_NE(expected_paths(a.high_paths), expected_paths(b.high_paths));
  EXPECT_TRUE(is_dependency_file(b, "go.mod"));
  EXPECT_FALSE(is_dependency_file(b, "package.json"));
  EXPECT_TRUE(is_dependency_file(a, "web/package.json"));
}

TEST(RiskTest, DependencyEvidenceFollowsTheRulesetsSignalsAndFiles) {
  // A minor bump and a removal are reported but are not weighted evidence.
  auto minor = score({file("package.json", {})},
                     {manifest("package.json", pkg_before,
                               R"({"dependencies": {"express": "^4.19.0"}})")});
  EXPECT_EQ(minor.components[4].evidence_count, 0u);
  EXPECT_TRUE(has(minor, reason_code::dep_change));
  EXPECT_EQ(minor.status, gate_status::gate);  // touches_dependency_files
  // A manifest outside the ruleset's dependency files is not scored.
  auto other = score({file("setup.cfg", {})}, {manifest("vendor/x/Pipfile", "a", "b")});
  EXPECT_TRUE(other.reason_codes.empty());
  // A changed lockfile with no texts supplied still counts.
  auto bare = score({file("web/yarn.lock", {})});
  EXPECT_TRUE(has(bare, reason_code::lockfile_change));
  EXPECT_EQ(bare.components[4].evidence_count, 1u);
  // A renamed file is checked under its old path too.
  changed_file moved = file("src/login.js", {});
  moved.status = change_status::renamed;
  moved.old_path = "src/auth/login.js";
  EXPECT_TRUE(has(score({moved}), reason_code::path_sensitive_high));
}

}  // namespace
}  // namespace casm::policy
