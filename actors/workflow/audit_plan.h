// The repo-auditor's decisions, as pure functions of recorded inputs: how to
// shard the review, how to merge and suppress findings, what the fixer may
// touch, which validation commands apply. No CAF, no I/O; the workflow engine
// calls them and replay re-derives them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "messages/data/workflow.h"

namespace casm::workflow {

using messages::audit_options;
using messages::finding;
using messages::fix_file;
using messages::ingest_result;
using messages::review_request;
using messages::review_result;
using messages::suggestion;

// Splits what ingest listed into at most `options.reviewers` shards of about
// equal bytes (largest first onto the lightest shard; ties by path), after
// dropping allowlisted paths, which are appended to `allowlisted`.
// `next_call_id` is called once per shard, in shard order.
std::vector<review_request> make_review_shards(const ingest_result& in,
                                               const audit_options& options,
                                               const std::function<std::string()>& next_call_id,
                                               std::vector<messages::skipped_file>& allowlisted);

struct merged_review {
  std::vector<finding> findings;  // sorted by (path, line, column, rule_id, commit)
  messages::audit_scope scope;
};

// Merges shard results (in shard order), drops allowlisted and baselined
// fingerprints, and totals the scope.
merged_review merge_reviews(const std::vector<review_result>& results,
                            const audit_options& options);

struct fix_plan {
  std::vector<fix_file> files;          // sorted by path
  std::vector<suggestion> suggestions;  // fixes left to a human, and why
  uint32_t planned_lines = 0;
};

// The fixer's automatic scope (DESIGN.md, What the gate scores): mechanical
// findings (trailing whitespace, missing final newline) at head, excluding
// high-sensitivity paths, dependency files and any line that holds a secret
// finding. Those become suggestions.
fix_plan plan_fixes(const std::vector<finding>& findings, const ingest_result& in,
                    const audit_options& options);

// The validation commands that apply (DESIGN.md, Validation commands).
// v0.1: of the allowlisted commands, `npm test` / `pnpm -s test` only if
// package.json declares a test script (pnpm if pnpm-lock.yaml exists), lint
// likewise. v0.2: `validate.commands` as listed (the validator refuses those
// not allowlisted).
std::vector<std::string> validation_commands(const ingest_result& in,
                                             const audit_options& options);

// True if a finding at or above `fail_on` exists ("" never fails).
bool fails_on(const std::vector<finding>& findings, const std::string& fail_on, size_t* count);

// The offline provider's usage for one review shard: deterministic estimates
// (about 4 bytes per token), priced at $0 and labelled "simulated".
messages::model_usage offline_review_usage(const review_request& req, const review_result& res);

}  // namespace casm::workflow
