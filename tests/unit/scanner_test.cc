// The content scanner, its rule pack and redaction.
//
// Secrets planted here are generated at run time (prefix + pseudo-random
// body, split literals), so that CASM auditing its own repository finds no
// secret in this file. The per-rule samples do contain risky calls in
// strings; an audit should allowlist this path.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "policy/redaction.h"
#include "policy/rule_pack.h"
#include "policy/scanner.h"

namespace casm::policy {
namespace {

using messages::finding;

constexpr std::string_view alnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// Deterministic pseudo-random bytes from `alphabet`.
std::string rnd(size_t n, uint32_t seed, std::string_view alphabet = alnum) {
  std::string out;
  uint32_t x = seed * 2654435761u + 12345u;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    out += alphabet[(x >> 16) % alphabet.size()];
  }
  return out;
}

std::string aws_key() { return "AK" + std::string("IA") + rnd(16, 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"); }
std::string ghp_token() { return "gh" + std::string("p_") + rnd(36, 2); }
std::string private_key_header() { return "-----BEGIN RSA " + std::string("PRIVATE KEY-----"); }
const std::string strong_password = "q8Z!r2Lx9V" + std::string("p3Mw7Tk1Ys");
std::string todo() { return "TO" + std::string("DO"); }

const scanner& sc() { return scanner::builtin(); }

// (rule_id, line, column, end_column) of every finding, in order.
using where = std::tuple<std::string, uint32_t, uint32_t, uint32_t>;
std::vector<where> locate(const std::vector<finding>& fs) {
  std::vector<where> out;
  for (const auto& f : fs) out.emplace_back(f.rule_id, f.line, f.column, f.end_column);
  return out;
}

std::vector<std::string> ids(const std::vector<finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.rule_id);
  return out;
}

bool same(const finding& a, const finding& b) {
  return a.rule_id == b.rule_id && a.family == b.family && a.level == b.level &&
         a.path == b.path && a.line == b.line && a.column == b.column &&
         a.end_column == b.end_column && a.fingerprint == b.fingerprint &&
         a.preview == b.preview && a.message == b.message && a.commit == b.commit &&
         a.secret == b.secret && a.fixable == b.fixable;
}

void expect_same(const std::vector<finding>& a, const std::vector<finding>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(same(a[i], b[i])) << "finding " << i;
}

// ---------------------------------------------------------------- RulePack

TEST(RulePackTest, HasTheRequiredRulesWithStableIds) {
  const auto& rules = builtin_rules();
  for (const char* id :
       {"secret.aws_access_key_id", "secret.aws_secret_access_key", "secret.private_key",
        "secret.slack_token", "secret.slack_webhook_url", "secret.github_pat",
        "secret.github_oauth_token", "secret.github_app_token", "secret.github_refresh_token",
        "secret.github_fine_grained_pat", "secret.gitlab_pat", "secret.stripe_live_key",
        "secret.google_api_key", "secret.npm_token", "secret.anthropic_api_key",
        "secret.openai_api_key", "secret.jwt", "secret.twilio_api_key",
        "secret.sendgrid_api_key", "secret.discord_bot_token", "secret.telegram_bot_token",
        "secret.generic_assignment", "risky_call.child_process", "risky_call.exec_sync",
        "risky_call.spawn_sync", "risky_call.eval", "risky_call.os_system",
        "risky_call.subprocess_shell", "risky_call.runtime_exec", "risky_call.pickle_load",
        "risky_call.yaml_load", "risky_call.marshal_load", "risky_call.java_deserialization",
        "risky_call.php_unserialize", "risky_call.json_parse_request_body",
        "permission.chmod_exec", "permission.chmod_world_writable", "permission.sudo",
        "permission.setcap", "permission.linux_capability", "permission.run_as_root",
        "permission.privileged_container", "permission.allow_privilege_escalation",
        "conflict_marker.start", "conflict_marker.base", "conflict_marker.separator",
        "conflict_marker.end", "todo.marker", "debug.console_log", "debug.debugger",
        "debug.print", "debug.pdb", "debug.breakpoint", "debug.binding_pry", "debug.var_dump",
        "debug.dd", "whitespace.trailing", "final_newline.missing", "oversized.file"})
    EXPECT_GE(find_rule(rules, id), 0) << id;
  EXPECT_EQ(rules.size(), 59u);
}

TEST(RulePackTest, FamiliesSeveritiesAndFlagsAreConsistent) {
  using messages::severity;
  const std::map<std::string, severity> family_level = {
      {"secret", severity::high},       {"risky_call", severity::medium},
      {"permission", severity::medium}, {"conflict_marker", severity::high},
      {"todo", severity::info},         {"debug", severity::low},
      {"whitespace", severity::info},   {"final_newline", severity::info},
      {"oversized", severity::low}};
  std::set<std::string> seen;
  for (const auto& r : builtin_rules()) {
    EXPECT_TRUE(seen.insert(r.id).second) << "duplicate " << r.id;
    EXPECT_EQ(r.id.substr(0, r.id.find('.')), r.family) << r.id;
    ASSERT_TRUE(family_level.count(r.family)) << r.family;
    EXPECT_EQ(r.level, family_level.at(r.family)) << r.id;
    EXPECT_EQ(r.secret, r.family == "secret") << r.id;
    EXPECT_EQ(r.fixable, r.family == "whitespace" || r.family == "final_newline") << r.id;
    EXPECT_FALSE(r.message.empty()) << r.id;
  }
  EXPECT_EQ(builtin_rules()[find_rule(builtin_rules(), "secret.generic_assignment")].min_entropy,
            3.5);
}

TEST(RulePackTest, HashPinsEveryField) {
  const std::string h = rule_pack_hash();
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h, rule_pack_hash(builtin_rules()));
  EXPECT_EQ(h, sc().pack_hash());

  auto changed = builtin_rules();
  changed[0].pattern += "x";
  EXPECT_NE(rule_pack_hash(changed), h);
  changed = builtin_rules();
  changed[5].min_entropy = 1.0;
  EXPECT_NE(rule_pack_hash(changed), h);
  changed = builtin_rules();
  changed[3].fixable = !changed[3].fixable;
  EXPECT_NE(rule_pack_hash(changed), h);
  changed = builtin_rules();
  std::swap(changed[1], changed[2]);
  EXPECT_NE(rule_pack_hash(changed), h);
}

// One sample line per pattern rule, with the exact 1-based column where the
// match starts: proves every pattern compiles (multi-pattern and per-rule
// SOM) and is located exactly.
TEST(RulePackTest, EveryPatternRuleFindsItsSampleAtTheExactColumn) {
  struct sample {
    const char* rule_id;
    std::string line;
    uint32_t column;
    const char* path = "src/app.js";
  };
  const std::string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::vector<sample> samples = {
      {"secret.aws_access_key_id", "id: " + aws_key(), 5},
      {"secret.aws_secret_access_key", "aws_secret_access_key = " + rnd(40, 3, b64), 1},
      {"secret.private_key", "  " + private_key_header(), 3},
      {"secret.slack_token", "t = xo" + std::string("xb-") + rnd(24, 4), 5},
      {"secret.slack_webhook_url",
       "url: https://hooks.slack.com/services/T" + rnd(9, 5) + "/B" + rnd(9, 6) + "/" +
           rnd(24, 7),
       6},
      {"secret.github_pat", "x " + ghp_token(), 3},
      {"secret.github_oauth_token", "gh" + std::string("o_") + rnd(36, 8), 1},
      {"secret.github_app_token", "(gh" + std::string("s_") + rnd(36, 9), 2},
      {"secret.github_refresh_token", "gh" + std::string("r_") + rnd(36, 10), 1},
      {"secret.github_fine_grained_pat", "github" + std::string("_pat_") + rnd(82, 11), 1},
      {"secret.gitlab_pat", "GL=glp" + std::string("at-") + rnd(20, 12), 4},
      {"secret.stripe_live_key", "sk_" + std::string("live_") + rnd(24, 13), 1},
      {"secret.google_api_key", "k='AI" + std::string("za") + rnd(35, 14) + "'", 4},
      {"secret.npm_token", "//registry/:_authToken=np" + std::string("m_") + rnd(36, 15), 24},
      {"secret.anthropic_api_key", "key sk-" + std::string("ant-api03-") + rnd(40, 16), 5},
      {"secret.openai_api_key", "key sk-" + std::string("proj-") + rnd(40, 17), 5},
      {"secret.jwt",
       "Bearer ey" + std::string("J") + rnd(20, 18) + ".eyJ" + rnd(20, 19) + "." + rnd(30, 20),
       8},
      {"secret.twilio_api_key", "sid SK" + rnd(32, 21, "0123456789abcdef"), 5},
      {"secret.sendgrid_api_key", "SG" + std::string(".") + rnd(22, 22) + "." + rnd(43, 23), 1},
      {"secret.discord_bot_token",
       "DISCORD_TOKEN=M" + rnd(23, 24) + "." + rnd(6, 25) + "." + rnd(27, 26), 1},
      {"secret.telegram_bot_token", "bot 123456789:A" + std::string("A") + rnd(33, 27), 5},
      {"secret.generic_assignment", "  api_key: \"" + strong_password + "\"", 3},
      {"risky_call.child_process", "child_process.exec(cmd)", 1},
      {"risky_call.exec_sync", "const out = execSync('ls')", 13},
      {"risky_call.spawn_sync", "cp.spawnSync('ls')", 4},
      {"risky_call.eval", "x = eval(code)", 5},
      {"risky_call.os_system", "  os.system(cmd)", 3},
      {"risky_call.subprocess_shell", "subprocess.run(cmd, shell=True)", 1},
      {"risky_call.runtime_exec", "Runtime.getRuntime().exec(cmd);", 1},
      {"risky_call.pickle_load", "obj = pickle.loads(blob)", 7},
      {"risky_call.yaml_load", "cfg = yaml.load(f)", 7},
      {"risky_call.marshal_load", "obj = Marshal.load(data)", 7},
      {"risky_call.java_deserialization", "in = new ObjectInputStream(s);", 10},
      {"risky_call.php_unserialize", "$o = unserialize($s);", 6},
      {"risky_call.json_parse_request_body", "const b = JSON.parse(req.body)", 11},
      {"permission.chmod_exec", "RUN chmod +x /entry.sh", 5},
      {"permission.chmod_world_writable", "chmod -R 777 /data", 1},
      {"permission.sudo", "  sudo apt-get install x", 3},
      {"permission.setcap", "setcap cap_net_raw+ep /bin/x", 1},
      {"permission.linux_capability", "add: [CAP_NET_ADMIN]", 7},
      {"permission.run_as_root", "  runAsUser: 0", 3},
      {"permission.privileged_container", "  privileged: true", 3},
      {"permission.allow_privilege_escalation", "allowPrivilegeEscalation: true", 1},
      {"conflict_marker.start", "<<<<<<< HEAD", 1},
      {"conflict_marker.base", "||||||| base", 1},
      {"conflict_marker.separator", "=======", 1},
      {"conflict_marker.end", ">>>>>>> topic", 1},
      {"todo.marker", "// fix: " + todo() + " later", 9},
      {"debug.console_log", "  console.log(x);", 3},
      {"debug.debugger", "  debugger;", 3},
      {"debug.print", "    print(x)", 5, "tool.py"},
      {"debug.pdb", "import pdb; pdb.set_trace()", 13},
      {"debug.breakpoint", "    breakpoint()", 5},
      {"debug.binding_pry", "  binding.pry", 3},
      {"debug.var_dump", "var_dump($x);", 1},
      {"debug.dd", "  dd($x);", 3, "app.php"},
      {"whitespace.trailing", "int x;\t ", 7},
  };
  std::set<std::string> covered;
  for (const auto& s : samples) {
    auto fs = sc().scan(s.path, s.line + "\n");
    auto it = std::find_if(fs.begin(), fs.end(),
                           [&](const finding& f) { return f.rule_id == s.rule_id; });
    ASSERT_NE(it, fs.end()) << s.rule_id << " did not match: " << s.line;
    EXPECT_EQ(it->line, 1u) << s.rule_id;
    EXPECT_EQ(it->column, s.column) << s.rule_id;
    EXPECT_GT(it->end_column, it->column) << s.rule_id;
    covered.insert(s.rule_id);
  }
  for (const auto& r : builtin_rules()) {
    if (r.kind == rule_kind::pattern || r.kind == rule_kind::trailing_whitespace) {
      EXPECT_TRUE(covered.count(r.id)) << "no sample for " << r.id;
    }
  }
}

TEST(RulePackTest, BadPatternIsReportedWithItsRuleId) {
  auto rules = builtin_rules();
  rules[7].pattern = "abc(";
  std::string error;
  EXPECT_FALSE(scanner::compile(rules, &error));
  EXPECT_NE(error.find(rules[7].id), std::string::npos) << error;

  rules = builtin_rules();
  rules.push_back(rules[0]);
  EXPECT_FALSE(scanner::compile(rules, &error));
  EXPECT_NE(error.find("defined twice"), std::string::npos) << error;
}

// ----------------------------------------------------------------- Scanner

std::string planted_file() {
  return "const x = 1;\n"                                   // 1
         "// " + todo() + ": remove\n"                      // 2
         "key_id: " + aws_key() + "\n"                      // 3: AWS key at column 9
         + private_key_header() + "\n"                      // 4
         "gh = \"" + ghp_token() + "\"\n"                   // 5
         "ev" "al(userInput);\n"                            // 6
         "ch" "mod +x deploy.sh\n"                          // 7
         "<<<<<<< HEAD\n"                                   // 8
         "=======\n"                                        // 9
         ">>>>>>> feature\n"                                // 10
         "con" "sole.log(\"debug\");\n"                     // 11
         "let y = 2;   \n"                                  // 12
         "done";                                            // 13: no final newline
}

TEST(ScannerTest, PlantedFindingsAtExactLineAndColumn) {
  auto fs = sc().scan("src/app.js", planted_file());
  std::vector<where> want = {
      {"todo.marker", 2, 4, 8},
      {"secret.aws_access_key_id", 3, 9, 29},
      {"secret.private_key", 4, 1, 32},
      {"secret.github_pat", 5, 7, 47},
      {"risky_call.eval", 6, 1, 7},
      {"permission.chmod_exec", 7, 1, 9},
      {"conflict_marker.start", 8, 1, 9},
      {"conflict_marker.separator", 9, 1, 8},
      {"conflict_marker.end", 10, 1, 9},
      {"debug.console_log", 11, 1, 13},
      {"whitespace.trailing", 12, 11, 14},
      {"final_newline.missing", 13, 5, 5},
  };
  EXPECT_EQ(locate(fs), want);

  ASSERT_EQ(fs.size(), want.size());
  EXPECT_EQ(fs[1].preview, "key_id: AKIA****(20 chars)");
  EXPECT_EQ(fs[1].family, "secret");
  EXPECT_EQ(fs[1].level, messages::severity::high);
  EXPECT_TRUE(fs[1].secret);
  EXPECT_EQ(fs[1].path, "src/app.js");
  EXPECT_EQ(fs[1].fingerprint,
            finding_fingerprint("secret.aws_access_key_id", "src/app.js", aws_key(),
                                "key_id: " + aws_key()));
  EXPECT_EQ(fs[3].preview, "gh = \"ghp_****(40 chars)\"");
  EXPECT_EQ(fs[4].preview, "ev" "al(userInput);");
  EXPECT_EQ(fs[4].level, messages::severity::medium);
  EXPECT_FALSE(fs[4].secret);
  EXPECT_TRUE(fs[10].fixable);
  EXPECT_EQ(fs[10].preview, "let y = 2;");
  EXPECT_TRUE(fs[11].fixable);
  EXPECT_EQ(fs[11].preview, "done");
}

TEST(ScannerTest, FingerprintIsStableWhenTheLineMoves) {
  const std::string line = "key_id: " + aws_key() + "\n";
  auto a = sc().scan("a.txt", line);
  auto b = sc().scan("a.txt", "\n\n\n   " + line);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].line, 4u);
  EXPECT_EQ(b[0].column, 12u);
  EXPECT_EQ(a[0].fingerprint, b[0].fingerprint);
  EXPECT_NE(a[0].fingerprint, sc().scan("b.txt", line)[0].fingerprint);
}

TEST(ScannerTest, OversizedFileIsOneWholeFileFindingAndIsNotScanned) {
  scan_options o;
  o.max_file_bytes = 10;
  auto fs = sc().scan("big.js", "ev" "al(x) + 1\n", o);  // 12 bytes
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].rule_id, "oversized.file");
  EXPECT_EQ(fs[0].family, "oversized");
  EXPECT_EQ(fs[0].level, messages::severity::low);
  EXPECT_EQ(fs[0].line, 0u);
  EXPECT_EQ(fs[0].column, 0u);
  EXPECT_EQ(fs[0].message, "The file is 12 bytes, over max_file_bytes (10), so its content "
                           "was not scanned.");

  // The caller may skip reading the content and pass the size alone.
  o.file_size = 5000;
  fs = sc().scan("big.bin", "", o);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].rule_id, "oversized.file");

  o = {};
  o.max_file_bytes = 12;
  EXPECT_EQ(ids(sc().scan("ok.js", "ev" "al(x) + 1\n", o)),
            std::vector<std::string>{"risky_call.eval"});
}

TEST(ScannerTest, EntropyGateDropsPlaceholdersAndKeepsRealValues) {
  EXPECT_TRUE(sc().scan("c.py", "password = \"change" "me\"\n").empty());
  EXPECT_TRUE(sc().scan("c.py", "api_key = 'your_api_key_here_" "q8Z!r2Lx9'\n").empty())
      << "stopword";

  auto fs = sc().scan("c.py", "password = \"" + strong_password + "\"\n");
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].rule_id, "secret.generic_assignment");
  EXPECT_EQ(fs[0].column, 1u);
  EXPECT_EQ(fs[0].end_column, 34u);
  EXPECT_EQ(fs[0].preview, "password = \"q8Z!****(20 chars)\"");

  // The leftmost candidate fails the gate; the next one on the line passes.
  fs = sc().scan("c.py", "password = \"change" "me\"; secret = \"" + strong_password + "\"\n");
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].column, 24u);
  // The placeholder is masked too: it is a secret-rule candidate.
  EXPECT_EQ(fs[0].preview, "password = \"chan****(8 chars)\"; secret = \"q8Z!****(20 chars)\"");
}

TEST(ScannerTest, GenericAssignmentYieldsToANamedRule) {
  auto fs = sc().scan("ci.env", "GITHUB_TOKEN = \"" + ghp_token() + "\"\n");
  EXPECT_EQ(ids(fs), std::vector<std::string>{"secret.github_pat"});
}

TEST(ScannerTest, AllowCommentDropsAFindingUnlessItNamesAnotherRule) {
  const std::string call = "ev" "al(x)";
  EXPECT_EQ(ids(sc().scan("a.js", call + "\n")), std::vector<std::string>{"risky_call.eval"});
  EXPECT_TRUE(sc().scan("a.js", call + " // casm:allow\n").empty());
  EXPECT_TRUE(sc().scan("a.js", call + " // casm:allow risky_call.eval\n").empty());
  EXPECT_TRUE(sc().scan("a.js", call + " // casm:allow(risky_call.eval)\n").empty());
  EXPECT_TRUE(sc().scan("a.js", call + " // casm:allow because it is a sandbox\n").empty());
  EXPECT_EQ(ids(sc().scan("a.js", call + " // casm:allow other.rule\n")),
            std::vector<std::string>{"risky_call.eval"});
  EXPECT_EQ(ids(sc().scan("a.js", call + " // casm:allow(other.rule)\n")),
            std::vector<std::string>{"risky_call.eval"});
  // Only the line that carries the comment.
  EXPECT_EQ(locate(sc().scan("a.js", "// casm:allow\n" + call + "\n")),
            (std::vector<where>{{"risky_call.eval", 2, 1, 7}}));
  // A secret on an allowed line is dropped too.
  EXPECT_TRUE(sc().scan("a.js", "k = " + aws_key() + " # casm:allow secret.aws_access_key_id\n")
                  .empty());

  EXPECT_TRUE(allowed_by_comment("x # casm:allow", "a.b"));
  EXPECT_TRUE(allowed_by_comment("x # casm:allow(a.b)", "a.b"));
  EXPECT_TRUE(allowed_by_comment("x # casm:allow a.b.", "a.b"));
  EXPECT_FALSE(allowed_by_comment("x # casm:allow(c.d)", "a.b"));
  EXPECT_FALSE(allowed_by_comment("x # casm:allowed", "a.b"));
  EXPECT_FALSE(allowed_by_comment("x # nothing", "a.b"));
  EXPECT_TRUE(allowed_by_comment("x # casm:allow(c.d) casm:allow(a.b)", "a.b"));
}

// Every string field of every finding, for the secrecy check.
std::vector<std::string> string_fields(const finding& f) {
  return {f.rule_id, f.family, f.path, f.fingerprint, f.preview, f.message, f.commit};
}

TEST(ScannerTest, NoSecretValueAppearsInAnyFindingField) {
  const std::string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  struct planted {
    std::string value;
    std::string line;
    const char* rule_id;
  };
  std::vector<planted> secrets;
  auto add = [&](std::string value, std::string before, std::string after, const char* id) {
    secrets.push_back({value, before + value + after, id});
  };
  add(aws_key(), "key = ", " # " + todo(), "secret.aws_access_key_id");
  add(ghp_token(), "token: ", "", "secret.github_pat");
  add("glp" + std::string("at-") + rnd(20, 31), "", "", "secret.gitlab_pat");
  add("xo" + std::string("xp-") + rnd(30, 32), "slack(", ")", "secret.slack_token");
  add("AI" + std::string("za") + rnd(35, 33), "g = ", "", "secret.google_api_key");
  add("sk" + std::string("_live_") + rnd(30, 34), "stripe ", "", "secret.stripe_live_key");
  add("np" + std::string("m_") + rnd(36, 35), "npm ", "", "secret.npm_token");
  add("sk" + std::string("-") + rnd(48, 36), "OPENAI=", "", "secret.openai_api_key");
  add("sk" + std::string("-ant-api03-") + rnd(60, 37), "ANTHROPIC=", "",
      "secret.anthropic_api_key");
  add("ey" + std::string("J") + rnd(20, 38) + ".eyJ" + rnd(30, 39) + "." + rnd(40, 40),
      "Authorization: Bearer ", "", "secret.jwt");
  add("SG" + std::string(".") + rnd(22, 41) + "." + rnd(43, 42), "sg ", "",
      "secret.sendgrid_api_key");
  add("98765" + std::string("4321:AA") + rnd(33, 43), "tg ", "", "secret.telegram_bot_token");
  add("https://hooks.slack.com/services/T" + rnd(10, 44) + "/B" + rnd(10, 45) + "/" +
          rnd(24, 46),
      "hook: ", "", "secret.slack_webhook_url");
  add(strong_password, "password = \"", "\"  // " + todo(), "secret.generic_assignment");
  add(rnd(40, 47, b64), "aws_secret_access_key: \"", "\"", "secret.aws_secret_access_key");
  add("M" + rnd(23, 48) + "." + rnd(6, 49) + "." + rnd(27, 50), "discord_token = '", "'",
      "secret.discord_bot_token");
  // A long line: the TODO's preview window cuts through the token.
  add(ghp_token() + rnd(30, 51), "// " + todo() + " " + std::string(100, 'a') + " ", "",
      "secret.github_pat");

  std::string content;
  for (const auto& s : secrets) content += s.line + "\n";
  auto fs = sc().scan("cfg/settings.txt", content);

  for (size_t i = 0; i < secrets.size(); ++i) {
    const auto n = static_cast<uint32_t>(i + 1);
    EXPECT_TRUE(std::any_of(fs.begin(), fs.end(),
                            [&](const finding& f) {
                              return f.line == n && f.rule_id == secrets[i].rule_id && f.secret;
                            }))
        << secrets[i].rule_id << " not found on line " << n;
  }
  EXPECT_GE(std::count_if(fs.begin(), fs.end(),
                          [](const finding& f) { return f.rule_id == "todo.marker"; }),
            3);
  for (const auto& f : fs) {
    for (const auto& field : string_fields(f)) {
      for (const auto& s : secrets) {
        EXPECT_EQ(field.find(s.value), std::string::npos) << f.rule_id << " line " << f.line;
        // Nothing past the 4 shown bytes either.
        EXPECT_EQ(field.find(s.value.substr(4)), std::string::npos)
            << f.rule_id << " line " << f.line << ": " << field;
      }
    }
  }
}

TEST(ScannerTest, NonUtf8PathAndContentSurvive) {
  const std::string path = "src/caf\xe9/\xff\xfe.py";
  const std::string content = "x = 1\n# " + todo() + " \xff\xfe\x80 bad\n";
  auto fs = sc().scan(path, content);
  ASSERT_EQ(locate(fs), (std::vector<where>{{"todo.marker", 2, 3, 7}}));
  EXPECT_EQ(fs[0].path, path);
  EXPECT_TRUE(codec::is_utf8(fs[0].preview)) << fs[0].preview;
  EXPECT_EQ(fs[0].preview, "# " + todo() + " \\xff\\xfe\\x80 bad");
  EXPECT_EQ(fs[0].fingerprint,
            finding_fingerprint("todo.marker", path, todo(), "# " + todo() + " \xff\xfe\x80 bad"));

  // A secret next to invalid bytes: masked, and still valid UTF-8.
  fs = sc().scan(path, "\xc3 k=" + aws_key() + "\xff\n");
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_TRUE(codec::is_utf8(fs[0].preview));
  EXPECT_EQ(fs[0].preview, "\\xc3 k=AKIA****(20 chars)\\xff");
}

TEST(ScannerTest, SerializedDatabaseRoundTripsToIdenticalResults) {
  const std::string blob = sc().serialize();
  EXPECT_EQ(blob.substr(0, 10), "casm-hs/2 ");
  EXPECT_EQ(blob.substr(10, 64), rule_pack_hash());

  std::string error;
  auto copy = scanner::deserialize(builtin_rules(), blob, &error);
  ASSERT_TRUE(copy) << error;
  EXPECT_EQ(copy->pack_hash(), sc().pack_hash());
  expect_same(copy->scan("src/app.js", planted_file()), sc().scan("src/app.js", planted_file()));

  auto other = builtin_rules();
  other[0].message = "changed";
  EXPECT_FALSE(scanner::deserialize(other, blob, &error));
  EXPECT_NE(error.find("another rule pack"), std::string::npos) << error;
  EXPECT_FALSE(scanner::deserialize(builtin_rules(), blob.substr(0, blob.size() / 2), &error));
  EXPECT_FALSE(scanner::deserialize(builtin_rules(), "garbage", &error));

  // for_pack takes a good blob and shares the process-wide instance.
  auto shared = scanner::for_pack(builtin_rules(), &error, blob);
  ASSERT_TRUE(shared) << error;
  expect_same(shared->scan("src/app.js", planted_file()),
              sc().scan("src/app.js", planted_file()));
}

TEST(ScannerTest, PackStoreIsAskedBeforeCompilingAndGivenWhatWasCompiled) {
  // A pack no other test builds, so the process-wide cache has not seen it.
  auto pack = [](const std::string& word) {
    rule r;
    r.id = "test.store_" + word;
    r.family = "quality";
    r.pattern = "casm_store_" + word;
    r.message = "A test rule.";
    return std::vector<rule>{r};
  };
  std::map<std::string, std::string> disk;
  int loads = 0, saves = 0;
  scanner::pack_store store;
  store.load = [&](const std::string& hash) {
    ++loads;
    auto it = disk.find(hash);
    return it == disk.end() ? std::string() : it->second;
  };
  store.save = [&](const std::string& hash, const std::string& blob) {
    ++saves;
    disk[hash] = blob;
  };
  scanner::set_pack_store(store);

  std::string error;
  auto first = scanner::for_pack(pack("alpha"), &error);
  ASSERT_TRUE(first) << error;
  EXPECT_EQ(loads, 1);
  ASSERT_EQ(saves, 1);  // compiled, so handed to the store
  EXPECT_EQ(disk.begin()->first, rule_pack_hash(pack("alpha")));
  EXPECT_EQ(scanner::deserialize(pack("alpha"), disk.begin()->second, &error)->pack_hash(),
            first->pack_hash());

  // Another pack whose blob is already stored: loaded, not compiled again.
  auto beta = scanner::compile(pack("beta"), &error);
  ASSERT_TRUE(beta) << error;
  disk[rule_pack_hash(pack("beta"))] = beta->serialize();
  auto loaded = scanner::for_pack(pack("beta"), &error);
  ASSERT_TRUE(loaded) << error;
  EXPECT_EQ(loads, 2);
  EXPECT_EQ(saves, 1);
  EXPECT_EQ(loaded->scan("a.txt", "x casm_store_beta y\n").size(), 1u);

  // A torn stored blob is compiled over and replaced.
  disk[rule_pack_hash(pack("gamma"))] = "casm-hs/2 torn";
  auto gamma = scanner::for_pack(pack("gamma"), &error);
  ASSERT_TRUE(gamma) << error;
  EXPECT_EQ(saves, 2);
  EXPECT_NE(disk[rule_pack_hash(pack("gamma"))], "casm-hs/2 torn");
  scanner::set_pack_store({});
}

TEST(ScannerTest, ScanIsDeterministicAcrossCallsAndThreads) {
  const std::string content = planted_file() + "\n" + planted_file();
  const auto first = sc().scan("p.js", content);
  ASSERT_EQ(first.size(), 23u);  // the first copy's last line now ends in '\n'
  expect_same(sc().scan("p.js", content), first);

  std::vector<std::vector<finding>> results(2);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) results[t] = sc().scan("p.js", content);
    });
  for (auto& t : threads) t.join();
  for (const auto& r : results) expect_same(r, first);
}

TEST(ScannerTest, ResultsAreSortedByLineColumnRuleAndOnePerRuleLine) {
  const std::string t = todo();
  auto fs = sc().scan("x.js", t + " and " + t + " again " + t + "\n" +
                                  "con" "sole.log(1); " + t + " ev" "al(s)  \n");
  EXPECT_EQ(locate(fs), (std::vector<where>{{"todo.marker", 1, 1, 5},
                                            {"debug.console_log", 2, 1, 13},
                                            {"todo.marker", 2, 17, 21},
                                            {"risky_call.eval", 2, 22, 28},
                                            {"whitespace.trailing", 2, 29, 31}}));
}

TEST(ScannerTest, LineNumbersAreExactFarIntoTheFile) {
  std::string content;
  for (int i = 0; i < 20000; ++i) content += "line " + std::to_string(i) + "\n";
  content += "   " + todo() + "\n";
  for (int i = 0; i < 100; ++i) content += "\n";
  content += "x" + todo() + " " + todo() + "\n";
  EXPECT_EQ(locate(sc().scan("big.txt", content)),
            (std::vector<where>{{"todo.marker", 20001, 4, 8}, {"todo.marker", 20102, 7, 11}}));
}

TEST(ScannerTest, CountLinesMatchesAByteByByteCount) {
  EXPECT_EQ(count_lines(""), 0u);
  EXPECT_EQ(count_lines("a"), 1u);
  EXPECT_EQ(count_lines("\n"), 1u);
  EXPECT_EQ(count_lines("a\nb"), 2u);
  EXPECT_EQ(count_lines("a\nb\n"), 2u);
  // Every byte value next to newlines, at every alignment: bytes such as
  // 0x0B and 0x8A differ from '\n' by one bit and must not count.
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    std::string s(rng() % 70, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 3 == 0 ? '\n' : rng() % 256);
    uint64_t expected = static_cast<uint64_t>(std::count(s.begin(), s.end(), '\n'));
    if (!s.empty() && s.back() != '\n') ++expected;
    EXPECT_EQ(count_lines(s), expected) << "round " << round;
  }
}

TEST(ScannerTest, CrlfLinesAndMarkers) {
  auto fs = sc().scan("w.txt", "a = 1;  \r\n=======\r\nok\r\n");
  EXPECT_EQ(locate(fs), (std::vector<where>{{"whitespace.trailing", 1, 7, 9},
                                            {"conflict_marker.separator", 2, 1, 9}}));
  // Eight '=' or a marker inside a line is not a conflict marker.
  EXPECT_TRUE(sc().scan("w.md", "========\nx =======\nx <<<<<<< y\n").empty());
}

TEST(ScannerTest, TrailingWhitespaceOnALastLineWithoutNewline) {
  EXPECT_EQ(locate(sc().scan("w.txt", "a\nb \t")),
            (std::vector<where>{{"whitespace.trailing", 2, 2, 4},
                                {"final_newline.missing", 2, 4, 4}}));
}

TEST(ScannerTest, ExtensionScopedRules) {
  EXPECT_EQ(ids(sc().scan("tool.py", "print(x)\n")), std::vector<std::string>{"debug.print"});
  EXPECT_TRUE(sc().scan("tool.js", "print(x)\n").empty());
  EXPECT_TRUE(sc().scan("tool.py", "x.print(x)\n").empty());
}

TEST(ScannerTest, MatchesThatCrossLinesAreDropped) {
  // `.*` never crosses '\n' (no DOTALL) and the per-line re-match is the
  // arbiter, so the halves of a pattern on two lines report nothing.
  EXPECT_TRUE(sc().scan("s.py", "subprocess.run(cmd,\n shell=True)\n").empty());
  EXPECT_TRUE(sc().scan("k8s.yaml", "runAsUser:\n  0\n").empty());
  // A call whose argument starts on the next line is still seen.
  EXPECT_EQ(locate(sc().scan("a.js", "x = ev" "al(\n  code)\n")),
            (std::vector<where>{{"risky_call.eval", 1, 5, 10}}));
  EXPECT_TRUE(sc().scan("m.py", "model.ev" "al()\n").empty());
}

TEST(ScannerTest, EmptyAndBinaryContent) {
  EXPECT_TRUE(sc().scan("e.txt", "").empty());
  std::string bin = "ev" "al(x)\n";
  bin += '\0';
  bin += "more\n";
  EXPECT_TRUE(looks_binary(bin));
  EXPECT_TRUE(sc().scan("b.bin", bin).empty());
  scan_options o;
  o.skip_binary = false;
  EXPECT_EQ(ids(sc().scan("b.bin", bin, o)), std::vector<std::string>{"risky_call.eval"});

  EXPECT_FALSE(looks_binary("plain text\n"));
  EXPECT_FALSE(looks_binary(""));
  std::string late(8000, 'a');
  late += '\0';
  EXPECT_FALSE(looks_binary(late));  // NUL at offset 8000: outside git's window
  late[7999] = '\0';
  EXPECT_TRUE(looks_binary(late));
}

TEST(ScannerTest, ScanAddedLinesReportsRealLineNumbers) {
  std::vector<std::pair<uint32_t, std::string>> added = {
      {10, "ev" "al(input)"},
      {42, "const k = '" + aws_key() + "'"},
      {43, "ok  "},
  };
  auto fs = sc().scan_added_lines("src/a.js", added);
  EXPECT_EQ(locate(fs), (std::vector<where>{{"risky_call.eval", 10, 1, 7},
                                            {"secret.aws_access_key_id", 42, 12, 32},
                                            {"whitespace.trailing", 43, 3, 5}}));
  EXPECT_EQ(fs[1].preview, "const k = 'AKIA****(20 chars)'");
  // The same line scanned as a whole file has the same fingerprint.
  auto whole = sc().scan("src/a.js", "\nconst k = '" + aws_key() + "'\n");
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0].fingerprint, fs[1].fingerprint);
  EXPECT_TRUE(sc().scan_added_lines("src/a.js", {}).empty());
}

TEST(ScannerTest, ForPackSharesOneCompiledScanner) {
  std::string error;
  auto a = scanner::for_pack(builtin_rules(), &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->pack_hash(), rule_pack_hash());
  EXPECT_EQ(a->serialize(), sc().serialize());

  // A custom pack with only computed rules needs no database at all.
  std::vector<rule> computed;
  for (const auto& r : builtin_rules())
    if (r.pattern.empty()) computed.push_back(r);
  auto c = scanner::compile(computed, &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(ids(c->scan("x", "ev" "al(x)")), std::vector<std::string>{"final_newline.missing"});
  auto c2 = scanner::deserialize(computed, c->serialize(), &error);
  ASSERT_TRUE(c2) << error;
  EXPECT_EQ(ids(c2->scan("x", "y")), std::vector<std::string>{"final_newline.missing"});
}

// --------------------------------------------------------------- Redaction

TEST(RedactionTest, MaskSecretShowsAtMostFourBytesAndTheLength) {
  EXPECT_EQ(mask_secret(aws_key()), "AKIA****(20 chars)");
  EXPECT_EQ(mask_secret("abcdefgh"), "abcd****(8 chars)");
  EXPECT_EQ(mask_secret("abcdefg"), "****");
  EXPECT_EQ(mask_secret(""), "****");
  // Cut back to a UTF-8 boundary: "é" is 2 bytes at offsets 3-4.
  EXPECT_EQ(mask_secret("abc\xc3\xa9xyzw"), "abc****(9 chars)");
  EXPECT_TRUE(codec::is_utf8(mask_secret("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8")));
}

TEST(RedactionTest, ShannonEntropy) {
  EXPECT_DOUBLE_EQ(shannon_entropy(""), 0.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("abab"), 1.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("abcd"), 2.0);
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_DOUBLE_EQ(shannon_entropy(all), 8.0);
  EXPECT_LT(shannon_entropy("change" "me"), 3.5);
  EXPECT_GT(shannon_entropy(strong_password), 3.5);
}

TEST(RedactionTest, FingerprintIsSha256OfTheTrimmedFields) {
  std::string expected = "r.id";
  expected += '\0';
  expected += "p";
  expected += '\0';
  expected += "m";
  expected += '\0';
  expected += "x = m";
  EXPECT_EQ(finding_fingerprint("r.id", "p", "m", "  x = m \t\r"), codec::sha256_hex(expected));
  EXPECT_EQ(finding_fingerprint("r.id", "p", "m", "x = m"),
            finding_fingerprint("r.id", "p", "m", "\tx = m  "));
  EXPECT_NE(finding_fingerprint("r.id", "p", "m", "x = m"),
            finding_fingerprint("r.other", "p", "m", "x = m"));
  EXPECT_NE(finding_fingerprint("r.id", "p", "m", "x = m"),
            finding_fingerprint("r.id", "q", "m", "x = m"));
  // Field boundaries matter: ("ab","c") differs from ("a","bc").
  EXPECT_NE(finding_fingerprint("r", "ab", "c", ""), finding_fingerprint("r", "a", "bc", ""));
}

TEST(RedactionTest, MaskedPreviewTrimsCutsAndMasks) {
  EXPECT_EQ(masked_preview("   int x = 1;   ", 3, 6, false), "int x = 1;");
  const std::string line = "k = " + aws_key() + ";";
  EXPECT_EQ(masked_preview(line, 4, 24, true), "k = AKIA****(20 chars);");
  // Non-secret finding, secret elsewhere on the line: still masked.
  EXPECT_EQ(masked_preview(line, 0, 1, false, {{4, 24}}), "k = AKIA****(20 chars);");

  // Long line: 120 source bytes around the match, "..." at the cuts.
  std::string long_line = std::string(200, 'a') + "MATCH" + std::string(200, 'b');
  std::string p = masked_preview(long_line, 200, 205, false);
  EXPECT_EQ(p, "..." + std::string(40, 'a') + "MATCH" + std::string(75, 'b') + "...");
  EXPECT_EQ(masked_preview(long_line, 0, 1, false), std::string(120, 'a') + "...");

  // A secret cut by the window edge is masked whole.
  std::string edge = std::string(110, 'x') + " " + aws_key();
  EXPECT_EQ(masked_preview(edge, 0, 1, false, {{111, 131}}),
            std::string(110, 'x') + " AKIA****(20 chars)");

  // The cut never splits a UTF-8 sequence.
  std::string wide;
  for (int i = 0; i < 100; ++i) wide += "\xc3\xa9";
  std::string w = masked_preview(wide, 0, 2, false);
  EXPECT_TRUE(codec::is_utf8(w));
  EXPECT_EQ(w.find("\\x"), std::string::npos) << w;
}

TEST(RedactionTest, AssignedValueSpan) {
  auto text = [](std::string_view m) {
    byte_span s = assigned_value_span(m);
    return std::string(m.substr(s.begin, s.end - s.begin));
  };
  EXPECT_EQ(text("password = \"abc12345\""), "abc12345");
  EXPECT_EQ(text("\"api_key\": 'x:y=z'"), "x:y=z");
  EXPECT_EQ(text("TOKEN=abc123;"), "abc123");
  EXPECT_EQ(text("token => \"v\""), "v");
  EXPECT_EQ(text("no operator"), "no operator");
}

}  // namespace
}  // namespace casm::policy
