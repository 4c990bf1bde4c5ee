// Replays a run dir's log: verifies the chain, compares the pinned config
// with the current one, resolves and checks blob payloads, and feeds every
// verified record to a replayer (actors/workflow/replay.h), in one streaming
// pass in constant memory.
//
// Read-only: no lock, no truncation, no write. It constructs no actor, agent,
// connector or command runner.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actors/supervisor/run_log_reader.h"
#include "actors/workflow/replay.h"
#include "runtime/config_drift.h"

namespace casm::runtime {

struct log_replay {
  // tampered | config_drift | diverged | identical, the first that applies:
  // a broken chain wins over everything, because nothing the log says can
  // be trusted then, even a divergence found before the bad record.
  std::string result;
  int exit_code = 0;
  supervisor::verify_result chain;
  std::vector<config_difference> drift;
  workflow::replay_result replay;
};

// `casm_version` is this build's (CASM_VERSION). With `allow_config_drift`
// the records are compared even if the pinned config differs.
log_replay replay_log(const std::filesystem::path& run_dir, const std::string& casm_version,
                      bool allow_config_drift);

}  // namespace casm::runtime
