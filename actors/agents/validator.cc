#include "actors/agents/validator.h"

#include <caf/typed_event_based_actor.hpp>

#include "actors/agents/git_access.h"
#include "actors/agents/sandbox.h"
#include "actors/agents/worktree.h"
#include "policy/mechanical_fix.h"

namespace casm::agents {

using messages::validate_request;
using messages::validate_result;

namespace {

messages::command_report to_report(const command_outcome& o) {
  messages::command_report c;
  c.command = o.command;
  c.status = o.status;
  c.exit_code = o.exit_code;
  c.duration_s = o.duration_s;
  c.sandboxed = o.sandboxed;
  c.network = o.network;
  c.output = o.output;
  c.truncated = o.truncated;
  c.reason = o.reason;
  c.failure_kind = o.failure_kind;
  return c;
}

bool allowlisted(const validate_request& req, const std::string& command) {
  for (const auto& a : req.allow_commands)
    if (a == command) return true;
  return false;
}

// The patched files' new bytes, computed exactly as the fixer does.
bool patched_overrides(const validate_request& req, tree_overrides& out, std::string& error) {
  repo_lease repo;
  if (!open_repository(req.repo_path, repo, error)) return false;
  for (const auto& f : req.files) {
    git_oid oid;
    blob_ptr blob;
    if (!parse_oid(f.oid, oid) || git_blob_lookup(blob.out(), repo.get(), &oid) != 0) {
      error = "cannot read " + f.path + " (" + f.oid + "): " + git_error_text();
      return false;
    }
    std::string_view before(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                            static_cast<size_t>(git_blob_rawsize(blob.get())));
    file_content fc;
    fc.bytes = policy::apply_mechanical_fix(
      before, policy::mechanical_fix{f.strip_lines, f.add_final_newline});
    fc.executable = f.mode == GIT_FILEMODE_BLOB_EXECUTABLE;
    out[f.path] = std::move(fc);
  }
  return true;
}

}  // namespace

validate_result run_validation(const validate_request& req, const std::filesystem::path& casm_home) {
  return run_validation(req, std::vector<std::filesystem::path>{casm_home});
}

validate_result run_validation(const validate_request& req,
                               const std::vector<std::filesystem::path>& hidden_paths) {
  validate_result r;
  r.call_id = req.call_id;
  auto set_failure = [&](const std::string& kind) {
    if (r.failure_kind.empty()) r.failure_kind = kind;
  };

  // Commands that will be refused never need a worktree.
  bool any_runnable = false;
  for (const auto& c : req.commands)
    any_runnable = any_runnable || (allowlisted(req, c) && !has_shell_metacharacters(c));

  std::optional<worktree> wt;
  if (any_runnable) {
    remove_stale_worktrees();
    std::string error;
    wt = worktree::create(req.run_id, &error);
    tree_overrides overrides;
    export_stats stats;
    if (!wt || !patched_overrides(req, overrides, error) ||
        !export_tree_with_overrides(req.repo_path, req.head_commit, overrides, wt->path(), &stats,
                                    &error)) {
      r.ok = false;
      r.status = "failed";
      r.failure_kind = "patch_apply";
      r.error = "the worktree could not be prepared: " + error;
      return r;
    }
    r.worktree_created = true;
  }

  bool all_passed = true;
  for (const auto& command : req.commands) {
    sandbox_spec spec;
    spec.command = command;
    spec.allow_commands = req.allow_commands;
    spec.workdir = wt ? wt->path() : std::filesystem::path();
    spec.allow_network = req.allow_network;
    spec.mode = req.sandbox_mode;
    spec.timeout_seconds = static_cast<int>(req.timeout_seconds);
    spec.hidden_paths = hidden_paths;
    auto outcome = run_validation_command(spec);
    if (outcome.status != "passed") {
      all_passed = false;
      set_failure(outcome.failure_kind.empty() ? "validation_command" : outcome.failure_kind);
    }
    r.commands.push_back(to_report(outcome));
  }
  r.status = all_passed ? "passed" : "failed";
  r.ok = all_passed;
  return r;
}

protocol::validator_actor::behavior_type validator_agent(protocol::validator_actor::pointer,
                                                         std::filesystem::path casm_home) {
  return {
    [casm_home](const validate_request& req) { return run_validation(req, casm_home); },
  };
}

}  // namespace casm::agents
