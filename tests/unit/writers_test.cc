// The shared artifact writers: issues.json, SARIF 2.1.0 and baselines.
// Every expectation is an exact value, so a changed field, order or mapping
// fails here before a consumer (GitHub code scanning, a CI script) breaks.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "messages/codec/json_text.h"
#include "policy/rule_pack.h"
#include "telemetry/baseline.h"
#include "telemetry/issues_writer.h"

namespace casm::telemetry {
namespace {

using codec::json;
using messages::finding;
using messages::severity;

std::string hex64(char c) { return std::string(64, c); }

finding make(std::string path, uint32_t line, uint32_t column, std::string rule_id,
             severity level, char fp) {
  finding f;
  f.rule_id = std::move(rule_id);
  f.family = f.rule_id.substr(0, f.rule_id.find('.'));
  f.level = level;
  f.path = std::move(path);
  f.line = line;
  f.column = column;
  f.end_column = column + 4;
  f.fingerprint = hex64(fp);
  f.preview = "preview of " + f.rule_id;
  f.message = "Message of " + f.rule_id + ".";
  f.secret = f.family == "secret";
  f.fixable = f.family == "whitespace";
  return f;
}

messages::audit_scope sample_scope() {
  messages::audit_scope s;
  s.tool_version = "0.1.0";
  s.rule_pack_hash = hex64('9');
  s.mode = "files";
  s.files_scanned = 12;
  s.bytes_scanned = 3456;
  s.skipped = {{"z.bin", "binary", 10, "a NUL byte in the first 8000 bytes"},
               {"big.log", "oversized", 5000000, "over max_file_bytes (1048576)"}};
  s.suppressed_inline = 1;
  s.suppressed_allowlist = 2;
  s.suppressed_baseline = 3;
  return s;
}

// Deliberately out of order: the writers sort.
std::vector<finding> sample_findings() {
  return {
    make("src/b.js", 1, 1, "todo.marker", severity::info, 'a'),
    make("src/a.js", 10, 3, "secret.aws_access_key_id", severity::high, 'b'),
    make("src/a.js", 2, 5, "risky_call.eval", severity::medium, 'c'),
    make("src/a.js", 2, 1, "whitespace.trailing", severity::info, 'd'),
    make("src/a.js", 2, 1, "debug.console_log", severity::low, 'e'),
  };
}

std::vector<std::string> order_of(const json& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings)
    out.push_back(f["path"].get<std::string>() + ":" + std::to_string(f["line"].get<int>()) +
                  ":" + std::to_string(f["column"].get<int>()) + ":" +
                  f["rule_id"].get<std::string>());
  return out;
}

TEST(WritersIssuesJson, DocumentHasEveryField) {
  const json doc = json::parse(render_issues_json(sample_findings(), sample_scope()));
  EXPECT_EQ(doc["schema_version"], "1");
  EXPECT_EQ(doc["tool"], (json{{"name", "casm"}, {"version", "0.1.0"},
                               {"rule_pack_hash", hex64('9')}}));
  const json& scope = doc["scope"];
  EXPECT_EQ(scope["mode"], "files");
  EXPECT_EQ(scope["repo"], "");
  EXPECT_EQ(scope["head_commit"], "");
  EXPECT_EQ(scope["base_commit"], "");
  EXPECT_EQ(scope["run_id"], "");
  EXPECT_EQ(scope["files_scanned"], 12);
  EXPECT_EQ(scope["bytes_scanned"], 3456);
  EXPECT_EQ(scope["commits_scanned"], 0);
  EXPECT_EQ(scope["suppressed"], (json{{"inline", 1}, {"allowlist", 2}, {"baseline", 3}}));
  ASSERT_EQ(scope["skipped"].size(), 2u);
  // Sorted by path.
  EXPECT_EQ(scope["skipped"][0], (json{{"path", "big.log"},
                                       {"reason", "oversized"},
                                       {"bytes", 5000000},
                                       {"detail", "over max_file_bytes (1048576)"}}));
  EXPECT_EQ(scope["skipped"][1]["path"], "z.bin");

  EXPECT_EQ(doc["summary"]["total"], 5);
  EXPECT_EQ(doc["summary"]["by_severity"],
            (json{{"high", 1}, {"medium", 1}, {"low", 1}, {"info", 2}}));
  EXPECT_EQ(doc["summary"]["by_family"], (json{{"debug", 1},
                                               {"risky_call", 1},
                                               {"secret", 1},
                                               {"todo", 1},
                                               {"whitespace", 1}}));

  const json& first = doc["findings"][0];
  EXPECT_EQ(first, (json{{"rule_id", "debug.console_log"},
                         {"family", "debug"},
                         {"severity", "low"},
                         {"path", "src/a.js"},
                         {"line", 2},
                         {"column", 1},
                         {"end_column", 5},
                         {"fingerprint", hex64('e')},
                         {"preview", "preview of debug.console_log"},
                         {"message", "Message of debug.console_log."},
                         {"secret", false},
                         {"fixable", false}}));
  EXPECT_FALSE(first.contains("commit"));
  EXPECT_FALSE(first.contains("path_b64"));
}

TEST(WritersIssuesJson, FindingsSortedByPathLineColumnRule) {
  const json doc = json::parse(render_issues_json(sample_findings(), sample_scope()));
  EXPECT_EQ(order_of(doc["findings"]),
            (std::vector<std::string>{"src/a.js:2:1:debug.console_log",
                                      "src/a.js:2:1:whitespace.trailing",
                                      "src/a.js:2:5:risky_call.eval",
                                      "src/a.js:10:3:secret.aws_access_key_id",
                                      "src/b.js:1:1:todo.marker"}));
}

TEST(WritersIssuesJson, SameInputSameBytesAndSortedKeys) {
  auto findings = sample_findings();
  const std::string a = render_issues_json(findings, sample_scope());
  std::reverse(findings.begin(), findings.end());
  EXPECT_EQ(a, render_issues_json(findings, sample_scope()));
  // nlohmann's default object sorts keys: "findings" comes before "schema_version".
  EXPECT_LT(a.find("\"findings\""), a.find("\"schema_version\""));
  EXPECT_EQ(a.back(), '\n');
}

TEST(WritersIssuesJson, CommitOnlyWhenSet) {
  auto f = make("a.c", 1, 1, "todo.marker", severity::info, 'a');
  f.commit = std::string(40, '1');
  const json doc = json::parse(render_issues_json({f}, sample_scope()));
  EXPECT_EQ(doc["findings"][0]["commit"], std::string(40, '1'));
}

TEST(WritersIssuesJson, NonUtf8PathKeepsExactBytes) {
  const std::string bytes = std::string("dir/caf\xE9-") + "\xFF.c";  // Latin-1 and a stray byte
  auto f = make(bytes, 3, 1, "todo.marker", severity::info, 'a');
  auto scope = sample_scope();
  scope.skipped.push_back({bytes, "binary", 1, "x"});
  scope.repo = "/repos/\xFE";
  std::string text;
  ASSERT_NO_THROW(text = render_issues_json({f}, scope));
  const json doc = json::parse(text);
  const json& jf = doc["findings"][0];
  EXPECT_EQ(jf["path"], "dir/caf\\xe9-\\xff.c");
  EXPECT_EQ(codec::base64_decode(jf["path_b64"].get<std::string>()), bytes);
  EXPECT_EQ(codec::get_bytes(jf, "path"), bytes);
  // Skipped entries sort by path: big.log, dir/caf..., z.bin.
  EXPECT_EQ(codec::get_bytes(doc["scope"]["skipped"][1], "path"), bytes);
  EXPECT_EQ(codec::get_bytes(doc["scope"], "repo"), "/repos/\xFE");
}

TEST(WritersIssuesJson, EmptyFindingsStillCountEverySeverity) {
  const json doc = json::parse(render_issues_json({}, messages::audit_scope{}));
  EXPECT_EQ(doc["summary"]["total"], 0);
  EXPECT_EQ(doc["summary"]["by_severity"],
            (json{{"high", 0}, {"medium", 0}, {"low", 0}, {"info", 0}}));
  EXPECT_EQ(doc["summary"]["by_family"], json::object());
  EXPECT_EQ(doc["findings"], json::array());
  EXPECT_EQ(doc["scope"]["skipped"], json::array());
}

// docs/schemas/issues.schema.json and the writer agree: every key the writer
// emits is declared, and every required key is emitted.
void expect_matches_schema(const json& value, const json& schema, const json& defs,
                           const std::string& where) {
  const json& s = schema.contains("$ref")
                    ? defs[schema["$ref"].get<std::string>().substr(std::string("#/$defs/").size())]
                    : schema;
  if (!value.is_object() && !value.is_array()) return;
  if (value.is_array()) {
    for (const auto& item : value) expect_matches_schema(item, s["items"], defs, where + "[]");
    return;
  }
  if (s.contains("required"))
    for (const auto& k : s["required"])
      EXPECT_TRUE(value.contains(k.get<std::string>())) << where << " lacks " << k;
  for (const auto& [k, v] : value.items()) {
    if (s.contains("properties") && s["properties"].contains(k))
      expect_matches_schema(v, s["properties"][k], defs, where + "." + k);
    else
      EXPECT_TRUE(s.contains("additionalProperties") && s["additionalProperties"].is_object())
          << where << "." << k << " is not in the schema";
  }
}

TEST(WritersIssuesJson, OutputMatchesTheShippedSchema) {
  std::ifstream in(std::string(CASM_SOURCE_DIR) + "/docs/schemas/issues.schema.json");
  ASSERT_TRUE(in) << "docs/schemas/issues.schema.json is missing";
  const json schema = json::parse(in);
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  auto findings = sample_findings();
  findings[0].commit = std::string(40, 'c');
  findings[1].path = "\xFF.c";
  auto scope = sample_scope();
  scope.repo = "\xFE";
  const json doc = json::parse(render_issues_json(findings, scope));
  expect_matches_schema(doc, schema, schema["$defs"], "issues");
}

// --- SARIF ------------------------------------------------------------------

const json& result_for(const json& sarif, const std::string& rule_id) {
  for (const auto& r : sarif["runs"][0]["results"])
    if (r["ruleId"] == rule_id) return r;
  static const json none;
  return none;
}

TEST(WritersSarif, RequiredStructure) {
  const auto rules = policy::rule_infos(policy::builtin_rules());
  const json s = json::parse(render_sarif(sample_findings(), sample_scope(), rules));
  EXPECT_EQ(s["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
  EXPECT_EQ(s["version"], "2.1.0");
  ASSERT_EQ(s["runs"].size(), 1u);
  const json& run = s["runs"][0];
  const json& driver = run["tool"]["driver"];
  EXPECT_EQ(driver["name"], "casm");
  EXPECT_EQ(driver["version"], "0.1.0");
  EXPECT_FALSE(driver.contains("informationUri"));
  ASSERT_EQ(driver["rules"].size(), rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    const json& r = driver["rules"][i];
    EXPECT_EQ(r["id"], rules[i].id);
    EXPECT_TRUE(r["name"].is_string() && !r["name"].get<std::string>().empty());
    EXPECT_EQ(r["shortDescription"]["text"], rules[i].message);
    EXPECT_TRUE(r["defaultConfiguration"]["level"].is_string());
    EXPECT_EQ(r["properties"]["tags"].back(), rules[i].family);
  }
  EXPECT_EQ(run["invocations"], (json::array({{{"executionSuccessful", true}}})));
  EXPECT_EQ(run["properties"]["files_scanned"], 12);
  EXPECT_EQ(run["properties"]["bytes_scanned"], 3456);
  EXPECT_EQ(run["properties"]["files_skipped"], 2);
  EXPECT_EQ(run["properties"]["suppressed"]["baseline"], 3);
  ASSERT_EQ(run["results"].size(), 5u);
  for (const auto& r : run["results"]) {
    for (const char* k : {"ruleId", "ruleIndex", "level", "message", "locations",
                          "partialFingerprints"})
      EXPECT_TRUE(r.contains(k)) << k;
    // ruleIndex points at the rule with that id.
    EXPECT_EQ(driver["rules"][r["ruleIndex"].get<size_t>()]["id"], r["ruleId"]);
  }
}

TEST(WritersSarif, LevelsFollowTheSeverityVocabulary) {
  const json s = json::parse(
    render_sarif(sample_findings(), sample_scope(), policy::rule_infos(policy::builtin_rules())));
  EXPECT_EQ(result_for(s, "secret.aws_access_key_id")["level"], "error");
  EXPECT_EQ(result_for(s, "risky_call.eval")["level"], "warning");
  EXPECT_EQ(result_for(s, "debug.console_log")["level"], "note");
  EXPECT_EQ(result_for(s, "todo.marker")["level"], "note");
}

// The rule catalog is rendered once per catalog and spliced into each
// document: the text must be exactly what one dump(2) of the whole document
// gives (indentation included), for the catalog it was given.
TEST(WritersSarif, TheSplicedRuleCatalogIsExactlyAPlainRendering) {
  auto rules = policy::rule_infos(policy::builtin_rules());
  for (int pass = 0; pass < 2; ++pass) {  // the second is served from the memo
    const std::string text = render_sarif(sample_findings(), sample_scope(), rules);
    EXPECT_EQ(json::parse(text).dump(2) + "\n", text);
    EXPECT_EQ(text.find("casm:rules"), std::string::npos);
  }
  // Another catalog is not served the first one's rendering.
  rules.resize(2);
  rules[1].message = "changed";
  const std::string text = render_sarif({}, sample_scope(), rules);
  EXPECT_EQ(json::parse(text).dump(2) + "\n", text);
  const json doc = json::parse(text);
  const json& list = doc["runs"][0]["tool"]["driver"]["rules"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["shortDescription"]["text"], "changed");
  // No rules at all: an empty array.
  EXPECT_EQ(json::parse(render_sarif({}, sample_scope(), {}))["runs"][0]["tool"]["driver"]["rules"],
            json::array());
}

TEST(WritersSarif, SecuritySeverityOnlyForSecurityFamilies) {
  const auto rules = policy::rule_infos(policy::builtin_rules());
  const json s = json::parse(render_sarif({}, sample_scope(), rules));
  const json& list = s["runs"][0]["tool"]["driver"]["rules"];
  const json& aws = list[policy::find_rule(policy::builtin_rules(), "secret.aws_access_key_id")];
  EXPECT_EQ(aws["properties"]["security-severity"], "8.0");
  EXPECT_EQ(aws["properties"]["tags"], (json{"security", "secret"}));
  EXPECT_EQ(aws["defaultConfiguration"]["level"], "error");
  EXPECT_EQ(aws["name"], "SecretAwsAccessKeyId");
  const json& eval = list[policy::find_rule(policy::builtin_rules(), "risky_call.eval")];
  EXPECT_EQ(eval["properties"]["security-severity"], "5.0");
  const json& todo = list[policy::find_rule(policy::builtin_rules(), "todo.marker")];
  EXPECT_FALSE(todo["properties"].contains("security-severity"));
  EXPECT_EQ(todo["properties"]["tags"], (json{"todo"}));
}

TEST(WritersSarif, LocationRegionAndFingerprint) {
  auto f = make("src/my file#1.c", 7, 3, "todo.marker", severity::info, 'f');
  f.end_column = 7;
  auto whole = make("big.log", 0, 0, "oversized.file", severity::low, '0');
  whole.end_column = 0;
  auto history = make("h.c", 1, 1, "todo.marker", severity::info, '1');
  history.commit = std::string(40, 'c');
  const json s =
    json::parse(render_sarif({f, whole, history}, sample_scope(), policy::rule_infos(policy::builtin_rules())));
  const json& results = s["runs"][0]["results"];
  ASSERT_EQ(results.size(), 3u);
  // Sorted: big.log, h.c, src/my file#1.c.
  const json& w = results[0]["locations"][0]["physicalLocation"];
  EXPECT_EQ(w["artifactLocation"]["uri"], "big.log");
  EXPECT_EQ(w["region"], (json{{"startLine", 1}}));
  EXPECT_EQ(results[1]["properties"]["commit"], std::string(40, 'c'));
  EXPECT_FALSE(results[2]["properties"].contains("commit"));
  const json& loc = results[2]["locations"][0]["physicalLocation"];
  EXPECT_EQ(loc["artifactLocation"]["uri"], "src/my%20file%231.c");
  EXPECT_EQ(loc["region"], (json{{"startLine", 7}, {"startColumn", 3}, {"endColumn", 7}}));
  EXPECT_EQ(results[2]["partialFingerprints"], (json{{"casm/v1", hex64('f')}}));
  EXPECT_EQ(results[2]["message"]["text"], "Message of todo.marker.");
}

TEST(WritersSarif, UnknownRuleHasNoRuleIndex) {
  auto f = make("a.c", 1, 1, "custom.rule", severity::medium, 'a');
  const json s = json::parse(render_sarif({f}, sample_scope(), policy::rule_infos(policy::builtin_rules())));
  EXPECT_FALSE(s["runs"][0]["results"][0].contains("ruleIndex"));
  EXPECT_EQ(s["runs"][0]["results"][0]["ruleId"], "custom.rule");
}

TEST(WritersSarif, UriPercentEncodesEverythingButUnreservedAndSlash) {
  EXPECT_EQ(path_to_uri("a/B-c_d.e~f/0.9"), "a/B-c_d.e~f/0.9");
  EXPECT_EQ(path_to_uri("a b%c?d#e"), "a%20b%25c%3Fd%23e");
  EXPECT_EQ(path_to_uri(std::string("x\xFF\x01y")), "x%FF%01y");
  EXPECT_EQ(path_to_uri("caf\xC3\xA9"), "caf%C3%A9");  // UTF-8 is bytes too
}

// --- baselines -----------------------------------------------------------------

TEST(BaselineFile, RoundTripSortedWithoutDuplicates) {
  auto findings = sample_findings();
  findings.push_back(findings[0]);  // the same fingerprint twice
  const std::string text = render_baseline(findings);
  const json doc = json::parse(text);
  EXPECT_EQ(doc["casm_baseline"], 1);
  ASSERT_EQ(doc["fingerprints"].size(), 5u);
  EXPECT_EQ(doc["fingerprints"][0], (json{{"fingerprint", hex64('e')},
                                          {"path", "src/a.js"},
                                          {"rule_id", "debug.console_log"}}));
  EXPECT_EQ(doc["fingerprints"][4]["path"], "src/b.js");
  // One entry per line, so baseline diffs read as lists.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 10);

  std::string error;
  const auto set = parse_baseline(text, &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(set, (std::set<std::string>{hex64('a'), hex64('b'), hex64('c'), hex64('d'),
                                        hex64('e')}));
}

TEST(BaselineFile, EmptyBaselineRoundTrips) {
  std::string error;
  EXPECT_EQ(parse_baseline(render_baseline({}), &error), std::set<std::string>{});
  EXPECT_EQ(error, "");
  EXPECT_EQ(parse_baseline("", &error), std::set<std::string>{});
  EXPECT_EQ(error, "");
}

TEST(BaselineFile, NonUtf8PathInBaselineIsLossless) {
  auto f = make(std::string("\xFF.c"), 1, 1, "todo.marker", severity::info, 'a');
  const json doc = json::parse(render_baseline({f}));
  EXPECT_EQ(codec::get_bytes(doc["fingerprints"][0], "path"), std::string("\xFF.c"));
}

TEST(BaselineFile, PlainTextWithCommentsCrlfAndUpperCase) {
  const std::string text = "# accepted on 2026-01-01\r\n" + hex64('A') + "\r\n\n   " +
                           hex64('b') + "   # a trailing comment\n";
  std::string error;
  const auto set = parse_baseline(text, &error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(set, (std::set<std::string>{hex64('a'), hex64('b')}));
}

TEST(BaselineFile, BadPlainLineIsNamedAndNotQuoted) {
  const std::string text = hex64('a') + "\n# ok\nhunter2-not-a-fingerprint\n" + hex64('b');
  std::string error;
  const auto set = parse_baseline(text, &error);
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(error.rfind("line 3: ", 0), 0u) << error;
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  // One sentence: no newline.
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(BaselineFile, BadJsonEntryIsNamedByLine) {
  const std::string text = "{\n  \"casm_baseline\": 1,\n  \"fingerprints\": [\n    {\"fingerprint\": \"" +
                           hex64('a') + "\"},\n    {\"fingerprint\": \"short\"}\n  ]\n}\n";
  std::string error;
  EXPECT_TRUE(parse_baseline(text, &error).empty());
  EXPECT_EQ(error, "line 5: entry 2 of \"fingerprints\" has no 64-hex-digit \"fingerprint\"");
}

TEST(BaselineFile, InvalidJsonNamesTheLine) {
  std::string error;
  EXPECT_TRUE(parse_baseline("{\n  \"casm_baseline\": 1,\n  \"fingerprints\": [\n  oops\n", &error)
                .empty());
  EXPECT_EQ(error, "line 4: the baseline is not valid JSON");
}

TEST(BaselineFile, WrongVersionIsRefused) {
  std::string error;
  EXPECT_TRUE(parse_baseline("{\n\"casm_baseline\": 2, \"fingerprints\": []}", &error).empty());
  EXPECT_EQ(error, "line 2: casm_baseline must be 1, the only version this casm reads");
  EXPECT_TRUE(parse_baseline("{\"fingerprints\": []}", &error).empty());
  EXPECT_EQ(error.rfind("line 1: ", 0), 0u) << error;
}

TEST(BaselineFile, FingerprintShape) {
  EXPECT_TRUE(is_fingerprint(hex64('f')));
  EXPECT_TRUE(is_fingerprint(hex64('F')));
  EXPECT_FALSE(is_fingerprint(hex64('g')));
  EXPECT_FALSE(is_fingerprint(std::string(63, 'a')));
  EXPECT_FALSE(is_fingerprint(""));
}

}  // namespace
}  // namespace casm::telemetry
