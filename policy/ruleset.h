// A policy ruleset (config/rulesets/*.yaml): thresholds, sensitive paths,
// diff heuristics, dependency risk, gating conditions and actions. The format
// and every key are described in docs/policy.md.
//
// parse_ruleset() checks the text against the schema and then the meaning:
// weights and thresholds in [0,1], warn <= gate <= block, every glob
// compiles, every pattern compiles in Hyperscan, every gating condition is
// one of the fixed forms. Each problem is reported with file:line:column.
// A ruleset it accepts can be scored (risk.h) without further checks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/codec/yaml_schema.h"
#include "messages/data/risk.h"
#include "messages/data/vocabulary.h"
#include "policy/rule_pack.h"

namespace casm::policy {

// risk_thresholds and gating_condition are plain data shared with the run
// log (messages/data/risk.h); re-exported here.
using messages::risk_thresholds;
using messages::gating_condition;
using messages::parse_gating_condition;
using messages::to_string;

// The diff heuristics a ruleset may define. The names are a fixed set: each
// maps to a stable reason code and signal type, and a misspelled name must
// fail validation rather than silently disable a check.
enum class heuristic_id {
  secret_like,            // secret_like_patterns
  command_exec,           // command_exec_additions
  deserialization,        // deserialization_risk
  permission_escalation,  // permission_escalation
};
std::string_view to_string(heuristic_id h);  // the YAML key
std::optional<heuristic_id> parse_heuristic_id(std::string_view key);
// The severity of one hit of the heuristic: high for secrets, else medium.
messages::severity severity_of(heuristic_id h);

struct heuristic {
  heuristic_id id = heuristic_id::secret_like;
  std::string name;  // the YAML key, e.g. "secret_like_patterns"
  double weight = 0;
  std::vector<std::string> patterns;  // Hyperscan syntax, matched per added line
};

struct dependency_risk {
  double weight = 0;
  std::vector<std::string> files;  // globs
  // The seed's signals: which dependency changes count as evidence.
  bool adds_new_dependency = false;       // "adds_new_dependency: true"
  bool updates_dependency_major = false;  // "updates_dependency_major: true"
};

struct ruleset {
  std::string version;  // "0.1"
  std::string id;       // the `ruleset:` key, e.g. "default.devtools"
  risk_thresholds thresholds;
  std::vector<std::string> high_paths;    // path_sensitivity.high globs
  std::vector<std::string> medium_paths;  // path_sensitivity.medium globs
  std::vector<heuristic> heuristics;      // in file order
  std::optional<dependency_risk> dependency;
  std::vector<gating_condition> require_hitl_if;
  std::vector<gating_condition> block_if;
  std::vector<std::string> on_gate;   // actions, e.g. "stop_before_apply"
  std::vector<std::string> on_block;  // e.g. "stop_immediately"

  const heuristic* find(heuristic_id h) const;
};

// Parses and validates `text` (the ruleset file's bytes; `file` names it in
// errors). On success fills `out` and returns true. Otherwise appends every
// problem found to `errors` and returns false; `out` is then unspecified.
bool parse_ruleset(const std::string& file, const std::string& text, ruleset& out,
                   std::vector<codec::config_error>& errors);

// The ruleset's patterns as scanner rules, in file order, with ids
// "heuristic.<name>.<index>" (index 0-based, as in the YAML list). The same
// vector for the same ruleset, so scanner::for_pack() compiles it once.
std::vector<rule> heuristic_rules(const ruleset& rs);

// The ruleset hash pinned in every run: sha256 hex of the exact file bytes.
std::string ruleset_hash(std::string_view text);

}  // namespace casm::policy
