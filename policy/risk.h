// Risk scoring and the gate decision for one diff (docs/policy.md).
//
// Two steps, so that replay can re-derive a decision without file content
// (DESIGN.md, Actors of one run):
//  1. collect_evidence() reads the diff's added lines and manifest texts and
//     keeps only facts: which files changed, pattern hits (rule id, path,
//     line, a sha256 of the line), dependency changes. This is the part that
//     sees content; its result is what the run log records.
//  2. assess() turns those facts into a score, signals, reason codes and a
//     status. It is a pure, deterministic function of the ruleset and the
//     evidence: the same inputs give the same bytes, on any machine.
// score_diff() does both.
//
// The score: each weighted component contributes
//     contribution = weight * (1 - 2^-n),   n = its evidence count,
// and score = min(1, sum of contributions). It is bounded in [0,1], and
// monotone: more evidence never lowers it. Path sensitivity is not a
// component; it is a gating rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/data/vocabulary.h"
#include "policy/dependency_diff.h"
#include "policy/diff_facts.h"
#include "policy/ruleset.h"
#include "policy/scanner.h"

namespace casm::policy {

enum class gate_status { pass, warn, gate, block };
std::string_view to_string(gate_status s);

// Stable reason codes, in their canonical order (the order reason_codes are
// listed in).
enum class reason_code {
  path_sensitive_high,    // PATH_SENSITIVE_HIGH: a path_sensitivity.high glob matched
  path_sensitive_medium,  // PATH_SENSITIVE_MEDIUM
  secret_like,            // SECRET_LIKE: secret_like_patterns hit an added line
  command_exec,           // COMMAND_EXEC: command_exec_additions
  deserialization,        // DESERIALIZATION: deserialization_risk
  permission_escalation,  // PERMISSION_ESCALATION: permission_escalation
  dep_change,             // DEP_CHANGE: a dependency file changed
  dep_new,                // DEP_NEW: a new dependency
  dep_major_bump,         // DEP_MAJOR_BUMP: a dependency's major version changed
  lockfile_change,        // LOCKFILE_CHANGE: a lockfile changed
  unreadable_change,      // UNREADABLE_CHANGE: a changed file could not be read
  score_warn,             // SCORE_WARN: score >= warn (and below gate)
  score_gate,             // SCORE_GATE: score >= gate (and below block)
  score_block,            // SCORE_BLOCK: score >= block
};
std::string_view to_string(reason_code r);  // "PATH_SENSITIVE_HIGH"
std::optional<reason_code> parse_reason_code(std::string_view s);

// The seed schema's signal types (policy_decisions.json), less the two this
// scorer never emits (test_regression, lint_regression).
enum class signal_type {
  path_sensitivity,
  diff_pattern,
  dependency_change,
  command_execution,
  permission_escalation,
  secret_like,
  other,
};
std::string_view to_string(signal_type t);

enum class evidence_kind { pattern, path, metadata, diff_hunk };
std::string_view to_string(evidence_kind k);

struct signal_evidence {
  evidence_kind kind = evidence_kind::metadata;
  std::string pattern_id;        // rule id, or the glob's key ("path_sensitivity.high[7]")
  std::string diff_hunk_sha256;  // sha256 of the added line; never the line itself
};

struct risk_signal {
  std::string signal_id;  // "sig-" + 16 hex of a hash of the other fields
  signal_type type = signal_type::other;
  messages::severity severity = messages::severity::info;
  reason_code reason = reason_code::dep_change;
  std::string file;
  uint32_t line_start = 0;  // 0: not about a line
  uint32_t line_end = 0;
  std::string message;  // one sentence; never holds matched text
  signal_evidence evidence;
};

struct risk_component {
  std::string name;  // heuristic name, or "dependency_risk"
  double weight = 0;
  double contribution = 0;  // weight * (1 - 2^-evidence_count)
  uint32_t evidence_count = 0;
};

struct scope_reduction {
  std::vector<std::string> allow_files;  // changed files a constrained patch may touch
  std::vector<std::string> deny_files;   // high-sensitivity and dependency files
  std::string notes;
};

// --- evidence: the facts a decision is made from, without file content ----

struct file_fact {
  std::string path;
  std::string old_path;
  change_status status = change_status::modified;
  bool readable = true;
  std::string unreadable_reason;
};

struct pattern_hit {
  std::string rule_id;    // "heuristic.<name>.<index>"
  std::string heuristic;  // <name>
  std::string path;
  uint32_t line = 0;
  uint32_t column = 0;  // 1-based byte column of the match
  std::string line_sha256;
};

struct diff_evidence {
  std::vector<file_fact> files;                       // sorted by path
  std::vector<pattern_hit> hits;                      // sorted by (path, line, column, rule_id)
  std::vector<dependency_change> dependency_changes;  // sorted by (file, name, kind)
};

struct risk_assessment {
  double score = 0;
  risk_thresholds thresholds;
  std::vector<risk_component> components;  // one per heuristic, then dependency_risk
  std::vector<risk_signal> signals;        // sorted by (file, line, ...)
  std::vector<reason_code> reason_codes;   // unique, canonical order
  gate_status status = gate_status::pass;
  // The ruleset conditions that held, in ruleset order. An unreadable change
  // gates by itself (unreadable_change), whatever the ruleset says.
  std::vector<gating_condition> block_conditions_met;
  std::vector<gating_condition> hitl_conditions_met;
  bool unreadable_change = false;
  std::vector<std::string> actions;  // on_gate or on_block, per status
  scope_reduction scope;
  std::string human_summary;  // one line, safe for a PR comment
};

// The ruleset's patterns compiled into one Hyperscan scanner (rule ids
// "heuristic.<name>.<index>"), shared process-wide per ruleset. nullopt and
// `error` set when a pattern does not compile (parse_ruleset() has already
// refused such a ruleset).
std::optional<scanner> build_heuristics_scanner(const ruleset& rs, std::string* error);

// True when `path` is one of the ruleset's dependency files: the caller
// supplies before/after texts (dependency_manifest) for each such changed
// file.
bool is_dependency_file(const ruleset& rs, std::string_view path);

// Step 1. Pattern hits on added lines only. A line the diff only
// re-whitespaces is not evidence: an added line is paired with a removed
// line of the same file whose text is equal once all whitespace is removed,
// and a hit is dropped when that removed line hits the same rule. Inline
// `casm:allow` comments are ignored here: a diff cannot silence its own gate.
// Manifests yield dependency changes (dependency_diff.h); a changed lockfile
// with no supplied texts still yields lockfile_changed.
diff_evidence collect_evidence(const scanner& heuristics_scanner,
                               const std::vector<changed_file>& files,
                               const std::vector<dependency_manifest>& manifests);

// Step 2. Status: block if a block_if condition holds; else gate if a
// require_hitl_if condition holds or a change is unreadable; else warn if
// score >= warn; else pass. Precondition: `rs` came from parse_ruleset()
// (throws std::invalid_argument on a glob that does not compile).
risk_assessment assess(const ruleset& rs, const diff_evidence& evidence);

// assess(rs, collect_evidence(heuristics_scanner, files, manifests)).
risk_assessment score_diff(const ruleset& rs, const scanner& heuristics_scanner,
                           const std::vector<changed_file>& files,
                           const std::vector<dependency_manifest>& manifests);

}  // namespace casm::policy
