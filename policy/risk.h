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

#include "messages/data/risk.h"
#include "messages/data/vocabulary.h"
#include "policy/dependency_diff.h"
#include "policy/diff_facts.h"
#include "policy/ruleset.h"
#include "policy/scanner.h"

namespace casm::policy {

// The result types and the evidence are plain data with JSON forms, shared
// with the run log and replay (messages/data/risk.h); re-exported here.
using messages::diff_evidence;
using messages::evidence_kind;
using messages::file_fact;
using messages::gate_status;
using messages::parse_evidence_kind;
using messages::parse_gate_status;
using messages::parse_reason_code;
using messages::parse_signal_type;
using messages::pattern_hit;
using messages::reason_code;
using messages::risk_assessment;
using messages::risk_component;
using messages::risk_signal;
using messages::scope_reduction;
using messages::signal_evidence;
using messages::signal_type;
using messages::to_string;

// The ruleset's patterns compiled into one Hyperscan scanner (rule ids
// "heuristic.<name>.<index>"), shared process-wide per ruleset. nullopt and
// `error` set when a pattern does not compile (parse_ruleset() has already
// refused such a ruleset).
std::optional<scanner> build_heuristics_scanner(const ruleset& rs, std::string* error);

// True when `path` is one of the ruleset's dependency files: the caller
// supplies before/after texts (dependency_manifest) for each such changed
// file.
bool is_dependency_file(const ruleset& rs, std::string_view path);

// Step 1. Pattern hits on added lines only. A hit carries the sha256 of its
// line and, when the file lists its hunks, of the hunk that added it (the
// signal's diff_hunk_sha256; without hunks, the line's digest). A line the
// diff only re-whitespaces is not evidence: an added line is paired with a
// removed line of the same file whose text is equal once all whitespace is
// removed, and a hit is dropped when that removed line hits the same rule.
// Inline `casm:allow` comments are ignored here: a diff cannot silence its
// own gate. Manifests yield dependency changes (dependency_diff.h); a changed
// lockfile with no supplied texts still yields lockfile_changed.
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
