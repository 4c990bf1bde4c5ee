// The repo-auditor's messages: what ingest lists, what reviewers report, what
// the fixer and validator are asked to do and answer. Plain data; the JSON
// forms come from one field list each (fields.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "messages/data/fields.h"
#include "messages/data/finding.h"

namespace casm::messages {

// A blob at head (full audit).
struct file_entry {
  std::string path;  // bytes
  std::string oid;
  uint64_t size = 0;
  uint32_t mode = 0;  // git file mode (0100644, 0100755, 0120000)
};

struct line_range {
  uint32_t first = 0;  // inclusive, 1-based
  uint32_t last = 0;
};

struct hunk_info {
  uint32_t old_start = 0, old_lines = 0, new_start = 0, new_lines = 0;
  std::string sha256;  // of the hunk's text: evidence without the content
};

// A file changed in base..head (diff audit).
struct changed_file {
  std::string path;
  std::string old_path;
  std::string status;  // added | modified | deleted | renamed | typechange
  std::string old_oid;
  std::string new_oid;
  uint64_t size = 0;
  bool binary = false;
  std::vector<line_range> added;  // added line numbers in the new file
  std::vector<hunk_info> hunks;
};

// Everything the coordinator needs to plan an audit; recorded in run_start.
struct audit_options {
  bool enabled = false;       // false for workflows without an analyze stage
  bool history = false;       // scan every commit reachable from head
  bool write_branch = false;  // commit the patch to casm/<run_id>
  std::string fail_on;        // "" or a severity
  uint64_t max_file_bytes = 1 << 20;
  uint32_t reviewers = 2;     // reviewer shards
  uint32_t preview_chars = 120;
  std::vector<std::string> allow_paths;         // globs
  std::vector<std::string> allow_fingerprints;
  std::vector<std::string> baseline_fingerprints;
  std::vector<std::string> sensitive_paths;     // the ruleset's high-sensitivity globs
  std::vector<std::string> dependency_files;    // the ruleset's dependency files
  // validation
  std::string manifest_version;
  std::vector<std::string> allow_commands;
  std::vector<std::string> validate_commands;   // v0.2 explicit list
  bool allow_network = false;
  std::string sandbox_mode = "strict";
  int64_t command_timeout_seconds = 900;
  bool validator_enabled = true;
  bool fixer_enabled = true;
  // pinned versions, stamped into every artifact's scope
  std::string tool_version;
  std::string rule_pack_hash;
  // the policy gate: the ruleset itself travels in the run's first input,
  // so the coordinator (and replay) parse and apply exactly what was pinned
  std::string ruleset_id;
  std::string ruleset_hash;
  std::string ruleset_source;  // bundled | override
  std::string ruleset_text;
  double hitl_expires_after_hours = 168;
};

struct review_request {
  std::string call_id;
  uint32_t shard = 0;
  std::string repo_path;
  std::string mode;  // full | diff | history
  std::vector<file_entry> files;
  std::vector<changed_file> changes;
  std::vector<std::string> commits;
  uint64_t max_file_bytes = 0;
  uint32_t preview_chars = 120;
  // > 0: also return up to this many bytes of the shard's code for a model
  // prompt, every detected secret masked (0 when the run is offline)
  uint64_t excerpt_bytes = 0;
};

struct review_result {
  std::string call_id;
  uint32_t shard = 0;
  bool ok = false;
  std::string error;
  std::vector<finding> findings;
  std::vector<skipped_file> skipped;
  uint64_t files_scanned = 0;
  uint64_t bytes_scanned = 0;
  uint64_t commits_scanned = 0;
  uint64_t suppressed_inline = 0;
  uint64_t lines_scanned = 0;
  std::string excerpt;  // see review_request::excerpt_bytes; secrets masked
  // Where the shard ran: "" (this process) or a node's host:port; and, when
  // a node was lost with the shard in flight, one line per re-dispatch.
  std::string node;
  std::vector<std::string> redispatches;
};

// One file the fixer may change, and exactly how.
struct fix_file {
  std::string path;
  std::string oid;
  uint32_t mode = 0;
  std::vector<uint32_t> strip_lines;      // lines whose trailing whitespace goes
  bool add_final_newline = false;
  std::vector<uint32_t> secret_lines;     // masked in patch.diff's context
};

// A fix the fixer will not make by itself, and why.
struct suggestion {
  std::string path;
  std::string rule_id;
  uint32_t line = 0;
  std::string reason;  // sensitive_path | dependency_file | secret_line | fixer_disabled
};

struct fix_request {
  std::string call_id;
  std::string run_id;
  std::string repo_path;
  std::string head_commit;
  std::vector<fix_file> files;
  bool write_branch = false;
  std::string branch;  // casm/<run_id>
};

struct fix_result {
  std::string call_id;
  bool ok = false;
  std::string failure_kind;  // "" | patch_apply
  std::string error;
  uint32_t files_changed = 0;
  uint32_t lines_changed = 0;
  uint32_t masked_lines = 0;  // context lines masked in patch.diff
  std::string patch_sha256;
  uint64_t patch_bytes = 0;
  std::string new_tree;
  std::string new_commit;
  std::string branch;  // set when --write-branch wrote it
  // Distributed mode, as review_result: where the fix ran (a node's
  // host:port, "origin" after a fallback) and its re-dispatches. Absent
  // (no key) in-process, so a local run records what it always did. Set on
  // the origin only: not part of the CAF form (inspect.h).
  std::optional<std::string> node;
  std::optional<std::vector<std::string>> redispatches;
};

struct command_report {
  std::string command;
  std::string status;  // passed | failed | timed_out | refused | sandbox_unavailable
  int exit_code = -1;
  double duration_s = 0;
  bool sandboxed = false;
  bool network = false;
  std::string output;  // redacted and truncated
  bool truncated = false;
  std::string reason;
  std::string failure_kind;
};

struct validate_request {
  std::string call_id;
  std::string run_id;
  std::string repo_path;
  std::string head_commit;
  std::vector<fix_file> files;  // the patch to materialize on top of head
  std::vector<std::string> commands;
  std::vector<std::string> allow_commands;
  bool allow_network = false;
  std::string sandbox_mode = "strict";
  int64_t timeout_seconds = 900;
};

struct validate_result {
  std::string call_id;
  bool ok = false;
  std::string status;  // passed | failed | skipped
  std::string failure_kind;
  std::string error;
  bool worktree_created = false;
  std::vector<command_report> commands;
  // As fix_result: where the validation ran and its re-dispatches.
  std::optional<std::string> node;
  std::optional<std::vector<std::string>> redispatches;
};

// A model call or its simulated stand-in. The offline provider's figures are
// estimates: truth "simulated".
struct model_usage {
  std::string task_id;
  std::string task_type;  // review | fix | ...
  std::string provider;   // "other" for the offline provider
  std::string model;      // "casm-offline"
  uint64_t input_tokens = 0;
  uint64_t output_tokens = 0;
  double cost_usd = 0;
  std::string truth;      // measured | calculated | simulated | unknown
};

// The audit part of a report request.
struct audit_report {
  audit_scope scope;
  std::vector<finding> findings;
  std::vector<suggestion> suggestions;
  bool fix_attempted = false;
  fix_result fix;
  bool validation_attempted = false;
  validate_result validation;
  std::string outcome;  // VERIFIED_STRONG | VERIFIED_WEAK | UNVERIFIED | ...
  std::vector<model_usage> usage;
};

CASM_JSON(skipped_file, path, reason, bytes, detail)
CASM_JSON(finding, rule_id, family, level, path, line, column, end_column, fingerprint, preview,
          message, commit, secret, fixable)
CASM_JSON(audit_scope, tool_version, rule_pack_hash, run_id, mode, repo, head_commit, base_commit,
          files_scanned, bytes_scanned, commits_scanned, skipped, suppressed_inline,
          suppressed_allowlist, suppressed_baseline)
CASM_JSON(file_entry, path, oid, size, mode)
CASM_JSON(line_range, first, last)
CASM_JSON(hunk_info, old_start, old_lines, new_start, new_lines, sha256)
CASM_JSON(changed_file, path, old_path, status, old_oid, new_oid, size, binary, added, hunks)
CASM_JSON(audit_options, enabled, history, write_branch, fail_on, max_file_bytes, reviewers,
          preview_chars, allow_paths, allow_fingerprints, baseline_fingerprints, sensitive_paths,
          dependency_files, manifest_version, allow_commands, validate_commands, allow_network,
          sandbox_mode, command_timeout_seconds, validator_enabled, fixer_enabled, tool_version,
          rule_pack_hash, ruleset_id, ruleset_hash, ruleset_source, ruleset_text,
          hitl_expires_after_hours)
CASM_JSON(review_request, call_id, shard, repo_path, mode, files, changes, commits,
          max_file_bytes, preview_chars, excerpt_bytes)
CASM_JSON(review_result, call_id, shard, ok, error, findings, skipped, files_scanned,
          bytes_scanned, commits_scanned, suppressed_inline, lines_scanned, excerpt, node,
          redispatches)
CASM_JSON(fix_file, path, oid, mode, strip_lines, add_final_newline, secret_lines)
CASM_JSON(suggestion, path, rule_id, line, reason)
CASM_JSON(fix_request, call_id, run_id, repo_path, head_commit, files, write_branch, branch)
CASM_JSON(fix_result, call_id, ok, failure_kind, error, files_changed, lines_changed,
          masked_lines, patch_sha256, patch_bytes, new_tree, new_commit, branch, node, redispatches)
CASM_JSON(command_report, command, status, exit_code, duration_s, sandboxed, network, output,
          truncated, reason, failure_kind)
CASM_JSON(validate_request, call_id, run_id, repo_path, head_commit, files, commands,
          allow_commands, allow_network, sandbox_mode, timeout_seconds)
CASM_JSON(validate_result, call_id, ok, status, failure_kind, error, worktree_created, commands,
          node, redispatches)
CASM_JSON(model_usage, task_id, task_type, provider, model, input_tokens, output_tokens, cost_usd,
          truth)
CASM_JSON(audit_report, scope, findings, suggestions, fix_attempted, fix, validation_attempted,
          validation, outcome, usage)

}  // namespace casm::messages
