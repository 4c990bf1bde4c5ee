#include "policy/rule_pack.h"

#include <cstdio>

#include "messages/codec/digest.h"

namespace casm::policy {
namespace {

using messages::severity;

// Bump when scanner.cc changes how a pattern is compiled, located or gated:
// the same rules then mean something else, and every cache keyed by the pack
// hash must miss.
constexpr const char* engine_version = "hs-block-multiline-nosom/1";

rule make(std::string id, severity level, std::string pattern, std::string message,
          std::vector<std::string> keywords = {}) {
  rule r;
  r.family = id.substr(0, id.find('.'));
  r.id = std::move(id);
  r.level = level;
  r.pattern = std::move(pattern);
  r.message = std::move(message);
  r.keywords = std::move(keywords);
  return r;
}

rule secret(std::string id, std::string pattern, std::string message,
            std::vector<std::string> keywords = {}, double min_entropy = 0) {
  rule r = make(std::move(id), severity::high, std::move(pattern), std::move(message),
                std::move(keywords));
  r.secret = true;
  r.min_entropy = min_entropy;
  return r;
}

rule only_in(rule r, std::vector<std::string> extensions) {
  r.extensions = std::move(extensions);
  return r;
}

std::vector<rule> build() {
  const auto medium = severity::medium;
  const auto low = severity::low;
  const auto info = severity::info;
  const auto high = severity::high;
  std::vector<rule> p;

  // --- secret --------------------------------------------------------------
  p.push_back(secret("secret.aws_access_key_id", R"re((?:AKIA|ASIA)[0-9A-Z]{16})re",
                     "An AWS access key id is committed.", {"AKIA", "ASIA"}));
  {
    rule r = secret("secret.aws_secret_access_key",
                    R"re(aws_?secret_?access_?key["']?[ \t]*[:=]{1,2}>?[ \t]*["']?)re"
                    R"re([A-Za-z0-9/+=]{40}(?:[^A-Za-z0-9/+=\n]|$))re",
                    "An AWS secret access key is assigned in clear.",
                    {"aws_secret_access_key"}, 3.5);
    r.caseless = true;
    r.assigned_value = true;
    p.push_back(r);
  }
  p.push_back(secret("secret.private_key", R"re(-----BEGIN [A-Z ]*PRIVATE KEY-----)re",
                     "A private key is committed.", {"PRIVATE KEY"}));
  p.push_back(secret("secret.slack_token", R"re(xox[baprs]-[0-9A-Za-z-]{10,})re",
                     "A Slack token is committed.", {"xox"}));
  p.push_back(secret("secret.slack_webhook_url",
                     R"re(https://hooks\.slack\.com/services/T[A-Za-z0-9_]{8,}/B[A-Za-z0-9_]{8,}/[A-Za-z0-9_]{16,})re",
                     "A Slack incoming-webhook URL is committed.", {"hooks.slack.com"}));
  p.push_back(secret("secret.github_pat", R"re(ghp_[A-Za-z0-9]{36,})re",
                     "A GitHub personal access token is committed.", {"ghp_"}));
  p.push_back(secret("secret.github_oauth_token", R"re(gho_[A-Za-z0-9]{36,})re",
                     "A GitHub OAuth token is committed.", {"gho_"}));
  p.push_back(secret("secret.github_app_token", R"re(gh[us]_[A-Za-z0-9]{36,})re",
                     "A GitHub App token is committed.", {"ghu_", "ghs_"}));
  p.push_back(secret("secret.github_refresh_token", R"re(ghr_[A-Za-z0-9]{36,})re",
                     "A GitHub refresh token is committed.", {"ghr_"}));
  p.push_back(secret("secret.github_fine_grained_pat", R"re(github_pat_[A-Za-z0-9_]{22,})re",
                     "A GitHub fine-grained personal access token is committed.",
                     {"github_pat_"}));
  p.push_back(secret("secret.gitlab_pat", R"re(glpat-[A-Za-z0-9_-]{20,})re",
                     "A GitLab personal access token is committed.", {"glpat-"}));
  p.push_back(secret("secret.stripe_live_key", R"re((?:sk|rk)_live_[0-9A-Za-z]{20,})re",
                     "A live Stripe secret or restricted key is committed.",
                     {"sk_live_", "rk_live_"}));
  p.push_back(secret("secret.google_api_key", R"re(AIza[0-9A-Za-z_-]{35})re",
                     "A Google API key is committed.", {"AIza"}));
  p.push_back(secret("secret.npm_token", R"re(npm_[A-Za-z0-9]{36})re",
                     "An npm access token is committed.", {"npm_"}));
  p.push_back(secret("secret.anthropic_api_key", R"re(\bsk-ant-[A-Za-z0-9_-]{20,})re",
                     "An Anthropic API key is committed.", {"sk-ant-"}));
  // "sk-" not followed by "ant-": Hyperscan has no lookahead, so the
  // complement is spelled out, keeping Anthropic keys to their own rule.
  p.push_back(secret("secret.openai_api_key",
                     R"re(\bsk-(?:[A-Z0-9_b-z]|a[A-Za-mo-z0-9_-]|an[A-Za-su-z0-9_-]|ant[A-Za-z0-9_])[A-Za-z0-9_-]{17,})re",
                     "An OpenAI API key is committed.", {"sk-"}, 3.5));
  p.push_back(secret("secret.jwt",
                     R"re(\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})re",
                     "A JSON Web Token is committed.", {"eyJ"}));
  p.push_back(secret("secret.twilio_api_key", R"re(\bSK[0-9a-f]{32}\b)re",
                     "A Twilio API key is committed.", {"SK"}, 3.0));
  p.push_back(secret("secret.sendgrid_api_key",
                     R"re(\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})re",
                     "A SendGrid API key is committed.", {"SG."}));
  {
    // Only when assigned to a discord* name: the bare token shape has no
    // literal for Hyperscan to prefilter on and alone doubled the whole
    // pack's scan time on /usr/include.
    rule r = secret("secret.discord_bot_token",
                    R"re((?i:discord)[A-Za-z0-9_-]*["']?[ \t]*[:=]{1,2}>?[ \t]*["']?)re"
                    R"re([MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})re",
                    "A Discord bot token is assigned in clear.", {"discord"}, 3.5);
    r.assigned_value = true;
    p.push_back(r);
  }
  p.push_back(secret("secret.telegram_bot_token", R"re(\b[0-9]{8,10}:AA[0-9A-Za-z_-]{33})re",
                     "A Telegram bot token is committed.", {":AA"}));
  {
    // Quoted values only, without spaces, not starting like a template
    // (`${X}`, `<x>`, `{{x}}`): unquoted right-hand sides are mostly code.
    rule r = secret("secret.generic_assignment",
                    R"re((?:api[_-]?key|secret|token|passw(?:or)?d|pwd)[A-Za-z0-9_-]*["']?)re"
                    R"re([ \t]*[:=]{1,2}>?[ \t]*["'][^"'$<{ \t\n][^"' \t\n]{7,}["'])re",
                    "A credential-like value is assigned in clear.",
                    {"key", "secret", "token", "password", "passwd", "pwd"}, 3.5);
    r.caseless = true;
    r.assigned_value = true;
    r.fallback = true;
    r.stopwords = {"example", "changeme", "placeholder", "dummy", "redacted", "xxxxxx",
                   "your_", "your-"};
    p.push_back(r);
  }

  // --- risky_call ----------------------------------------------------------
  p.push_back(make("risky_call.child_process", medium, R"re(child_process\.(?:exec|spawn))re",
                   "child_process exec/spawn runs an external command.", {"child_process"}));
  p.push_back(make("risky_call.exec_sync", medium, R"re(\bexecSync\()re",
                   "execSync runs a shell command.", {"execSync"}));
  p.push_back(make("risky_call.spawn_sync", medium, R"re(\bspawnSync\()re",
                   "spawnSync runs an external command.", {"spawnSync"}));
  // `model.eval()` (PyTorch) takes no argument; eval of code always has one
  // (or continues on the next line).
  p.push_back(make("risky_call.eval", medium, R"re(\beval\((?:[^)\n]|$))re",
                   "eval() executes a string as code.", {"eval("}));
  p.push_back(make("risky_call.os_system", medium, R"re(\bos\.system\()re",
                   "os.system() runs a shell command.", {"os.system"}));
  p.push_back(make("risky_call.subprocess_shell", medium,
                   R"re(\bsubprocess\.[A-Za-z_]+\(.*shell[ \t]*=[ \t]*True)re",
                   "subprocess with shell=True runs a shell command.", {"shell"}));
  p.push_back(make("risky_call.runtime_exec", medium, R"re(Runtime\.getRuntime\(\)\.exec\()re",
                   "Runtime.exec runs an external command.", {"getRuntime"}));
  p.push_back(make("risky_call.pickle_load", medium, R"re(\b(?:c?[Pp]ickle)\.loads?\()re",
                   "pickle.load(s) deserializes untrusted data into code.", {"ickle"}));
  p.push_back(make("risky_call.yaml_load", medium, R"re(\byaml\.(?:unsafe_)?load\()re",
                   "yaml.load without a safe loader can build arbitrary objects.", {"yaml"}));
  p.push_back(make("risky_call.marshal_load", medium, R"re(\bMarshal\.load\b)re",
                   "Marshal.load deserializes untrusted data into objects.", {"Marshal"}));
  p.push_back(make("risky_call.java_deserialization", medium,
                   R"re(\bObjectInputStream[ \t]*\()re",
                   "ObjectInputStream deserializes untrusted data into objects.",
                   {"ObjectInputStream"}));
  p.push_back(make("risky_call.php_unserialize", medium, R"re(\bunserialize\()re",
                   "unserialize() builds objects from untrusted data.", {"unserialize"}));
  p.push_back(make("risky_call.json_parse_request_body", medium,
                   R"re(JSON\.parse\(.*req\.body)re",
                   "JSON.parse of a request body needs validation.", {"JSON.parse"}));

  // --- permission ----------------------------------------------------------
  p.push_back(make("permission.chmod_exec", medium,
                   R"re(\bchmod[ \t]+(?:-[A-Za-z]+[ \t]+)*[ugoa]*\+[rwxX]*x)re",
                   "chmod makes a file executable.", {"chmod"}));
  p.push_back(make("permission.chmod_world_writable", medium,
                   R"re(\bchmod(?:[ \t]+(?:-[A-Za-z]+[ \t]+)*|\(.*,[ \t]*)0?o?777\b)re",
                   "chmod 777 makes a file writable by everyone.", {"chmod"}));
  p.push_back(make("permission.sudo", medium, R"re(\bsudo[ \t])re",
                   "sudo runs a command as root.", {"sudo"}));
  p.push_back(make("permission.setcap", medium, R"re(\bsetcap[ \t])re",
                   "setcap grants file capabilities.", {"setcap"}));
  p.push_back(make("permission.linux_capability", medium,
                   R"re(\b(?:CAP_)?(?:NET|SYS)_ADMIN\b)re",
                   "A broad Linux capability (NET_ADMIN/SYS_ADMIN) is granted.", {"_ADMIN"}));
  p.push_back(make("permission.run_as_root", medium, R"re(\brunAsUser:[ \t]*0\b)re",
                   "A container runs as root (runAsUser: 0).", {"runAsUser"}));
  p.push_back(make("permission.privileged_container", medium,
                   R"re(\bprivileged:[ \t]*true\b)re",
                   "A container runs privileged.", {"privileged"}));
  p.push_back(make("permission.allow_privilege_escalation", medium,
                   R"re(\ballowPrivilegeEscalation:[ \t]*true\b)re",
                   "A container allows privilege escalation.", {"allowPrivilegeEscalation"}));

  // --- conflict_marker -----------------------------------------------------
  // Exactly seven marker bytes, then a space or the end of the line: an
  // eighth '<' or a setext heading of another length is not a marker.
  p.push_back(make("conflict_marker.start", high, R"re(^<<<<<<<(?:[ \t]|\r?$))re",
                   "A merge conflict start marker is committed.", {"<<<<<<<"}));
  p.push_back(make("conflict_marker.base", high, R"re(^\|\|\|\|\|\|\|(?:[ \t]|\r?$))re",
                   "A merge conflict base marker is committed.", {"|||||||"}));
  p.push_back(make("conflict_marker.separator", high, R"re(^=======\r?$)re",
                   "A merge conflict separator is committed.", {"======="}));
  p.push_back(make("conflict_marker.end", high, R"re(^>>>>>>>(?:[ \t]|\r?$))re",
                   "A merge conflict end marker is committed.", {">>>>>>>"}));

  // --- todo ----------------------------------------------------------------
  p.push_back(make("todo.marker", info, R"re(\b(?:TODO|FIXME|XXX|HACK)\b)re",
                   "A TODO/FIXME/XXX/HACK marker is left in the code.",
                   {"TODO", "FIXME", "XXX", "HACK"}));

  // --- debug ---------------------------------------------------------------
  p.push_back(make("debug.console_log", low, R"re(\bconsole\.log\()re",
                   "console.log is left in the code.", {"console.log"}));
  p.push_back(make("debug.debugger", low, R"re(\bdebugger[ \t]*;)re",
                   "A debugger statement is left in the code.", {"debugger"}));
  p.push_back(only_in(make("debug.print", low, R"re(^[ \t]*print\()re",
                           "A print() call is left in the code.", {"print("}),
                      {".py"}));
  p.push_back(make("debug.pdb", low, R"re(\bi?pdb\.set_trace\()re",
                   "A pdb breakpoint is left in the code.", {"set_trace"}));
  p.push_back(make("debug.breakpoint", low, R"re(\bbreakpoint\(\))re",
                   "A breakpoint() call is left in the code.", {"breakpoint"}));
  p.push_back(make("debug.binding_pry", low, R"re(\bbinding\.pry\b)re",
                   "A binding.pry breakpoint is left in the code.", {"binding.pry"}));
  p.push_back(make("debug.var_dump", low, R"re(\bvar_dump\()re",
                   "var_dump() is left in the code.", {"var_dump"}));
  p.push_back(only_in(make("debug.dd", low, R"re(\bdd\()re", "dd() is left in the code.",
                           {"dd("}),
                      {".php"}));

  // --- whitespace, final_newline, oversized --------------------------------
  {
    // Matches the '\n' itself: a literal end is nearly free for Hyperscan,
    // while `$` cost ~40% of the pack's scan time. The scanner adds the last
    // line when the file does not end in '\n'.
    rule r = make("whitespace.trailing", info, R"re([ \t]\r?\n)re",
                  "The line ends with spaces or tabs.");
    r.kind = rule_kind::trailing_whitespace;
    r.fixable = true;
    p.push_back(r);
  }
  {
    rule r = make("final_newline.missing", info, "", "The file does not end with a newline.");
    r.kind = rule_kind::final_newline;
    r.fixable = true;
    p.push_back(r);
  }
  {
    rule r = make("oversized.file", low, "",
                  "The file is larger than max_file_bytes, so its content was not scanned.");
    r.kind = rule_kind::oversized;
    p.push_back(r);
  }
  return p;
}

void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

void put_list(std::string& out, const std::vector<std::string>& items) {
  put(out, std::to_string(items.size()));
  for (const auto& s : items) put(out, s);
}

}  // namespace

const std::vector<rule>& builtin_rules() {
  static const std::vector<rule> rules = build();
  return rules;
}

std::string rule_pack_hash(const std::vector<rule>& rules) {
  std::string out = "casm.rule_pack/1\n";
  put(out, engine_version);
  for (const auto& r : rules) {
    put(out, r.id);
    put(out, r.family);
    put(out, messages::to_string(r.level));
    put(out, std::to_string(static_cast<int>(r.kind)));
    put(out, r.pattern);
    put(out, r.message);
    char entropy[32];
    std::snprintf(entropy, sizeof entropy, "%.4f", r.min_entropy);
    put(out, entropy);
    std::string flags;
    flags += r.secret ? 'S' : '-';
    flags += r.caseless ? 'I' : '-';
    flags += r.fixable ? 'F' : '-';
    flags += r.assigned_value ? 'A' : '-';
    flags += r.fallback ? 'G' : '-';
    put(out, flags);
    put_list(out, r.stopwords);
    put_list(out, r.extensions);
    put_list(out, r.keywords);
    out += '\n';
  }
  return codec::sha256_hex(out);
}

const std::string& rule_pack_hash() {
  static const std::string h = rule_pack_hash(builtin_rules());
  return h;
}

int find_rule(const std::vector<rule>& rules, std::string_view id) {
  for (size_t i = 0; i < rules.size(); ++i)
    if (rules[i].id == id) return static_cast<int>(i);
  return -1;
}

std::vector<messages::rule_info> rule_infos(const std::vector<rule>& rules) {
  std::vector<messages::rule_info> out;
  out.reserve(rules.size());
  for (const auto& r : rules) out.push_back({r.id, r.family, r.level, r.message});
  return out;
}

}  // namespace casm::policy
