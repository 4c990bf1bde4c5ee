// The policy gate's data: the evidence a decision is made from, the
// assessment it produces, and what policy_decisions.json says about a run.
// Plain data with JSON forms (CASM_JSON), so the run log can record the
// evidence and the decision, and replay can re-score the recorded evidence
// with policy::assess() (docs/policy.md) and compare.
//
// None of these types holds file content: pattern hits carry a rule id, a
// location and sha256 digests, never the matched text.
//
// The vocabularies (enums) are written to JSON as their names; reading an
// unknown name throws std::invalid_argument, so a damaged log is refused
// rather than silently re-scored as something else.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "messages/data/fields.h"
#include "messages/data/vocabulary.h"

namespace casm::messages {

// --- vocabularies ------------------------------------------------------------

enum class change_status { added, modified, deleted, renamed };
std::string_view to_string(change_status s);
std::optional<change_status> parse_change_status(std::string_view s);

enum class dependency_change_kind {
  added,
  removed,
  major_bump,        // the breaking part of the version changed
  minor_bump,        // any other change of the spec
  lockfile_changed,  // a lockfile's text changed
  unparsed,          // a manifest side is not valid (e.g. broken JSON):
                     // its changes are unknown
};
std::string_view to_string(dependency_change_kind k);
std::optional<dependency_change_kind> parse_dependency_change_kind(std::string_view s);

// A ruleset's gating conditions: the seed's forms, the only ones accepted.
enum class gating_condition {
  score_at_least_gate,       // "risk_score >= risk_thresholds.gate"
  score_at_least_block,      // "risk_score >= risk_thresholds.block"
  touches_high,              // "touches_any(path_sensitivity.high)"
  touches_medium,            // "touches_any(path_sensitivity.medium)"
  touches_dependency_files,  // "touches_dependency_files: true"
  secret_like_detected,      // "secret_like_detected: true"
};
inline constexpr gating_condition all_gating_conditions[] = {
  gating_condition::score_at_least_gate,  gating_condition::score_at_least_block,
  gating_condition::touches_high,         gating_condition::touches_medium,
  gating_condition::touches_dependency_files, gating_condition::secret_like_detected,
};
// The exact text of the condition, as written in a ruleset.
std::string_view to_string(gating_condition c);
std::optional<gating_condition> parse_gating_condition(std::string_view text);

enum class gate_status { pass, warn, gate, block };
std::string_view to_string(gate_status s);
std::optional<gate_status> parse_gate_status(std::string_view s);

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

// The seed schema's signal types (policy_decisions.json), less the two the
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
std::optional<signal_type> parse_signal_type(std::string_view s);

enum class evidence_kind { pattern, path, metadata, diff_hunk };
std::string_view to_string(evidence_kind k);
std::optional<evidence_kind> parse_evidence_kind(std::string_view s);

// policy_decisions.json's vocabularies for a run's decisions.
enum class repo_type { local, github };
std::string_view to_string(repo_type t);
std::optional<repo_type> parse_repo_type(std::string_view s);

// Where the pinned ruleset came from: shipped in the binary, named by the
// template's manifest, or given as a path (--ruleset FILE).
enum class ruleset_source { bundled, from_template, override };
std::string_view to_string(ruleset_source s);  // "bundled" | "template" | "override"
std::optional<ruleset_source> parse_ruleset_source(std::string_view s);

enum class hitl_mode { none, local };
std::string_view to_string(hitl_mode m);
std::optional<hitl_mode> parse_hitl_mode(std::string_view s);

enum class hitl_status { not_required, pending, approved, denied, expired };
std::string_view to_string(hitl_status s);
std::optional<hitl_status> parse_hitl_status(std::string_view s);

enum class decision_action { allow, warn, gate, block, scope_reduce };
std::string_view to_string(decision_action a);
std::optional<decision_action> parse_decision_action(std::string_view s);

enum class decision_status { applied, pending_hitl, skipped };
std::string_view to_string(decision_status s);
std::optional<decision_status> parse_decision_status(std::string_view s);

// --- evidence: the facts a decision is made from, without file content ------

struct risk_thresholds {
  double warn = 0;
  double gate = 0;
  double block = 0;
};

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
  // sha256 of the diff hunk that added the line (messages::hunk_info), when
  // the caller supplied hunks; empty otherwise.
  std::string hunk_sha256;
};

struct dependency_change {
  std::string file;  // the manifest's path
  std::string name;  // empty for lockfile_changed and unparsed
  dependency_change_kind kind = dependency_change_kind::added;
  std::string from;    // the spec before, as written ("^1.2.0"); empty if none
  std::string to;      // the spec after
  std::string detail;  // lockfile counts, or why a side did not parse
};

struct diff_evidence {
  std::vector<file_fact> files;                       // sorted by path
  std::vector<pattern_hit> hits;                      // sorted by (path, line, column, rule_id)
  std::vector<dependency_change> dependency_changes;  // sorted by (file, name, kind)
};

// --- the assessment ------------------------------------------------------------

struct signal_evidence {
  evidence_kind kind = evidence_kind::metadata;
  std::string pattern_id;  // rule id, or the glob's key ("path_sensitivity.high[7]")
  // The hit's hunk digest (or its line's, without hunks); never the text.
  std::string diff_hunk_sha256;
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

// --- what policy_decisions.json says about the run ---------------------------

struct policy_repo {
  repo_type type = repo_type::local;
  std::string id;  // the local path, or owner/name
};

struct policy_ruleset_ref {
  std::string id;
  std::string hash;  // sha256 of the ruleset file's bytes
  ruleset_source source = ruleset_source::bundled;
};

struct hitl_approval {
  std::string approved_by;
  std::string approved_at;  // RFC 3339
  std::string reason;
};

struct policy_hitl {
  bool required = false;
  hitl_mode mode = hitl_mode::none;
  hitl_status status = hitl_status::not_required;
  std::optional<hitl_approval> approval;
};

struct policy_decision {
  std::string decision_id;
  std::string stage;  // the workflow stage where the decision applies
  decision_action action = decision_action::allow;
  decision_status status = decision_status::applied;
  std::vector<reason_code> reason_codes;
  std::optional<messages::scope_reduction> scope_reduction;  // suggested for the stage
};

struct policy_redaction {
  bool secrets = true;             // secret values are redacted
  bool snippets_included = false;  // no diff text, only line ranges and digests
  std::string notes;
};

// Everything policy_decisions.json holds besides the assessment.
struct policy_run_info {
  std::string run_id;
  std::string template_id;
  policy_repo repo;
  std::string started_at;  // RFC 3339
  std::string base;        // commit ids
  std::string head;
  policy_ruleset_ref ruleset;
  policy_hitl hitl;
  std::vector<policy_decision> decisions;
  policy_redaction redaction;
};

// --- JSON forms ----------------------------------------------------------------

#define CASM_RISK_ENUM_JSON(Enum, parse_fn)                                         \
  inline void to_json(nlohmann::json& j, Enum v) { j = std::string(to_string(v)); } \
  inline void from_json(const nlohmann::json& j, Enum& v) {                         \
    const auto parsed = parse_fn(j.get<std::string>());                             \
    if (!parsed)                                                                    \
      throw std::invalid_argument("unknown " #Enum " '" + j.get<std::string>() + "'"); \
    v = *parsed;                                                                    \
  }                                                                                 \
  inline bool json_read(const json_value& j, Enum& v) {                             \
    if (j.type() != json_value::kind::string) return false;                         \
    const auto parsed = parse_fn(j.get_string());                                   \
    if (!parsed) return false;                                                      \
    v = *parsed;                                                                    \
    return true;                                                                    \
  }
CASM_RISK_ENUM_JSON(change_status, parse_change_status)
CASM_RISK_ENUM_JSON(dependency_change_kind, parse_dependency_change_kind)
CASM_RISK_ENUM_JSON(gating_condition, parse_gating_condition)
CASM_RISK_ENUM_JSON(gate_status, parse_gate_status)
CASM_RISK_ENUM_JSON(reason_code, parse_reason_code)
CASM_RISK_ENUM_JSON(signal_type, parse_signal_type)
CASM_RISK_ENUM_JSON(evidence_kind, parse_evidence_kind)
CASM_RISK_ENUM_JSON(repo_type, parse_repo_type)
CASM_RISK_ENUM_JSON(ruleset_source, parse_ruleset_source)
CASM_RISK_ENUM_JSON(hitl_mode, parse_hitl_mode)
CASM_RISK_ENUM_JSON(hitl_status, parse_hitl_status)
CASM_RISK_ENUM_JSON(decision_action, parse_decision_action)
CASM_RISK_ENUM_JSON(decision_status, parse_decision_status)
#undef CASM_RISK_ENUM_JSON

CASM_JSON(risk_thresholds, warn, gate, block)
CASM_JSON(file_fact, path, old_path, status, readable, unreadable_reason)
CASM_JSON(pattern_hit, rule_id, heuristic, path, line, column, line_sha256, hunk_sha256)
CASM_JSON(dependency_change, file, name, kind, from, to, detail)
CASM_JSON(diff_evidence, files, hits, dependency_changes)
CASM_JSON(signal_evidence, kind, pattern_id, diff_hunk_sha256)
CASM_JSON(risk_signal, signal_id, type, severity, reason, file, line_start, line_end, message,
          evidence)
CASM_JSON(risk_component, name, weight, contribution, evidence_count)
CASM_JSON(scope_reduction, allow_files, deny_files, notes)
CASM_JSON(risk_assessment, score, thresholds, components, signals, reason_codes, status,
          block_conditions_met, hitl_conditions_met, unreadable_change, actions, scope,
          human_summary)
CASM_JSON(policy_repo, type, id)
CASM_JSON(policy_ruleset_ref, id, hash, source)
CASM_JSON(hitl_approval, approved_by, approved_at, reason)
CASM_JSON(policy_hitl, required, mode, status, approval)
CASM_JSON(policy_decision, decision_id, stage, action, status, reason_codes, scope_reduction)
CASM_JSON(policy_redaction, secrets, snippets_included, notes)
CASM_JSON(policy_run_info, run_id, template_id, repo, started_at, base, head, ruleset, hitl,
          decisions, redaction)

}  // namespace casm::messages
