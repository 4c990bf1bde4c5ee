#include "telemetry/issues_writer.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

#include "messages/codec/json_text.h"

namespace casm::telemetry {

using codec::json;
using messages::finding;
using messages::severity;

namespace {

constexpr severity all_levels[] = {severity::high, severity::medium, severity::low,
                                   severity::info};

std::vector<finding> sorted(const std::vector<finding>& findings) {
  std::vector<finding> out = findings;
  sort_findings(out);
  return out;
}

json suppressed_of(const messages::audit_scope& s) {
  return {{"inline", s.suppressed_inline},
          {"allowlist", s.suppressed_allowlist},
          {"baseline", s.suppressed_baseline}};
}

json scope_of(const messages::audit_scope& s) {
  json j = json::object();
  j["mode"] = s.mode;
  codec::put_bytes(j, "repo", s.repo);
  j["head_commit"] = s.head_commit;
  j["base_commit"] = s.base_commit;
  j["run_id"] = s.run_id;
  j["files_scanned"] = s.files_scanned;
  j["bytes_scanned"] = s.bytes_scanned;
  j["commits_scanned"] = s.commits_scanned;
  json skipped = json::array();
  std::vector<const messages::skipped_file*> order;
  for (const auto& k : s.skipped) order.push_back(&k);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return std::tie(a->path, a->reason) < std::tie(b->path, b->reason);
  });
  for (const auto* k : order) {
    json e = json::object();
    codec::put_bytes(e, "path", k->path);
    e["reason"] = k->reason;
    e["bytes"] = k->bytes;
    e["detail"] = codec::display_text(k->detail);
    skipped.push_back(std::move(e));
  }
  j["skipped"] = std::move(skipped);
  j["suppressed"] = suppressed_of(s);
  return j;
}

json finding_json(const finding& f) {
  json j = json::object();
  j["rule_id"] = f.rule_id;
  j["family"] = f.family;
  j["severity"] = std::string(messages::to_string(f.level));
  codec::put_bytes(j, "path", f.path);
  j["line"] = f.line;
  j["column"] = f.column;
  j["end_column"] = f.end_column;
  j["fingerprint"] = f.fingerprint;
  j["preview"] = codec::display_text(f.preview);
  j["message"] = codec::display_text(f.message);
  if (!f.commit.empty()) j["commit"] = f.commit;
  j["secret"] = f.secret;
  j["fixable"] = f.fixable;
  return j;
}

// --- SARIF ------------------------------------------------------------------

std::string sarif_level(severity s) {
  switch (s) {
    case severity::high: return "error";
    case severity::medium: return "warning";
    default: return "note";
  }
}

// GitHub ranks security alerts by this number (critical >= 9.0, high
// >= 7.0, medium >= 4.0, low otherwise) and reads it only on rules tagged
// "security".
std::string security_severity(severity s) {
  switch (s) {
    case severity::high: return "8.0";
    case severity::medium: return "5.0";
    case severity::low: return "3.0";
    default: return "1.0";
  }
}

bool is_security_family(const std::string& family) {
  return family == "secret" || family == "risky_call" || family == "permission";
}

// "secret.aws_access_key_id" -> "SecretAwsAccessKeyId": SARIF's `name` is a
// readable identifier, distinct from the opaque id.
std::string pascal_name(const std::string& id) {
  std::string out;
  bool upper = true;
  for (char c : id) {
    if (c == '.' || c == '_' || c == '-') {
      upper = true;
      continue;
    }
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out += c;
    upper = false;
  }
  return out;
}

json sarif_rule(const messages::rule_info& r) {
  json tags = json::array();
  json props = json::object();
  if (is_security_family(r.family)) {
    tags.push_back("security");
    props["security-severity"] = security_severity(r.level);
  }
  tags.push_back(r.family);
  props["tags"] = std::move(tags);
  props["severity"] = std::string(messages::to_string(r.level));
  return {{"id", r.id},
          {"name", pascal_name(r.id)},
          {"shortDescription", {{"text", codec::display_text(r.message)}}},
          {"fullDescription", {{"text", codec::display_text(r.message)}}},
          {"defaultConfiguration", {{"level", sarif_level(r.level)}}},
          {"properties", std::move(props)}};
}

json sarif_result(const finding& f, int rule_index) {
  json region = json::object();
  if (f.line == 0) {
    // A whole-file finding has no span; GitHub still needs a line.
    region["startLine"] = 1;
  } else {
    region["startLine"] = f.line;
    region["startColumn"] = std::max<uint32_t>(f.column, 1);
    region["endColumn"] = std::max(f.end_column, std::max<uint32_t>(f.column, 1));
  }
  json r = json::object();
  r["ruleId"] = f.rule_id;
  if (rule_index >= 0) r["ruleIndex"] = rule_index;
  r["level"] = sarif_level(f.level);
  r["message"] = {{"text", codec::display_text(f.message)}};
  r["locations"] = json::array({{{"physicalLocation",
                                  {{"artifactLocation", {{"uri", path_to_uri(f.path)}}},
                                   {"region", std::move(region)}}}}});
  r["partialFingerprints"] = {{"casm/v1", f.fingerprint}};
  json props = json::object();
  props["severity"] = std::string(messages::to_string(f.level));
  if (!f.preview.empty()) props["preview"] = codec::display_text(f.preview);
  if (!f.commit.empty()) props["commit"] = f.commit;
  r["properties"] = std::move(props);
  return r;
}

json sarif_run_properties(const messages::audit_scope& s) {
  json p = json::object();
  p["mode"] = s.mode;
  p["rule_pack_hash"] = s.rule_pack_hash;
  if (!s.run_id.empty()) p["run_id"] = s.run_id;
  if (!s.head_commit.empty()) p["head_commit"] = s.head_commit;
  if (!s.base_commit.empty()) p["base_commit"] = s.base_commit;
  p["files_scanned"] = s.files_scanned;
  p["bytes_scanned"] = s.bytes_scanned;
  p["commits_scanned"] = s.commits_scanned;
  p["files_skipped"] = s.skipped.size();
  p["suppressed"] = suppressed_of(s);
  return p;
}

}  // namespace

bool finding_before(const finding& a, const finding& b) {
  return std::tie(a.path, a.line, a.column, a.rule_id, a.commit, a.fingerprint) <
         std::tie(b.path, b.line, b.column, b.rule_id, b.commit, b.fingerprint);
}

void sort_findings(std::vector<finding>& findings) {
  std::sort(findings.begin(), findings.end(), finding_before);
}

std::string path_to_uri(const std::string& path) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                      c == '~' || c == '/';
    if (keep) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

std::string render_issues_json(const std::vector<finding>& findings,
                               const messages::audit_scope& scope) {
  const std::vector<finding> ordered = sorted(findings);
  json doc = json::object();
  doc["schema_version"] = "1";
  doc["tool"] = {{"name", "casm"},
                 {"version", scope.tool_version},
                 {"rule_pack_hash", scope.rule_pack_hash}};
  doc["scope"] = scope_of(scope);

  json by_severity = json::object();
  for (severity s : all_levels) by_severity[std::string(messages::to_string(s))] = 0;
  std::map<std::string, uint64_t> by_family;
  json list = json::array();
  for (const auto& f : ordered) {
    auto& n = by_severity[std::string(messages::to_string(f.level))];
    n = n.get<uint64_t>() + 1;
    ++by_family[f.family];
    list.push_back(finding_json(f));
  }
  doc["summary"] = {{"total", ordered.size()},
                    {"by_severity", std::move(by_severity)},
                    {"by_family", by_family}};
  doc["findings"] = std::move(list);
  return doc.dump(2) + "\n";
}

namespace {

// The rule catalog, `rules` as a SARIF array rendered by dump(2) at depth 0.
// It is the same for every run of a process (the rule pack's rules), and
// building and dumping it was 6% of a 240-repository fleet's CPU: rendered
// once per distinct catalog, then spliced into each run's document.
const std::string& rendered_rules(const std::vector<messages::rule_info>& rules) {
  std::string key;
  for (const auto& r : rules) {
    key += r.id;
    key += '\0';
    key += r.family;
    key += '\0';
    key += messages::to_string(r.level);
    key += '\0';
    key += r.message;
    key += '\n';
  }
  static std::mutex mu;
  static std::map<std::string, std::string> memo;
  std::lock_guard<std::mutex> lock(mu);
  auto it = memo.find(key);
  if (it == memo.end()) {
    json list = json::array();
    for (const auto& r : rules) list.push_back(sarif_rule(r));
    if (memo.size() >= 16) memo.clear();  // bounded: one catalog per rule pack
    it = memo.emplace(std::move(key), list.dump(2)).first;
  }
  return it->second;
}

// Replaces the JSON string `placeholder` in `text` (a dump(2)) with
// `value`, a dump(2) at depth 0, indented to the placeholder's line.
void splice(std::string& text, const std::string& placeholder, const std::string& value) {
  const auto at = text.find(placeholder);
  if (at == std::string::npos) return;
  const auto line = text.rfind('\n', at) + 1;
  const auto indent = text.substr(line, text.find_first_not_of(' ', line) - line);
  std::string indented;
  indented.reserve(value.size() + value.size() / 8);
  for (char c : value) {
    indented += c;
    if (c == '\n') indented += indent;
  }
  text.replace(at, placeholder.size(), indented);
}

}  // namespace

std::string render_sarif(const std::vector<finding>& findings,
                         const messages::audit_scope& scope,
                         const std::vector<messages::rule_info>& rules) {
  const std::vector<finding> ordered = sorted(findings);
  std::map<std::string, int> index;
  for (size_t i = 0; i < rules.size(); ++i) index.emplace(rules[i].id, static_cast<int>(i));
  // A string no rendering can contain (a control character is escaped).
  static const std::string placeholder_value = "\x01" "casm:rules" "\x01";
  json driver = {{"name", "casm"}, {"rules", placeholder_value}};
  if (!scope.tool_version.empty()) {
    driver["version"] = scope.tool_version;
    driver["semanticVersion"] = scope.tool_version;
  }
  json results = json::array();
  for (const auto& f : ordered) {
    auto it = index.find(f.rule_id);
    results.push_back(sarif_result(f, it == index.end() ? -1 : it->second));
  }
  json run = json::object();
  run["tool"] = {{"driver", std::move(driver)}};
  run["invocations"] = json::array({{{"executionSuccessful", true}}});
  run["results"] = std::move(results);
  run["properties"] = sarif_run_properties(scope);
  json doc = json::object();
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  doc["runs"] = json::array({std::move(run)});
  std::string text = doc.dump(2);
  splice(text, json(placeholder_value).dump(), rendered_rules(rules));
  return text + "\n";
}

}  // namespace casm::telemetry
