#include "policy/risk.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "messages/codec/digest.h"
#include "policy/glob.h"

namespace casm::policy {

using messages::severity;

namespace {

constexpr std::string_view rule_prefix = "heuristic.";
constexpr std::string_view allow_directive = "casm:allow";

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string without_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (!is_blank(c)) out += c;
  return out;
}

// The scanner honours `casm:allow` comments; the gate must not. Same length,
// so columns do not move.
std::string neutralize_allow(std::string text) {
  size_t at = 0;
  while ((at = text.find(allow_directive, at)) != std::string::npos) {
    text[at + 4] = ';';
    at += allow_directive.size();
  }
  return text;
}

// "heuristic.<name>.<index>" -> <name>; empty for any other id.
std::string heuristic_of(std::string_view rule_id) {
  if (rule_id.substr(0, rule_prefix.size()) != rule_prefix) return "";
  rule_id.remove_prefix(rule_prefix.size());
  const size_t dot = rule_id.rfind('.');
  return dot == std::string_view::npos ? "" : std::string(rule_id.substr(0, dot));
}

reason_code reason_of(heuristic_id h) {
  switch (h) {
    case heuristic_id::secret_like: return reason_code::secret_like;
    case heuristic_id::command_exec: return reason_code::command_exec;
    case heuristic_id::deserialization: return reason_code::deserialization;
    case heuristic_id::permission_escalation: return reason_code::permission_escalation;
  }
  return reason_code::secret_like;
}

signal_type signal_type_of(heuristic_id h) {
  switch (h) {
    case heuristic_id::secret_like: return signal_type::secret_like;
    case heuristic_id::command_exec: return signal_type::command_execution;
    case heuristic_id::deserialization: return signal_type::diff_pattern;
    case heuristic_id::permission_escalation: return signal_type::permission_escalation;
  }
  return signal_type::diff_pattern;
}

// The hunks that add lines, ordered by their first new line.
std::vector<const messages::hunk_info*> adding_hunks(
    const std::vector<messages::hunk_info>& hunks) {
  std::vector<const messages::hunk_info*> out;
  for (const auto& h : hunks)
    if (h.new_lines > 0) out.push_back(&h);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return a->new_start < b->new_start;
  });
  return out;
}

// The hunk whose new-side range holds `line`, or nullptr.
const messages::hunk_info* hunk_of(const std::vector<const messages::hunk_info*>& adding,
                                   uint32_t line) {
  auto it = std::upper_bound(adding.begin(), adding.end(), line,
                             [](uint32_t l, const auto* h) { return l < h->new_start; });
  if (it == adding.begin()) return nullptr;
  const auto* h = *std::prev(it);
  return line - h->new_start < h->new_lines ? h : nullptr;
}

// 1 - 2^-n is exact in binary floating point for n <= 53 (and ldexp is
// exact for any n), so the score is bit-identical on every machine.
double saturation(uint32_t n) {
  return 1.0 - std::ldexp(1.0, -static_cast<int>(std::min(n, 1074u)));
}

// The ruleset's globs, compiled once per pattern list and thread
// (compiled_glob_set): assess() runs for every gate of every run.
std::shared_ptr<const glob_set> compile_globs(const std::vector<std::string>& patterns) {
  std::string error;
  auto set = compiled_glob_set(patterns, &error);
  if (!set) throw std::invalid_argument("ruleset glob does not compile: " + error);
  return set;
}

// Index of the first glob matching the file's path (or its old path), or -1.
int first_match(const glob_set& globs, const file_fact& f) {
  return globs.first_match_index(f.path, f.old_path);
}

std::string format2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string join(const std::vector<std::string>& xs, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i) out += sep;
    out += xs[i];
  }
  return out;
}

// Stable ids: a hash of what the signal says, so a signal keeps its id when
// other signals come and go. Identical signals are told apart by a suffix.
void assign_signal_ids(std::vector<risk_signal>& signals) {
  std::map<std::string, int> seen;
  for (auto& s : signals) {
    std::string key;
    for (std::string_view part :
         {std::string_view(to_string(s.type)), std::string_view(to_string(s.reason)),
          std::string_view(s.file), std::string_view(s.message),
          std::string_view(to_string(s.evidence.kind)), std::string_view(s.evidence.pattern_id),
          std::string_view(s.evidence.diff_hunk_sha256)}) {
      key += std::to_string(part.size());
      key += ':';
      key += part;
    }
    key += std::to_string(s.line_start) + ":" + std::to_string(s.line_end);
    std::string id = "sig-" + codec::sha256_hex(key).substr(0, 16);
    const int n = ++seen[id];
    if (n > 1) id += "-" + std::to_string(n);
    s.signal_id = std::move(id);
  }
}

class assessment_builder {
public:
  explicit assessment_builder(risk_assessment& out) : out_(out) {}

  void add(signal_type type, severity level, reason_code reason, std::string file,
           uint32_t line, std::string message, evidence_kind kind, std::string pattern_id = "",
           std::string hunk = "") {
    risk_signal s;
    s.type = type;
    s.severity = level;
    s.reason = reason;
    s.file = std::move(file);
    s.line_start = s.line_end = line;
    s.message = std::move(message);
    s.evidence.kind = kind;
    s.evidence.pattern_id = std::move(pattern_id);
    s.evidence.diff_hunk_sha256 = std::move(hunk);
    out_.signals.push_back(std::move(s));
    reasons_.insert(reason);
  }
  void reason(reason_code r) { reasons_.insert(r); }

  void finish() {
    auto& sig = out_.signals;
    std::sort(sig.begin(), sig.end(), [](const risk_signal& a, const risk_signal& b) {
      return std::tie(a.file, a.line_start, a.line_end, a.type, a.evidence.pattern_id, a.message) <
             std::tie(b.file, b.line_start, b.line_end, b.type, b.evidence.pattern_id, b.message);
    });
    assign_signal_ids(sig);
    out_.reason_codes.assign(reasons_.begin(), reasons_.end());
  }

private:
  risk_assessment& out_;
  std::set<reason_code> reasons_;  // enum order is the canonical order
};

}  // namespace

std::optional<scanner> build_heuristics_scanner(const ruleset& rs, std::string* error) {
  return scanner::for_pack(heuristic_rules(rs), error);
}

bool is_dependency_file(const ruleset& rs, std::string_view path) {
  if (!rs.dependency) return false;
  return compile_globs(rs.dependency->files)->matches(path);
}

diff_evidence collect_evidence(const scanner& heuristics_scanner,
                               const std::vector<changed_file>& files,
                               const std::vector<dependency_manifest>& manifests) {
  diff_evidence ev;
  for (const auto& f : files) {
    ev.files.push_back({f.path, f.old_path, f.status, f.readable, f.unreadable_reason});
    if (!f.readable || f.added_lines.empty()) continue;

    std::vector<const added_line*> added;
    for (const auto& l : f.added_lines) added.push_back(&l);
    std::stable_sort(added.begin(), added.end(),
                     [](const added_line* a, const added_line* b) { return a->line < b->line; });

    // Each removed line can excuse one added line with the same text once
    // whitespace is removed.
    std::unordered_map<std::string, std::vector<size_t>> removed;
    for (size_t i = f.removed_lines.size(); i-- > 0;)
      removed[without_whitespace(f.removed_lines[i])].push_back(i);  // popped front-first

    std::vector<std::pair<uint32_t, std::string>> lines, paired;
    for (const added_line* l : added) {
      lines.emplace_back(l->line, neutralize_allow(l->text));
      auto it = removed.find(without_whitespace(l->text));
      if (it == removed.end() || it->second.empty()) continue;
      paired.emplace_back(l->line, neutralize_allow(f.removed_lines[it->second.back()]));
      it->second.pop_back();
    }
    std::set<std::pair<std::string, uint32_t>> already_there;
    if (!paired.empty())
      for (const auto& h : heuristics_scanner.scan_added_lines(f.path, paired))
        already_there.emplace(h.rule_id, h.line);

    const auto adding = adding_hunks(f.hunks);
    std::map<uint32_t, const std::string*> text_of;
    for (const added_line* l : added) text_of.emplace(l->line, &l->text);
    for (const auto& h : heuristics_scanner.scan_added_lines(f.path, lines)) {
      if (already_there.count({h.rule_id, h.line})) continue;
      pattern_hit p;
      p.rule_id = h.rule_id;
      p.heuristic = heuristic_of(h.rule_id);
      p.path = f.path;
      p.line = h.line;
      p.column = h.column;
      p.line_sha256 = codec::sha256_hex(*text_of.at(h.line));
      if (const auto* hunk = hunk_of(adding, h.line)) p.hunk_sha256 = hunk->sha256;
      ev.hits.push_back(std::move(p));
    }
  }
  std::sort(ev.files.begin(), ev.files.end(),
            [](const file_fact& a, const file_fact& b) { return a.path < b.path; });
  std::sort(ev.hits.begin(), ev.hits.end(), [](const pattern_hit& a, const pattern_hit& b) {
    return std::tie(a.path, a.line, a.column, a.rule_id) <
           std::tie(b.path, b.line, b.column, b.rule_id);
  });

  ev.dependency_changes = diff_dependencies(manifests);
  // A changed lockfile whose texts were not supplied is still a change.
  std::set<std::string> supplied;
  for (const auto& m : manifests) supplied.insert(m.path);
  for (const auto& f : files) {
    if (supplied.count(f.path) || !is_lockfile(format_of(f.path))) continue;
    dependency_change c;
    c.file = f.path;
    c.kind = dependency_change_kind::lockfile_changed;
    c.detail = "the lockfile changed (" + std::string(to_string(f.status)) +
               "); its packages were not compared";
    ev.dependency_changes.push_back(std::move(c));
  }
  std::stable_sort(ev.dependency_changes.begin(), ev.dependency_changes.end(),
                   [](const dependency_change& a, const dependency_change& b) {
                     return std::tie(a.file, a.name, a.kind) < std::tie(b.file, b.name, b.kind);
                   });
  return ev;
}

risk_assessment assess(const ruleset& rs, const diff_evidence& ev) {
  risk_assessment out;
  out.thresholds = rs.thresholds;
  assessment_builder b(out);

  const auto high_set = compile_globs(rs.high_paths);
  const auto medium_set = compile_globs(rs.medium_paths);
  static const std::vector<std::string> no_files;
  const auto deps_set = compile_globs(rs.dependency ? rs.dependency->files : no_files);
  const glob_set &high = *high_set, &medium = *medium_set, &deps = *deps_set;

  bool touches_high = false, touches_medium = false, touches_deps = false;
  std::set<std::string> deny, allow, dependency_files;
  for (const auto& f : ev.files) {
    bool denied = false;
    if (int i = first_match(high, f); i >= 0) {
      touches_high = denied = true;
      b.add(signal_type::path_sensitivity, severity::high, reason_code::path_sensitive_high,
            f.path, 0, "Touches a high-sensitivity path (glob '" + rs.high_paths[i] + "').",
            evidence_kind::path, "path_sensitivity.high[" + std::to_string(i) + "]");
    }
    if (int i = first_match(medium, f); i >= 0) {
      touches_medium = true;
      b.add(signal_type::path_sensitivity, severity::medium, reason_code::path_sensitive_medium,
            f.path, 0, "Touches a medium-sensitivity path (glob '" + rs.medium_paths[i] + "').",
            evidence_kind::path, "path_sensitivity.medium[" + std::to_string(i) + "]");
    }
    if (int i = first_match(deps, f); i >= 0) {
      touches_deps = denied = true;
      dependency_files.insert(f.path);
      b.add(signal_type::dependency_change, severity::medium, reason_code::dep_change, f.path, 0,
            "Changes a dependency file (glob '" + rs.dependency->files[i] + "').",
            evidence_kind::path,
            "diff_heuristics.dependency_risk.files[" + std::to_string(i) + "]");
    }
    if (!f.readable) {
      out.unreadable_change = true;
      b.add(signal_type::other, severity::high, reason_code::unreadable_change, f.path, 0,
            "The change to this file could not be read (" +
              (f.unreadable_reason.empty() ? std::string("unknown reason") : f.unreadable_reason) +
              "), so its content was not scored.",
            evidence_kind::metadata);
    }
    (denied ? deny : allow).insert(f.path);
  }

  // Heuristic components, in ruleset order.
  std::map<std::string, uint32_t> hits_per_heuristic;
  for (const auto& h : ev.hits) {
    const auto id = parse_heuristic_id(h.heuristic);
    const heuristic* def = id ? rs.find(*id) : nullptr;
    if (!def) continue;  // a hit from another ruleset's scanner
    ++hits_per_heuristic[h.heuristic];
    b.add(signal_type_of(*id), severity_of(*id), reason_of(*id), h.path, h.line,
          "An added line matches " + h.heuristic + " pattern " + h.rule_id + ".",
          evidence_kind::pattern, h.rule_id,
          h.hunk_sha256.empty() ? h.line_sha256 : h.hunk_sha256);
  }
  for (const auto& h : rs.heuristics) {
    risk_component c;
    c.name = h.name;
    c.weight = h.weight;
    c.evidence_count = hits_per_heuristic[h.name];
    c.contribution = h.weight * saturation(c.evidence_count);
    out.components.push_back(std::move(c));
  }

  // Dependency component: only changes in the ruleset's dependency files.
  if (rs.dependency) {
    const dependency_risk& d = *rs.dependency;
    uint32_t evidence = 0;
    for (const auto& c : ev.dependency_changes) {
      if (deps.first_match_index(c.file) < 0) continue;
      touches_deps = true;
      if (!dependency_files.count(c.file)) {
        dependency_files.insert(c.file);
        allow.erase(c.file);
        deny.insert(c.file);
      }
      b.reason(reason_code::dep_change);
      const std::string dep = c.name + (c.to.empty() ? "" : " " + c.to);
      switch (c.kind) {
        case dependency_change_kind::added:
          if (d.adds_new_dependency) ++evidence;
          b.add(signal_type::dependency_change, severity::medium, reason_code::dep_new, c.file, 0,
                "Adds the dependency " + dep + ".", evidence_kind::metadata);
          break;
        case dependency_change_kind::major_bump:
          if (d.updates_dependency_major) ++evidence;
          b.add(signal_type::dependency_change, severity::medium, reason_code::dep_major_bump,
                c.file, 0,
                "Changes the major version of " + c.name + " from " +
                  (c.from.empty() ? "(none)" : c.from) + " to " +
                  (c.to.empty() ? "(none)" : c.to) + ".",
                evidence_kind::metadata);
          break;
        case dependency_change_kind::minor_bump:
          b.add(signal_type::dependency_change, severity::low, reason_code::dep_change, c.file, 0,
                "Changes " + c.name + " from " + c.from + " to " + c.to + " (same major version).",
                evidence_kind::metadata);
          break;
        case dependency_change_kind::removed:
          b.add(signal_type::dependency_change, severity::info, reason_code::dep_change, c.file, 0,
                "Removes the dependency " + c.name + ".", evidence_kind::metadata);
          break;
        case dependency_change_kind::lockfile_changed:
          ++evidence;
          b.add(signal_type::dependency_change, severity::low, reason_code::lockfile_change,
                c.file, 0, "The lockfile changed: " + c.detail + ".", evidence_kind::metadata);
          break;
        case dependency_change_kind::unparsed:
          ++evidence;
          b.add(signal_type::dependency_change, severity::medium, reason_code::dep_change, c.file,
                0, "Dependency changes are unknown: " + c.detail + ".", evidence_kind::metadata);
          break;
      }
    }
    risk_component c;
    c.name = "dependency_risk";
    c.weight = d.weight;
    c.evidence_count = evidence;
    c.contribution = d.weight * saturation(evidence);
    out.components.push_back(std::move(c));
  }

  double sum = 0;
  for (const auto& c : out.components) sum += c.contribution;
  out.score = std::min(1.0, sum);
  const auto& t = rs.thresholds;
  if (out.score >= t.block) b.reason(reason_code::score_block);
  else if (out.score >= t.gate) b.reason(reason_code::score_gate);
  else if (out.score >= t.warn) b.reason(reason_code::score_warn);

  const bool secret_like =
    hits_per_heuristic[std::string(to_string(heuristic_id::secret_like))] > 0;
  auto holds = [&](gating_condition c) {
    switch (c) {
      case gating_condition::score_at_least_gate: return out.score >= t.gate;
      case gating_condition::score_at_least_block: return out.score >= t.block;
      case gating_condition::touches_high: return touches_high;
      case gating_condition::touches_medium: return touches_medium;
      case gating_condition::touches_dependency_files: return touches_deps;
      case gating_condition::secret_like_detected: return secret_like;
    }
    return false;
  };
  for (auto c : rs.block_if)
    if (holds(c)) out.block_conditions_met.push_back(c);
  for (auto c : rs.require_hitl_if)
    if (holds(c)) out.hitl_conditions_met.push_back(c);

  if (!out.block_conditions_met.empty()) {
    out.status = gate_status::block;
    out.actions = rs.on_block;
  } else if (!out.hitl_conditions_met.empty() || out.unreadable_change) {
    out.status = gate_status::gate;
    out.actions = rs.on_gate;
  } else if (out.score >= t.warn) {
    out.status = gate_status::warn;
  }

  out.scope.deny_files.assign(deny.begin(), deny.end());
  out.scope.allow_files.assign(allow.begin(), allow.end());
  if (!out.scope.deny_files.empty())
    out.scope.notes = "Only comment on " + join(out.scope.deny_files, ", ") +
                      ": do not modify high-sensitivity paths or change dependency versions.";

  b.finish();

  std::vector<std::string> why, codes;
  for (auto c : out.block_conditions_met) why.emplace_back(to_string(c));
  for (auto c : out.hitl_conditions_met) why.emplace_back(to_string(c));
  if (out.unreadable_change) why.emplace_back("unreadable change");
  for (auto r : out.reason_codes) codes.emplace_back(to_string(r));
  out.human_summary = std::string(to_string(out.status)) + ": risk score " + format2(out.score) +
                      " (warn " + format2(t.warn) + ", gate " + format2(t.gate) + ", block " +
                      format2(t.block) + ")";
  if (!why.empty()) out.human_summary += "; because " + join(why, ", ");
  if (!codes.empty()) out.human_summary += "; reasons " + join(codes, ", ");
  out.human_summary += ".";
  return out;
}

risk_assessment score_diff(const ruleset& rs, const scanner& heuristics_scanner,
                           const std::vector<changed_file>& files,
                           const std::vector<dependency_manifest>& manifests) {
  return assess(rs, collect_evidence(heuristics_scanner, files, manifests));
}

}  // namespace casm::policy
