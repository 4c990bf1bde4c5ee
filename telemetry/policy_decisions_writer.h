// policy_decisions.json: why a run (or `casm policy score`) passed, warned,
// gated or blocked, with the evidence and the human-in-the-loop state. The
// document follows the seed's schema exactly (JSON Schema draft 2020-12,
// additionalProperties: false; docs/schemas/policy_decisions.schema.json),
// so everything else CASM knows goes to the run log and `explain` instead.
//
// No snippets: a signal carries a file, a line range and a sha256 of the
// diff hunk, never text from the diff. Paths that are not UTF-8 are written
// as codec::display_text (the schema has no room for a `_b64` twin).
//
// Pure: returns text, reads no clock; the same inputs give the same bytes.
#pragma once

#include <string>
#include <vector>

#include "messages/data/risk.h"

namespace casm::telemetry {

// The document: pretty-printed, keys sorted, ends in '\n'. Optional fields
// are left out when empty: a signal's line_start/line_end when 0 (the
// schema's minimum is 1), its evidence's pattern_id and diff_hunk_sha256,
// hitl.approval, a decision's scope_reduction.
std::string render_policy_decisions(const messages::risk_assessment& assessment,
                                    const messages::policy_run_info& run);

// The same document built as a nlohmann DOM and dumped with dump(2): what
// render_policy_decisions wrote before it wrote the text directly (the
// report request of every replayed run renders it). Kept as the reference
// the direct writer is held byte-identical to (policy_writer_test), and
// used by it for a field that is not UTF-8, where nlohmann throws.
std::string render_policy_decisions_dom(const messages::risk_assessment& assessment,
                                        const messages::policy_run_info& run);

// The decisions an assessment implies at `stage`, ids derived from `run_id`
// (a ULID) so replay derives the same ones:
//  1. the gate decision: pass -> allow, warn -> warn, gate -> gate, block ->
//     block; status pending_hitl for gate, else applied; the assessment's
//     reason codes;
//  2. when the assessment denies files and does not block, a scope_reduce
//     decision with its scope_reduction, status applied if the caller
//     enforces the scope (`scope_applied`), else skipped (a suggestion).
std::vector<messages::policy_decision> gate_decisions(const messages::risk_assessment& assessment,
                                                      const std::string& run_id,
                                                      const std::string& stage,
                                                      bool scope_applied);

// The hitl block before any human answered: required (status pending, in
// `mode`) when the assessment gates; otherwise not required, mode none.
messages::policy_hitl pending_hitl(const messages::risk_assessment& assessment,
                                   messages::hitl_mode mode);

}  // namespace casm::telemetry
