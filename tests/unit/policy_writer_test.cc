// policy_decisions.json (telemetry/policy_decisions_writer.h) and the JSON
// forms of the policy gate's data (messages/data/risk.h): exact field
// shapes, optional fields left out, every document valid under the shipped
// schema (Debian's python3-jsonschema, draft 2020-12), and evidence that
// round-trips through its JSON form to the same assessment, as replay needs.
//
// Risky text is assembled at run time from split literals, so CASM auditing
// its own repository finds none of it in this file.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "messages/codec/ulid.h"
#include "messages/data/risk.h"
#include "policy/dependency_diff.h"
#include "policy/risk.h"
#include "policy/ruleset.h"
#include "telemetry/policy_decisions_writer.h"
#include "tests/unit/test_util.h"

namespace casm::telemetry {
namespace {

using codec::json;
using messages::gate_status;
using messages::policy_run_info;
using messages::reason_code;
using messages::risk_assessment;

const std::string schema_path =
  std::string(CASM_SOURCE_DIR) + "/docs/schemas/policy_decisions.schema.json";

const policy::ruleset& shipped() {
  static const policy::ruleset rs = [] {
    policy::ruleset out;
    std::vector<codec::config_error> errors;
    const std::string text =
      test::slurp(std::string(CASM_SOURCE_DIR) + "/config/rulesets/default.devtools.yaml");
    if (!policy::parse_ruleset("default.devtools.yaml", text, out, errors))
      for (const auto& e : errors) ADD_FAILURE() << e.to_string();
    return out;
  }();
  return rs;
}

const policy::scanner& heuristics() {
  static const std::optional<policy::scanner> s = [] {
    std::string error;
    auto compiled = policy::build_heuristics_scanner(shipped(), &error);
    if (!compiled) ADD_FAILURE() << error;
    return compiled;
  }();
  return *s;
}

std::string aws_key() { return "AK" + std::string("IA") + "Q2W3E4R5T6Y7U8I9"; }

policy::changed_file added(std::string path, std::vector<std::string> lines) {
  policy::changed_file f;
  f.path = std::move(path);
  for (size_t i = 0; i < lines.size(); ++i)
    f.added_lines.push_back({static_cast<uint32_t>(i + 1), lines[i]});
  return f;
}

// The seed's example: a workflow gains a step, package.json a dependency.
std::vector<policy::changed_file> seed_files() {
  auto ci = added(".github/workflows/ci.yml", {"      - run: npm run lint"});
  auto pkg = added("package.json", {"    \"left-pad\": \"^1.3.0\","});
  return {ci, pkg};
}

std::vector<policy::dependency_manifest> seed_manifests() {
  return {{"package.json", std::string(R"({"dependencies": {"express": "^4.18.2"}})"),
           std::string(R"({"dependencies": {"express": "^4.18.2", "left-pad": "^1.3.0"}})")}};
}

risk_assessment seed_assessment() {
  return policy::score_diff(shipped(), heuristics(), seed_files(), seed_manifests());
}

risk_assessment secret_assessment() {
  auto f = added("src/config.py", {"import os", "key = \"" + aws_key() + "\""});
  f.hunks.push_back({0, 0, 1, 2, std::string(64, 'a')});
  return policy::score_diff(shipped(), heuristics(), {f}, {});
}

const std::string run_id = codec::make_ulid(1700000000000ULL, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});

policy_run_info run_for(const risk_assessment& a) {
  policy_run_info run;
  run.run_id = run_id;
  run.template_id = "repo-auditor";
  run.repo = {messages::repo_type::local, "/src/demo"};
  run.started_at = "2026-01-02T03:04:05.678Z";
  run.base = std::string(40, 'b');
  run.head = std::string(40, 'c');
  run.ruleset = {"default.devtools", std::string(64, 'd'), messages::ruleset_source::bundled};
  run.hitl = pending_hitl(a, messages::hitl_mode::local);
  run.decisions = gate_decisions(a, run_id, "policy_gate", true);
  run.redaction.notes = "no snippets";
  return run;
}

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.insert(it.key());
  return out;
}

// Validates each document under the shipped schema in one python run; the
// output lists every violation.
testing::AssertionResult valid_under_schema(const std::vector<std::string>& docs) {
  test::temp_dir dir;
  std::string args;
  for (size_t i = 0; i < docs.size(); ++i) {
    const auto p = dir.path() / ("doc" + std::to_string(i) + ".json");
    test::spit(p, docs[i]);
    args += " '" + p.string() + "'";
  }
  const auto report = dir.path() / "report.txt";
  const std::string script =
    "import jsonschema,json,sys\n"
    "schema=json.load(open(sys.argv[1]))\n"
    "jsonschema.Draft202012Validator.check_schema(schema)\n"
    "v=jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())\n"
    "bad=0\n"
    "for p in sys.argv[2:]:\n"
    "  for e in v.iter_errors(json.load(open(p))):\n"
    "    bad+=1; print(p, list(e.absolute_path), e.message)\n"
    "sys.exit(1 if bad else 0)\n";
  const auto script_path = dir.path() / "check.py";
  test::spit(script_path, script);
  const std::string cmd = "/usr/bin/python3 '" + script_path.string() + "' '" + schema_path +
                          "'" + args + " > '" + report.string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "schema violations:\n" << test::slurp(report);
}

// --- PolicyWriterTest ------------------------------------------------------

TEST(PolicyWriterTest, SeedExampleHasTheSchemasShape) {
  const auto a = seed_assessment();
  ASSERT_EQ(a.status, gate_status::gate);
  const json doc = json::parse(render_policy_decisions(a, run_for(a)));

  EXPECT_EQ(keys(doc), (std::set<std::string>{"schema_version", "run", "ruleset", "summary",
                                              "risk", "signals", "decisions", "hitl",
                                              "redaction"}));
  EXPECT_EQ(doc["schema_version"], "0.1");
  EXPECT_EQ(doc["run"], (json{{"run_id", run_id},
                              {"template_id", "repo-auditor"},
                              {"repo", {{"type", "local"}, {"id", "/src/demo"}}},
                              {"started_at", "2026-01-02T03:04:05.678Z"},
                              {"commit", {{"base", std::string(40, 'b')},
                                          {"head", std::string(40, 'c')}}}}));
  EXPECT_EQ(doc["ruleset"], (json{{"id", "default.devtools"},
                                  {"hash", std::string(64, 'd')},
                                  {"source", "bundled"}}));
  EXPECT_EQ(doc["summary"]["status"], "gate");
  EXPECT_EQ(doc["summary"]["reason_codes"],
            (json{"PATH_SENSITIVE_HIGH", "PATH_SENSITIVE_MEDIUM", "DEP_CHANGE", "DEP_NEW"}));
  EXPECT_EQ(doc["summary"]["human_summary"], a.human_summary);

  EXPECT_EQ(doc["risk"]["score"], 0.10);
  EXPECT_EQ(doc["risk"]["thresholds"], (json{{"warn", 0.40}, {"gate", 0.65}, {"block", 0.85}}));
  ASSERT_EQ(doc["risk"]["components"].size(), 5u);
  EXPECT_EQ(doc["risk"]["components"][4], (json{{"name", "dependency_risk"},
                                                {"weight", 0.20},
                                                {"contribution", 0.10},
                                                {"evidence_count", 1}}));

  // Path and dependency signals are about files, not lines: no line range
  // (the schema's minimum is 1), no digest.
  ASSERT_FALSE(doc["signals"].empty());
  for (const auto& s : doc["signals"]) {
    EXPECT_FALSE(s.contains("line_start")) << s.dump();
    EXPECT_FALSE(s.contains("line_end")) << s.dump();
    EXPECT_FALSE(s["evidence"].contains("diff_hunk_sha256")) << s.dump();
    EXPECT_TRUE(s["signal_id"].get<std::string>().rfind("sig-", 0) == 0);
  }
  const json& high = doc["signals"][0];
  EXPECT_EQ(high["file"], ".github/workflows/ci.yml");
  EXPECT_EQ(high["type"], "path_sensitivity");
  EXPECT_EQ(high["severity"], "high");
  EXPECT_EQ(high["evidence"], (json{{"kind", "path"}, {"pattern_id", "path_sensitivity.high[7]"}}));

  ASSERT_EQ(doc["decisions"].size(), 2u);
  const json& gate = doc["decisions"][0];
  EXPECT_EQ(keys(gate),
            (std::set<std::string>{"decision_id", "stage", "action", "status", "reason_codes"}));
  EXPECT_EQ(gate["action"], "gate");
  EXPECT_EQ(gate["status"], "pending_hitl");
  EXPECT_EQ(gate["stage"], "policy_gate");
  EXPECT_TRUE(codec::is_ulid(gate["decision_id"].get<std::string>()));
  const json& scope = doc["decisions"][1];
  EXPECT_EQ(scope["action"], "scope_reduce");
  EXPECT_EQ(scope["status"], "applied");
  EXPECT_EQ(scope["reason_codes"], (json{"PATH_SENSITIVE_HIGH", "DEP_CHANGE", "DEP_NEW"}));
  EXPECT_EQ(scope["scope_reduction"]["deny_files"],
            (json{".github/workflows/ci.yml", "package.json"}));
  EXPECT_EQ(scope["scope_reduction"]["allow_files"], json::array());
  EXPECT_NE(scope["decision_id"], gate["decision_id"]);

  EXPECT_EQ(doc["hitl"], (json{{"required", true}, {"mode", "local"}, {"status", "pending"}}));
  EXPECT_EQ(doc["redaction"],
            (json{{"secrets", true}, {"snippets_included", false}, {"notes", "no snippets"}}));
}

TEST(PolicyWriterTest, PatternSignalHasLineRangeAndHunkDigestButNoText) {
  const auto a = secret_assessment();
  ASSERT_EQ(a.status, gate_status::block);
  const std::string text = render_policy_decisions(a, run_for(a));
  EXPECT_EQ(text.find(aws_key()), std::string::npos);
  EXPECT_EQ(text.find("Q2W3E4R5"), std::string::npos);
  const json doc = json::parse(text);
  ASSERT_EQ(doc["signals"].size(), 1u);
  const json& s = doc["signals"][0];
  EXPECT_EQ(s["line_start"], 2);
  EXPECT_EQ(s["line_end"], 2);
  EXPECT_EQ(s["type"], "secret_like");
  EXPECT_EQ(s["evidence"], (json{{"kind", "pattern"},
                                 {"pattern_id", "heuristic.secret_like_patterns.0"},
                                 {"diff_hunk_sha256", std::string(64, 'a')}}));
  // A block is final: one decision, no scope to suggest, no human to ask.
  ASSERT_EQ(doc["decisions"].size(), 1u);
  EXPECT_EQ(doc["decisions"][0]["action"], "block");
  EXPECT_EQ(doc["decisions"][0]["status"], "applied");
  EXPECT_EQ(doc["hitl"], (json{{"required", false}, {"mode", "none"}, {"status", "not_required"}}));
}

TEST(PolicyWriterTest, CleanChangeIsOneAllowDecision) {
  const auto a = policy::score_diff(shipped(), heuristics(), {added("README.md", {"hello"})}, {});
  ASSERT_EQ(a.status, gate_status::pass);
  auto run = run_for(a);
  run.decisions = gate_decisions(a, run_id, "policy_gate", false);
  const json doc = json::parse(render_policy_decisions(a, run));
  EXPECT_EQ(doc["signals"], json::array());
  EXPECT_EQ(doc["summary"]["reason_codes"], json::array());
  ASSERT_EQ(doc["decisions"].size(), 1u);
  EXPECT_EQ(doc["decisions"][0]["action"], "allow");
  EXPECT_EQ(doc["decisions"][0]["status"], "applied");
  EXPECT_EQ(doc["decisions"][0]["reason_codes"], json::array());
}

TEST(PolicyWriterTest, SuggestedScopeIsSkippedWhenNotEnforced) {
  const auto a = seed_assessment();
  const auto d = gate_decisions(a, run_id, "score", false);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].status, messages::decision_status::skipped);
  // Derived ids: the same on every call, different per stage.
  EXPECT_EQ(gate_decisions(a, run_id, "score", false)[0].decision_id, d[0].decision_id);
  EXPECT_NE(gate_decisions(a, run_id, "patch_gate", false)[0].decision_id, d[0].decision_id);
}

TEST(PolicyWriterTest, ApprovalOnlyWhenSet) {
  const auto a = seed_assessment();
  auto run = run_for(a);
  EXPECT_FALSE(json::parse(render_policy_decisions(a, run))["hitl"].contains("approval"));
  run.hitl.status = messages::hitl_status::approved;
  run.hitl.approval = messages::hitl_approval{"alice", "2026-01-02T04:00:00.000Z", "reviewed"};
  EXPECT_EQ(json::parse(render_policy_decisions(a, run))["hitl"]["approval"],
            (json{{"approved_by", "alice"},
                  {"approved_at", "2026-01-02T04:00:00.000Z"},
                  {"reason", "reviewed"}}));
}

TEST(PolicyWriterTest, NonUtf8PathIsWrittenAsDisplayText) {
  auto f = added("caf\xE9/auth/x.py", {"x = 1"});
  const auto a = policy::score_diff(shipped(), heuristics(), {f}, {});
  auto run = run_for(a);
  run.repo.id = "/tmp/r\xFF";
  const json doc = json::parse(render_policy_decisions(a, run));
  EXPECT_EQ(doc["signals"][0]["file"], "caf\\xe9/auth/x.py");
  EXPECT_EQ(doc["run"]["repo"]["id"], "/tmp/r\\xff");
  EXPECT_FALSE(doc["signals"][0].contains("file_b64"));  // the schema has no room for it
}

TEST(PolicyWriterTest, SameInputsSameBytes) {
  const auto a = seed_assessment();
  const std::string first = render_policy_decisions(a, run_for(a));
  EXPECT_EQ(render_policy_decisions(seed_assessment(), run_for(a)), first);
  EXPECT_EQ(first.back(), '\n');
}

TEST(PolicyWriterTest, EveryShapeValidatesUnderTheShippedSchema) {
  std::vector<std::string> docs;
  for (const auto& a : {seed_assessment(), secret_assessment(),
                        policy::score_diff(shipped(), heuristics(),
                                           {added("caf\xE9/auth/x.py", {"x = 1"})}, {})}) {
    auto run = run_for(a);
    docs.push_back(render_policy_decisions(a, run));
    run.hitl.status = messages::hitl_status::approved;
    run.hitl.approval = messages::hitl_approval{"bob", "2026-01-02T04:00:00.000Z", "ok"};
    docs.push_back(render_policy_decisions(a, run));
  }
  EXPECT_TRUE(valid_under_schema(docs));
}

TEST(PolicyWriterTest, SchemaCheckCatchesAnExtraField) {
  const auto a = seed_assessment();
  json doc = json::parse(render_policy_decisions(a, run_for(a)));
  doc["signals"][0]["text"] = "a snippet";
  EXPECT_FALSE(valid_under_schema({doc.dump()}));
  doc = json::parse(render_policy_decisions(a, run_for(a)));
  doc["signals"][0]["line_start"] = 0;
  EXPECT_FALSE(valid_under_schema({doc.dump()}));
}

// --- The direct writer is byte-identical to the nlohmann DOM it replaced ------

// Every shape: the seed's (gate, scope), a secret (block, line range, hunk
// digest), a clean change (empty lists), a path that is not UTF-8, plus
// hand-made variations of the run info and the assessment below.
std::vector<std::pair<risk_assessment, policy_run_info>> varied_inputs() {
  std::vector<std::pair<risk_assessment, policy_run_info>> out;
  for (const auto& a :
       {seed_assessment(), secret_assessment(),
        policy::score_diff(shipped(), heuristics(), {added("README.md", {"hello"})}, {}),
        policy::score_diff(shipped(), heuristics(), {added("caf\xE9/auth/x.py", {"x = 1"})}, {})}) {
    out.emplace_back(a, run_for(a));
    auto run = run_for(a);
    run.decisions = gate_decisions(a, run_id, "patch_gate", false);
    run.hitl.status = messages::hitl_status::approved;
    run.hitl.approval = messages::hitl_approval{"al\"ice\\ \xC3\xA9", "2026-01-02T04:00:00.000Z",
                                                "line\nbreak\ttab \x01 \x1F end"};
    out.emplace_back(a, run);
  }
  // Empty everything: no components, signals, decisions or codes.
  risk_assessment empty;
  policy_run_info bare;
  out.emplace_back(empty, bare);
  // Escapes and odd bytes in every text field; doubles of every kind.
  risk_assessment odd = seed_assessment();
  odd.score = 1.0 / 3.0;
  odd.thresholds = {0.0, 1.0, 1e-7};
  odd.human_summary = "quote \" backslash \\ slash / ctl \x02\x7F \xE2\x82\xAC bad \xFF";
  odd.components.push_back({"big", 123456789.125, 1e300, 4294967295u});
  odd.components.push_back({"neg", -0.5, -2.5e-12, 0});
  odd.reason_codes.clear();
  messages::risk_signal sig;
  sig.signal_id = "sig-0123456789abcdef";
  sig.file = "dir with \"quotes\"/\xF0\x9F\x98\x80.txt";
  sig.message = "a\r\nb\b\f";
  sig.line_start = 7;
  sig.line_end = 3;  // written as max(line_end, line_start)
  sig.evidence.kind = messages::evidence_kind::diff_hunk;
  sig.evidence.diff_hunk_sha256 = std::string(64, 'f');
  sig.evidence.pattern_id = "p\\1";
  odd.signals.push_back(sig);
  sig.line_start = 0;
  sig.evidence.pattern_id.clear();
  sig.evidence.diff_hunk_sha256.clear();
  odd.signals.push_back(sig);
  auto odd_run = run_for(odd);
  odd_run.template_id = "t\"\\\n";
  odd_run.repo = {messages::repo_type::github, "owner/na\xE9me"};
  odd_run.redaction = {false, true, ""};
  messages::policy_decision d;
  d.decision_id = "id";
  d.stage = "st\"age";
  d.action = messages::decision_action::scope_reduce;
  d.status = messages::decision_status::skipped;
  d.scope_reduction = messages::scope_reduction{{"a", "b\xFF", "c\n"}, {}, "notes \\ here"};
  odd_run.decisions.push_back(d);
  d.scope_reduction = messages::scope_reduction{{}, {"only-deny"}, ""};
  odd_run.decisions.push_back(d);
  out.emplace_back(odd, odd_run);
  return out;
}

TEST(PolicyWriterTest, DirectTextIsByteIdenticalToTheNlohmannDump) {
  const auto inputs = varied_inputs();
  ASSERT_GE(inputs.size(), 10u);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& [a, run] = inputs[i];
    EXPECT_EQ(render_policy_decisions(a, run), render_policy_decisions_dom(a, run))
      << "input " << i;
  }
}

TEST(PolicyWriterTest, RawFieldThatIsNotUtf8ThrowsAsBefore) {
  // Fields nlohmann takes as is (ids, stages, commits) throw when not UTF-8;
  // the direct writer leaves those to it, so the error is the same.
  const auto a = seed_assessment();
  for (int field = 0; field < 4; ++field) {
    auto run = run_for(a);
    if (field == 0) run.run_id = "bad\xFF";
    if (field == 1) run.head = "\xC0";
    if (field == 2) run.decisions[0].stage = "s\xFE";
    if (field == 3) run.ruleset.hash = std::string("\xE2\x82");
    std::string dom_error, direct_error;
    try {
      render_policy_decisions_dom(a, run);
    } catch (const json::exception& e) {
      dom_error = e.what();
    }
    try {
      render_policy_decisions(a, run);
    } catch (const json::exception& e) {
      direct_error = e.what();
    }
    EXPECT_FALSE(dom_error.empty()) << field;
    EXPECT_EQ(direct_error, dom_error) << field;
  }
}

// --- RiskJsonTest: the recorded forms ----------------------------------------

TEST(RiskJsonTest, EnumsAreWrittenByName) {
  const auto ev = policy::collect_evidence(heuristics(), seed_files(), seed_manifests());
  const json j = ev;
  EXPECT_EQ(j["files"][0]["status"], "modified");
  EXPECT_EQ(j["dependency_changes"][0]["kind"], "added");
  const json a = seed_assessment();
  EXPECT_EQ(a["status"], "gate");
  EXPECT_EQ(a["reason_codes"][0], "PATH_SENSITIVE_HIGH");
  EXPECT_EQ(a["hitl_conditions_met"][0], "touches_any(path_sensitivity.high)");
  EXPECT_EQ(a["signals"][0]["type"], "path_sensitivity");
  EXPECT_EQ(a["signals"][0]["severity"], "high");
  EXPECT_EQ(a["signals"][0]["evidence"]["kind"], "path");
}

TEST(RiskJsonTest, RecordedEvidenceRescoresToTheSameAssessment) {
  auto files = seed_files();
  files.push_back(added("src/config.py", {"key = \"" + aws_key() + "\""}));
  files.back().hunks.push_back({0, 0, 1, 1, std::string(64, 'e')});
  const auto ev = policy::collect_evidence(heuristics(), files, seed_manifests());
  const json recorded = ev;
  EXPECT_EQ(recorded.dump().find(aws_key()), std::string::npos);

  const auto replayed = json::parse(recorded.dump()).get<messages::diff_evidence>();
  EXPECT_EQ(json(replayed), recorded);
  const json live = policy::assess(shipped(), ev);
  const json again = policy::assess(shipped(), replayed);
  EXPECT_EQ(again, live);
  EXPECT_EQ(again["status"], "block");
  EXPECT_EQ(json(again.get<risk_assessment>()), again);
}

TEST(RiskJsonTest, UnknownNameIsRefused) {
  json j = policy::collect_evidence(heuristics(), seed_files(), seed_manifests());
  j["files"][0]["status"] = "mangled";
  EXPECT_THROW(j.get<messages::diff_evidence>(), std::invalid_argument);
}

TEST(RiskJsonTest, RunInfoRoundTrips) {
  const auto a = seed_assessment();
  auto run = run_for(a);
  run.hitl.approval = messages::hitl_approval{"alice", "2026-01-02T04:00:00.000Z", "ok"};
  const json j = run;
  EXPECT_EQ(j["ruleset"]["source"], "bundled");
  EXPECT_EQ(j["decisions"][1]["action"], "scope_reduce");
  EXPECT_FALSE(j["decisions"][0].contains("scope_reduction"));
  EXPECT_EQ(json(j.get<policy_run_info>()), j);
}

TEST(RiskHunkTest, HitCarriesTheDigestOfTheHunkThatAddedIt) {
  auto f = added("src/a.py", {"x = 1", "y = 2", "key = \"" + aws_key() + "\""});
  f.hunks = {{0, 0, 1, 1, std::string(64, '1')},   // line 1
             {3, 1, 2, 0, std::string(64, '2')},   // a deletion: adds nothing
             {5, 1, 3, 1, std::string(64, '3')}};  // line 3
  auto ev = policy::collect_evidence(heuristics(), {f}, {});
  ASSERT_EQ(ev.hits.size(), 1u);
  EXPECT_EQ(ev.hits[0].hunk_sha256, std::string(64, '3'));
  EXPECT_EQ(ev.hits[0].line_sha256, codec::sha256_hex(f.added_lines[2].text));
  // Without a hunk for its line, the line's own digest stands in.
  f.hunks.pop_back();
  ev = policy::collect_evidence(heuristics(), {f}, {});
  ASSERT_EQ(ev.hits.size(), 1u);
  EXPECT_TRUE(ev.hits[0].hunk_sha256.empty());
  EXPECT_EQ(policy::assess(shipped(), ev).signals[0].evidence.diff_hunk_sha256,
            codec::sha256_hex(f.added_lines[2].text));
}

// --- DependencyDiffCredentialsTest ---------------------------------------------

TEST(DependencyDiffCredentialsTest, UrlCredentialsInSpecsAreMasked) {
  const std::string token = "s3cr" + std::string("etT0ken");
  const std::string before = R"({"dependencies": {"lib": "git+https://u:)" + token +
                             R"(@github.com/o/lib.git#v1"}})";
  const std::string after = R"({"dependencies": {"lib": "git+https://u:)" + token +
                            R"(@github.com/o/lib.git#v2", "new": "https://)" + token +
                            R"(@example.com/new.tgz"}})";
  const auto changes =
    policy::diff_dependencies(policy::dependency_manifest{"package.json", before, after});
  ASSERT_EQ(changes.size(), 2u);
  for (const auto& c : changes) {
    EXPECT_EQ(c.from.find(token), std::string::npos) << c.from;
    EXPECT_EQ(c.to.find(token), std::string::npos) << c.to;
  }
  EXPECT_EQ(changes[0].name, "lib");
  EXPECT_EQ(changes[0].kind, messages::dependency_change_kind::major_bump);
  EXPECT_EQ(changes[0].to, "git+https://***@github.com/o/lib.git#v2");
  EXPECT_EQ(changes[1].to, "https://***@example.com/new.tgz");
  // A spec without credentials is kept as written.
  const auto plain = policy::diff_dependencies(policy::dependency_manifest{
    "package.json", std::string(R"({"dependencies": {}})"),
    std::string(R"({"dependencies": {"a": "https://example.com/a.tgz"}})")});
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].to, "https://example.com/a.tgz");
}

}  // namespace
}  // namespace casm::telemetry
