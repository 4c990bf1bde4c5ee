// Reads a run back: its state, and its verified records with blob payloads
// resolved. Used by the commands that continue a run (approve, deny,
// resume); read-only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/supervisor/run_store.h"
#include "telemetry/run_story.h"

namespace casm::runtime {

struct run_records {
  supervisor::fs::path dir;
  supervisor::run_state state;
  std::vector<nlohmann::json> records;  // every verified record, in order
  bool torn_tail = false;
};

// Loads run `run_id`. On failure prints one sentence and sets `exit_code`
// (2: unknown run; 6: the log does not verify or a blob was changed).
std::optional<run_records> load_run(const std::string& home_flag, const std::string& run_id,
                                    int& exit_code);

// The payload of the last record of `type`, or null.
const nlohmann::json* last_payload(const run_records& r, const std::string& type);

// Streams the log of the run in `dir` into `story` (verifying the chain and
// every blob on the way, in constant memory) and returns what the
// verification found. What `casm explain` prints.
telemetry::log_integrity tell_story(const supervisor::fs::path& dir, telemetry::run_story& story);

}  // namespace casm::runtime
