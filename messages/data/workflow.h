// The messages of one run's workflow: what the supervisor delivers into the
// coordinator (inputs) and what the coordinator emits (outputs). Plain data;
// the CAF side (inspect, interfaces) is in messages/protocol/.
//
// Every message has a JSON form (CASM_JSON) that is what the run log records.
// Strings that may not be UTF-8 are written with codec::put_bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/data/audit.h"
#include "messages/data/fields.h"
#include "messages/data/gate.h"
#include "messages/data/hitl.h"
#include "messages/data/routing_flow.h"

namespace casm::messages {

// --- inputs -----------------------------------------------------------------

// The first input of every run. Everything the coordinator may not compute
// itself (the clock, the random run id, config) arrives here and is recorded.
struct run_start {
  std::string run_id;
  std::string started_at;  // RFC 3339, UTC, milliseconds
  std::string template_id;
  std::string template_hash;
  std::string workflow;             // entrypoint.workflow
  std::vector<std::string> stages;  // the stage order the coordinator executes
  std::string repo;                 // the path as the user gave it
  std::string head_rev = "HEAD";
  std::string base_rev;             // empty: audit everything at head
  audit_options audit;
  routing_setup routing;            // how model tasks are routed (offline by default)
  // --proof-mode or telemetry.proof_mode: the report also writes
  // run_replay.sh, and policy_decisions.json even when no change was scored.
  bool proof_mode = false;
};

// What ingest learned about the repository. Pins the commits of the run.
struct ingest_result {
  std::string call_id;
  bool ok = false;
  std::string error_kind;  // "" | bad_input | io
  std::string error;       // one sentence, names what and where
  std::string repo_path;   // the resolved repository path
  bool bare = false;
  bool shallow = false;
  std::string head_rev;
  std::string head_commit;
  std::string head_tree;
  int64_t head_time = 0;    // commit time, seconds since epoch
  std::string base_commit;  // git's empty tree when there is no base
  uint64_t file_count = 0;
  uint64_t total_bytes = 0;
  std::string mode;                    // full | diff | history ("" when not listed)
  std::vector<file_entry> files;       // full: every blob at head
  std::vector<changed_file> changes;   // diff: base..head
  std::vector<std::string> commits;    // history: every commit reachable from head
  std::vector<std::string> package_scripts;  // script names in package.json at head
  bool has_package_json = false;
  bool has_pnpm_lock = false;
};

struct artifact_ref {
  std::string name;  // file name under artifacts/
  std::string sha256;
  uint64_t bytes = 0;
};

struct report_result {
  std::string call_id;
  bool ok = false;
  std::string error;
  std::vector<artifact_ref> artifacts;
};

// --- outputs ----------------------------------------------------------------

struct ingest_request {
  std::string call_id;
  std::string repo;
  std::string head_rev;
  std::string base_rev;
  bool list_files = false;  // list what to audit (full, diff or history)
  bool history = false;
};

// A stage transition. status: started | completed | failed | skipped.
struct stage_event {
  std::string stage;
  std::string status;
  std::string detail;
};

// Everything the reporter needs: it renders, it decides nothing.
struct report_request {
  std::string call_id;
  std::string run_id;
  std::string template_id;
  std::string started_at;
  std::string repo;
  std::string head_rev;
  std::string head_commit;
  std::string base_commit;
  bool bare = false;
  bool shallow = false;
  uint64_t file_count = 0;
  uint64_t total_bytes = 0;
  std::vector<stage_event> stages;
  std::string status;  // the run status this report states
  int exit_code = 0;
  std::string reason;  // why it ended so (empty on success)
  std::string failure_kind;
  bool audit_enabled = false;
  audit_report audit;
  // policy_decisions.json (rendered by the coordinator with the pure
  // telemetry writer), written on every run that reaches a gate; "" if none
  std::string policy_decisions;
  std::vector<hitl_request> hitl_requests;
  // routing_decisions.json, cost_forecast.json, cost_report.md,
  // run_summary.json (rendered by the coordinator with the pure writers)
  routing_report routing;
  std::string run_replay_sh;  // proof mode: the script (telemetry/run_replay_writer.h); "" if off
};

// The coordinator's last word: how the run ended.
struct run_outcome {
  std::string status;  // a run_status name
  int exit_code = 0;
  std::string reason;
  std::string failure_kind;  // "" | bad_input | patch_apply | validation_command | ...
  std::vector<artifact_ref> artifacts;
};

CASM_JSON(run_start, run_id, started_at, template_id, template_hash, workflow, stages, repo,
          head_rev, base_rev, audit, routing, proof_mode)
CASM_JSON(ingest_result, call_id, ok, error_kind, error, repo_path, bare, shallow, head_rev,
          head_commit, head_tree, head_time, base_commit, file_count, total_bytes, mode, files,
          changes, commits, package_scripts, has_package_json, has_pnpm_lock)
CASM_JSON(artifact_ref, name, sha256, bytes)
CASM_JSON(report_result, call_id, ok, error, artifacts)
CASM_JSON(ingest_request, call_id, repo, head_rev, base_rev, list_files, history)
CASM_JSON(stage_event, stage, status, detail)
CASM_JSON(report_request, call_id, run_id, template_id, started_at, repo, head_rev, head_commit,
          base_commit, bare, shallow, file_count, total_bytes, stages, status, exit_code, reason,
          failure_kind, audit_enabled, audit, policy_decisions, hitl_requests, routing,
          run_replay_sh)
CASM_JSON(run_outcome, status, exit_code, reason, failure_kind, artifacts)

// The event `type` under which each message is recorded. The complete table
// is docs/events.md; tests check every emitted type is listed there.
template <class T> struct event_type;
template <> struct event_type<run_start> { static constexpr const char* value = "run.started"; };
template <> struct event_type<ingest_request> { static constexpr const char* value = "ingest.requested"; };
template <> struct event_type<ingest_result> { static constexpr const char* value = "ingest.completed"; };
template <> struct event_type<review_request> { static constexpr const char* value = "review.requested"; };
template <> struct event_type<review_result> { static constexpr const char* value = "review.completed"; };
template <> struct event_type<fix_request> { static constexpr const char* value = "fix.requested"; };
template <> struct event_type<fix_result> { static constexpr const char* value = "fix.completed"; };
template <> struct event_type<validate_request> { static constexpr const char* value = "validate.requested"; };
template <> struct event_type<validate_result> { static constexpr const char* value = "validate.completed"; };
template <> struct event_type<report_request> { static constexpr const char* value = "report.requested"; };
template <> struct event_type<report_result> { static constexpr const char* value = "report.completed"; };
template <> struct event_type<stage_event> { static constexpr const char* value = "stage.transition"; };
template <> struct event_type<run_outcome> { static constexpr const char* value = "run.completed"; };
template <> struct event_type<gate_request> { static constexpr const char* value = "gate.requested"; };
template <> struct event_type<gate_result> { static constexpr const char* value = "gate.completed"; };
template <> struct event_type<security_alert> { static constexpr const char* value = "security.alert"; };
template <> struct event_type<hitl_request> { static constexpr const char* value = "hitl.requested"; };
template <> struct event_type<run_pause> { static constexpr const char* value = "run.paused"; };
template <> struct event_type<route_request> { static constexpr const char* value = "route.requested"; };
template <> struct event_type<route_result> { static constexpr const char* value = "route.decided"; };
template <> struct event_type<model_call> { static constexpr const char* value = "model.requested"; };
template <> struct event_type<model_reply> { static constexpr const char* value = "model.completed"; };
template <> struct event_type<settle_request> { static constexpr const char* value = "cost.reconcile_requested"; };
template <> struct event_type<settle_result> { static constexpr const char* value = "cost.reconciled"; };
template <> struct event_type<fallback_note> { static constexpr const char* value = "route.fallback"; };
template <> struct event_type<output_check> { static constexpr const char* value = "model.output_checked"; };

}  // namespace casm::messages
