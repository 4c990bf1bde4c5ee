#include "policy/ruleset.h"

#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <utility>

#include "messages/codec/digest.h"
#include "policy/glob.h"
#include "policy/scanner.h"

namespace casm::policy {

using codec::config_error;
using codec::make_config_error;
using codec::yaml_field;
using codec::yaml_kind;
using codec::yaml_schema;

namespace {

constexpr std::array<std::pair<heuristic_id, std::string_view>, 4> heuristic_names = {{
  {heuristic_id::secret_like, "secret_like_patterns"},
  {heuristic_id::command_exec, "command_exec_additions"},
  {heuristic_id::deserialization, "deserialization_risk"},
  {heuristic_id::permission_escalation, "permission_escalation"},
}};

constexpr std::string_view signal_new = "adds_new_dependency: true";
constexpr std::string_view signal_major = "updates_dependency_major: true";

const std::vector<std::string> action_vocabulary = {"stop_before_apply", "emit_hitl_request",
                                                    "stop_immediately", "emit_security_alert"};

yaml_field field(std::string key, yaml_kind kind, bool required = false) {
  yaml_field f;
  f.key = std::move(key);
  f.kind = kind;
  f.required = required;
  return f;
}
yaml_field unit_number(std::string key, bool required) {
  yaml_field f = field(std::move(key), yaml_kind::number, required);
  f.min = 0;
  f.max = 1;
  return f;
}
yaml_field strings(std::string key, bool required = false, std::vector<std::string> allowed = {}) {
  yaml_field f = field(std::move(key), yaml_kind::string_list, required);
  f.allowed = std::move(allowed);
  return f;
}
yaml_field mapping(std::string key, std::vector<yaml_field> children, bool required = false) {
  yaml_field f = field(std::move(key), yaml_kind::map, required);
  f.children = std::move(children);
  return f;
}

// The seed's "Default Policy Ruleset v0.1" shape. Gating conditions are
// plain strings here; their vocabulary is checked with a better message
// after the schema.
yaml_schema ruleset_schema() {
  std::vector<yaml_field> heuristics;
  for (const auto& [id, name] : heuristic_names)
    heuristics.push_back(
      mapping(std::string(name), {unit_number("weight", true), strings("patterns", true)}));
  heuristics.push_back(mapping(
    "dependency_risk",
    {unit_number("weight", true), strings("files", true),
     strings("signals", false, {std::string(signal_new), std::string(signal_major)})}));

  yaml_field version = field("version", yaml_kind::string, true);
  version.allowed = {"0.1"};
  return {
    version,
    field("ruleset", yaml_kind::string, true),
    mapping("risk_thresholds",
            {unit_number("warn", true), unit_number("gate", true), unit_number("block", true)},
            true),
    mapping("path_sensitivity", {strings("high"), strings("medium")}),
    mapping("diff_heuristics", heuristics),
    mapping("gating", {strings("require_hitl_if"), strings("block_if")}, true),
    mapping("actions", {strings("on_gate", false, action_vocabulary),
                        strings("on_block", false, action_vocabulary)}),
  };
}

bool valid_id(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The schema has already checked the scalar with strtod, which accepts more
// spellings than yaml-cpp's as<double>() (e.g. "0x0.8").
double number(const YAML::Node& n) { return std::strtod(n.Scalar().c_str(), nullptr); }

std::string format_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// The scanner's error is "rule <id>: bad pattern: <reason>"; keep the
// reason, in the ruleset author's terms (no Hyperscan flag can be set here).
std::string hyperscan_reason(const std::string& error) {
  if (error.find("has an empty pattern") != std::string::npos) return "it is empty";
  if (error.find("matches empty buffer") != std::string::npos)
    return "it can match the empty string, so it would hit every line";
  const std::string marker = ": bad pattern: ";
  const size_t at = error.find(marker);
  return at == std::string::npos ? error : error.substr(at + marker.size());
}

class ruleset_reader {
public:
  ruleset_reader(const std::string& file, std::vector<config_error>& errors)
      : file_(file), errors_(errors) {}

  void fail(const YAML::Node& at, std::string key, std::string message) {
    errors_.push_back(make_config_error(file_, at.Mark(), std::move(key), std::move(message)));
  }

  std::vector<std::string> string_list(const YAML::Node& n) {
    std::vector<std::string> out;
    if (n && n.IsSequence())
      for (const auto& x : n) out.push_back(x.Scalar());
    return out;
  }

  void read_thresholds(const YAML::Node& t, risk_thresholds& out) {
    out.warn = number(t["warn"]);
    out.gate = number(t["gate"]);
    out.block = number(t["block"]);
    if (out.gate < out.warn)
      fail(t["gate"], "risk_thresholds.gate",
           "risk_thresholds must satisfy warn <= gate <= block: gate " + format_number(out.gate) +
             " is below warn " + format_number(out.warn));
    if (out.block < out.gate)
      fail(t["block"], "risk_thresholds.block",
           "risk_thresholds must satisfy warn <= gate <= block: block " +
             format_number(out.block) + " is below gate " + format_number(out.gate));
  }

  // Every glob compiles; reports each bad one at its position.
  std::vector<std::string> globs(const YAML::Node& list, const std::string& key) {
    std::vector<std::string> out;
    if (!list) return out;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string error;
      const std::string ikey = key + "[" + std::to_string(i) + "]";
      if (!glob::compile(list[i].Scalar(), &error)) fail(list[i], ikey, ikey + ": " + error);
      out.push_back(list[i].Scalar());
    }
    return out;
  }

  std::vector<gating_condition> conditions(const YAML::Node& list, const std::string& key,
                                           const ruleset& rs) {
    std::vector<gating_condition> out;
    if (!list) return out;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string ikey = key + "[" + std::to_string(i) + "]";
      const std::string& text = list[i].Scalar();
      auto c = parse_gating_condition(text);
      if (!c) {
        std::string known;
        for (auto cond : messages::all_gating_conditions)
          known += (known.empty() ? "\"" : ", \"") + std::string(to_string(cond)) + "\"";
        fail(list[i], ikey,
             "unknown gating condition '" + text + "' in " + ikey + " (expected one of: " +
               known + ")");
        continue;
      }
      if (*c == gating_condition::secret_like_detected && !rs.find(heuristic_id::secret_like))
        fail(list[i], ikey,
             ikey + " uses secret_like_detected, but diff_heuristics has no secret_like_patterns");
      if (*c == gating_condition::touches_dependency_files && !rs.dependency)
        fail(list[i], ikey,
             ikey + " uses touches_dependency_files, but diff_heuristics has no dependency_risk");
      out.push_back(*c);
    }
    return out;
  }

  // Each pattern compiles in Hyperscan with the scanner's own flags. The
  // whole pack is compiled (and cached for build_heuristics_scanner) first;
  // only if that fails is each pattern compiled alone, to name every bad one.
  void check_patterns(const ruleset& rs, const YAML::Node& heuristics_node) {
    std::vector<rule> rules = heuristic_rules(rs);
    std::string error;
    if (rules.empty() || scanner::for_pack(rules, &error)) return;
    size_t k = 0;
    for (const auto& h : rs.heuristics) {
      const YAML::Node list = heuristics_node[h.name]["patterns"];
      for (size_t i = 0; i < h.patterns.size(); ++i, ++k) {
        std::string why;
        if (scanner::compile({rules[k]}, &why)) continue;
        const std::string key =
          "diff_heuristics." + h.name + ".patterns[" + std::to_string(i) + "]";
        fail(list[i], key,
             "pattern '" + h.patterns[i] + "' (" + key + ") does not compile: " +
               hyperscan_reason(why));
      }
    }
  }

private:
  const std::string& file_;
  std::vector<config_error>& errors_;
};

}  // namespace

std::string_view to_string(heuristic_id h) {
  for (const auto& [id, name] : heuristic_names)
    if (id == h) return name;
  return "?";
}

std::optional<heuristic_id> parse_heuristic_id(std::string_view key) {
  for (const auto& [id, name] : heuristic_names)
    if (name == key) return id;
  return std::nullopt;
}

messages::severity severity_of(heuristic_id h) {
  return h == heuristic_id::secret_like ? messages::severity::high : messages::severity::medium;
}

const heuristic* ruleset::find(heuristic_id h) const {
  for (const auto& x : heuristics)
    if (x.id == h) return &x;
  return nullptr;
}

std::vector<rule> heuristic_rules(const ruleset& rs) {
  std::vector<rule> rules;
  for (const auto& h : rs.heuristics) {
    for (size_t i = 0; i < h.patterns.size(); ++i) {
      rule r;
      r.id = "heuristic." + h.name + "." + std::to_string(i);
      r.family = "heuristic";
      r.level = severity_of(h.id);
      r.kind = rule_kind::pattern;
      r.pattern = h.patterns[i];
      r.message = "An added line matches a " + h.name + " pattern.";
      r.secret = h.id == heuristic_id::secret_like;
      rules.push_back(std::move(r));
    }
  }
  return rules;
}

namespace {

bool parse_ruleset_text(const std::string& file, const std::string& text, ruleset& out,
                        std::vector<config_error>& errors);

// What one parse gave: a fleet parses the same ruleset for each of its runs
// (the gate, the coordinator), and a YAML parse with its schema check was
// 7% of a fleet's CPU. Parsing is a pure function of (file, text).
struct parsed_ruleset {
  bool ok = false;
  ruleset rules;
  std::vector<config_error> errors;
};

}  // namespace

bool parse_ruleset(const std::string& file, const std::string& text, ruleset& out,
                   std::vector<config_error>& errors) {
  static std::mutex mu;
  static std::map<std::pair<std::string, std::string>, std::shared_ptr<const parsed_ruleset>> memo;
  const auto key = std::make_pair(file, codec::sha256_hex(text));
  std::shared_ptr<const parsed_ruleset> hit;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = memo.find(key); it != memo.end()) hit = it->second;
  }
  if (!hit) {
    auto fresh = std::make_shared<parsed_ruleset>();
    fresh->ok = parse_ruleset_text(file, text, fresh->rules, fresh->errors);
    std::lock_guard<std::mutex> lock(mu);
    if (memo.size() >= 64) memo.clear();  // bounded: a process sees a few rulesets
    hit = memo.emplace(key, std::move(fresh)).first->second;
  }
  errors.insert(errors.end(), hit->errors.begin(), hit->errors.end());
  if (hit->ok) out = hit->rules;
  return hit->ok;
}

namespace {

bool parse_ruleset_text(const std::string& file, const std::string& text, ruleset& out,
                        std::vector<config_error>& errors) {
  YAML::Node root;
  if (auto err = codec::parse_yaml(file, text, root)) {
    errors.push_back(*err);
    return false;
  }
  const size_t before = errors.size();
  codec::check_yaml(file, root, ruleset_schema(), errors);
  if (errors.size() != before) return false;

  const YAML::Node& doc = root;
  ruleset_reader reader(file, errors);
  ruleset rs;
  rs.version = doc["version"].Scalar();
  rs.id = doc["ruleset"].Scalar();
  if (!valid_id(rs.id))
    reader.fail(doc["ruleset"], "ruleset",
                "ruleset id '" + rs.id + "' must be letters, digits, '.', '_' or '-'");
  reader.read_thresholds(doc["risk_thresholds"], rs.thresholds);

  if (const YAML::Node ps = doc["path_sensitivity"]) {
    rs.high_paths = reader.globs(ps["high"], "path_sensitivity.high");
    rs.medium_paths = reader.globs(ps["medium"], "path_sensitivity.medium");
  }

  const YAML::Node dh = doc["diff_heuristics"];
  if (dh) {
    for (auto it = dh.begin(); it != dh.end(); ++it) {
      const std::string name = it->first.Scalar();
      const YAML::Node body = it->second;
      if (name == "dependency_risk") {
        dependency_risk d;
        d.weight = number(body["weight"]);
        d.files = reader.globs(body["files"], "diff_heuristics.dependency_risk.files");
        for (const auto& s : reader.string_list(body["signals"])) {
          if (s == signal_new) d.adds_new_dependency = true;
          if (s == signal_major) d.updates_dependency_major = true;
        }
        rs.dependency = std::move(d);
        continue;
      }
      heuristic h;
      h.id = *parse_heuristic_id(name);  // the schema admits only known names
      h.name = name;
      h.weight = number(body["weight"]);
      h.patterns = reader.string_list(body["patterns"]);
      rs.heuristics.push_back(std::move(h));
    }
  }

  const YAML::Node g = doc["gating"];
  rs.require_hitl_if = reader.conditions(g["require_hitl_if"], "gating.require_hitl_if", rs);
  rs.block_if = reader.conditions(g["block_if"], "gating.block_if", rs);

  if (const YAML::Node a = doc["actions"]) {
    rs.on_gate = reader.string_list(a["on_gate"]);
    rs.on_block = reader.string_list(a["on_block"]);
  }

  if (dh) reader.check_patterns(rs, dh);
  if (errors.size() != before) return false;
  out = std::move(rs);
  return true;
}

}  // namespace

std::string ruleset_hash(std::string_view text) { return codec::sha256_hex(text); }

}  // namespace casm::policy
