#include "messages/data/risk.h"

#include <array>
#include <utility>

namespace casm::messages {
namespace {

template <class E, size_t N>
using names = std::array<std::pair<E, std::string_view>, N>;

template <class E, size_t N>
std::string_view name_of(const names<E, N>& table, E value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "?";
}

template <class E, size_t N>
std::optional<E> value_of(const names<E, N>& table, std::string_view name) {
  for (const auto& [v, n] : table)
    if (n == name) return v;
  return std::nullopt;
}

constexpr names<change_status, 4> change_status_names{{
  {change_status::added, "added"},
  {change_status::modified, "modified"},
  {change_status::deleted, "deleted"},
  {change_status::renamed, "renamed"},
}};

constexpr names<dependency_change_kind, 6> dependency_change_kind_names{{
  {dependency_change_kind::added, "added"},
  {dependency_change_kind::removed, "removed"},
  {dependency_change_kind::major_bump, "major_bump"},
  {dependency_change_kind::minor_bump, "minor_bump"},
  {dependency_change_kind::lockfile_changed, "lockfile_changed"},
  {dependency_change_kind::unparsed, "unparsed"},
}};

constexpr names<gating_condition, 6> gating_condition_texts{{
  {gating_condition::score_at_least_gate, "risk_score >= risk_thresholds.gate"},
  {gating_condition::score_at_least_block, "risk_score >= risk_thresholds.block"},
  {gating_condition::touches_high, "touches_any(path_sensitivity.high)"},
  {gating_condition::touches_medium, "touches_any(path_sensitivity.medium)"},
  {gating_condition::touches_dependency_files, "touches_dependency_files: true"},
  {gating_condition::secret_like_detected, "secret_like_detected: true"},
}};

constexpr names<gate_status, 4> gate_status_names{{
  {gate_status::pass, "pass"},
  {gate_status::warn, "warn"},
  {gate_status::gate, "gate"},
  {gate_status::block, "block"},
}};

constexpr names<reason_code, 14> reason_names{{
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
  {reason_code::score_block, "SCORE_BLOCK"},
}};

constexpr names<signal_type, 7> signal_type_names{{
  {signal_type::path_sensitivity, "path_sensitivity"},
  {signal_type::diff_pattern, "diff_pattern"},
  {signal_type::dependency_change, "dependency_change"},
  {signal_type::command_execution, "command_execution"},
  {signal_type::permission_escalation, "permission_escalation"},
  {signal_type::secret_like, "secret_like"},
  {signal_type::other, "other"},
}};

constexpr names<evidence_kind, 4> evidence_kind_names{{
  {evidence_kind::pattern, "pattern"},
  {evidence_kind::path, "path"},
  {evidence_kind::metadata, "metadata"},
  {evidence_kind::diff_hunk, "diff_hunk"},
}};

constexpr names<repo_type, 2> repo_type_names{{
  {repo_type::local, "local"},
  {repo_type::github, "github"},
}};

constexpr names<ruleset_source, 3> ruleset_source_names{{
  {ruleset_source::bundled, "bundled"},
  {ruleset_source::from_template, "template"},
  {ruleset_source::override, "override"},
}};

constexpr names<hitl_mode, 2> hitl_mode_names{{
  {hitl_mode::none, "none"},
  {hitl_mode::local, "local"},
}};

constexpr names<hitl_status, 5> hitl_status_names{{
  {hitl_status::not_required, "not_required"},
  {hitl_status::pending, "pending"},
  {hitl_status::approved, "approved"},
  {hitl_status::denied, "denied"},
  {hitl_status::expired, "expired"},
}};

constexpr names<decision_action, 5> decision_action_names{{
  {decision_action::allow, "allow"},
  {decision_action::warn, "warn"},
  {decision_action::gate, "gate"},
  {decision_action::block, "block"},
  {decision_action::scope_reduce, "scope_reduce"},
}};

constexpr names<decision_status, 3> decision_status_names{{
  {decision_status::applied, "applied"},
  {decision_status::pending_hitl, "pending_hitl"},
  {decision_status::skipped, "skipped"},
}};

}  // namespace

#define CASM_RISK_ENUM_NAMES(Enum, parse_fn, table)                                       \
  std::string_view to_string(Enum v) { return name_of(table, v); }                      \
  std::optional<Enum> parse_fn(std::string_view s) { return value_of(table, s); }

CASM_RISK_ENUM_NAMES(change_status, parse_change_status, change_status_names)
CASM_RISK_ENUM_NAMES(dependency_change_kind, parse_dependency_change_kind,
                     dependency_change_kind_names)
CASM_RISK_ENUM_NAMES(gating_condition, parse_gating_condition, gating_condition_texts)
CASM_RISK_ENUM_NAMES(gate_status, parse_gate_status, gate_status_names)
CASM_RISK_ENUM_NAMES(reason_code, parse_reason_code, reason_names)
CASM_RISK_ENUM_NAMES(signal_type, parse_signal_type, signal_type_names)
CASM_RISK_ENUM_NAMES(evidence_kind, parse_evidence_kind, evidence_kind_names)
CASM_RISK_ENUM_NAMES(repo_type, parse_repo_type, repo_type_names)
CASM_RISK_ENUM_NAMES(ruleset_source, parse_ruleset_source, ruleset_source_names)
CASM_RISK_ENUM_NAMES(hitl_mode, parse_hitl_mode, hitl_mode_names)
CASM_RISK_ENUM_NAMES(hitl_status, parse_hitl_status, hitl_status_names)
CASM_RISK_ENUM_NAMES(decision_action, parse_decision_action, decision_action_names)
CASM_RISK_ENUM_NAMES(decision_status, parse_decision_status, decision_status_names)

#undef CASM_RISK_ENUM_NAMES

}  // namespace casm::messages
