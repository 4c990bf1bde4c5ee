// The policy gate's messages. The gate agent reads a diff (an effect) and
// returns its evidence: pattern hits, paths and dependency changes, never
// the text. The coordinator then scores it with the pure policy::assess, so
// replay re-derives every decision from the recorded evidence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/data/audit.h"
#include "messages/data/risk.h"

namespace casm::messages {

struct gate_request {
  std::string call_id;
  std::string mode;  // incoming (base..head) | patch (the swarm's own fixes)
  std::string repo_path;
  std::string base_commit;
  std::string head_commit;
  std::vector<fix_file> files;  // patch mode: the planned fixes
  uint64_t max_file_bytes = 0;
  std::string ruleset_hash;     // the agent refuses another ruleset
};

struct gate_result {
  std::string call_id;
  bool ok = false;
  std::string error;
  diff_evidence evidence;
};

CASM_JSON(gate_request, call_id, mode, repo_path, base_commit, head_commit, files, max_file_bytes,
          ruleset_hash)
CASM_JSON(gate_result, call_id, ok, error, evidence)

}  // namespace casm::messages
