// Human-in-the-loop messages: the gate's request for a decision, the pause,
// and the decision that `casm approve` / `casm deny` record. An approval is
// bound to run id + the hash of the gated diff + the ruleset hash, and is
// single-use (consumed when a resume delivers it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/data/fields.h"

namespace casm::messages {

struct hitl_signal {
  std::string file;
  uint32_t line_start = 0;
  uint32_t line_end = 0;
  std::string type;
  std::string severity;
  std::string message;
};

// The decision packet (seed: "why gated, what changed, suggested safe scope
// reduction"). Recorded as an output; `casm explain` and the report show it.
struct hitl_request {
  std::string request_id;
  std::string run_id;
  std::string mode;          // incoming | patch
  std::string diff_hash;     // sha256 of the gated diff's evidence
  std::string ruleset_hash;
  double score = 0;
  std::string status;        // gate
  std::vector<std::string> reason_codes;
  std::vector<hitl_signal> signals;
  std::vector<std::string> changed_files;
  std::vector<std::string> allow_files;  // suggested safe scope
  std::vector<std::string> deny_files;
  std::string human_summary;
  double expires_after_hours = 168;
};

// The run stops here until a human decides.
struct run_pause {
  std::string status = "pending_hitl";
  int exit_code = 3;
  std::string request_id;
  std::string reason;
};

// What a human decided. Recorded as an input (source "cli") by approve/deny;
// delivered to the coordinator by the resume that consumes it.
struct approval_decision {
  std::string approval_id;
  std::string request_id;
  std::string run_id;
  std::string decision;  // approved | denied
  std::string diff_hash;
  std::string ruleset_hash;
  std::string by;        // --by, or the OS user
  std::string os_user;
  std::string reason;
  std::string decided_at;
  std::vector<std::string> allow_files;
  std::vector<std::string> deny_files;
};

// The policy blocked the run: recorded as its own event (the seed's
// on_block: stop_immediately + emit_security_alert).
struct security_alert {
  std::string stage;
  double score = 0;
  std::vector<std::string> reason_codes;
  std::string summary;
};

CASM_JSON(security_alert, stage, score, reason_codes, summary)
CASM_JSON(hitl_signal, file, line_start, line_end, type, severity, message)
CASM_JSON(hitl_request, request_id, run_id, mode, diff_hash, ruleset_hash, score, status,
          reason_codes, signals, changed_files, allow_files, deny_files, human_summary,
          expires_after_hours)
CASM_JSON(run_pause, status, exit_code, request_id, reason)
CASM_JSON(approval_decision, approval_id, request_id, run_id, decision, diff_hash, ruleset_hash,
          by, os_user, reason, decided_at, allow_files, deny_files)

}  // namespace casm::messages
