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

// The records past the durable head that a resume drops (see load_run).
struct lost_tail {
  uint64_t from_seq = 0;     // 0: nothing lost
  uint64_t log_bytes = 0;    // the log's length before that record
  std::string why;           // e.g. "blob <sha> is missing"
  std::vector<std::string> blobs;  // the blobs the dropped records name
};

struct run_records {
  supervisor::fs::path dir;
  supervisor::run_state state;
  std::vector<nlohmann::json> records;  // every verified record, in order
  bool torn_tail = false;
  lost_tail lost;  // set only by load_run(..., cut_lost_tail = true)
};

// Loads run `run_id`. On failure prints one sentence and sets `exit_code`
// (2: unknown run; 6: the log does not verify or a blob was changed).
//
// Blobs and artifacts are written without a sync of their own: the run's
// next durable point (state.json's head) flushes them with the records that
// name them. So after a power loss, a record past the head may name a blob
// or an artifact that never reached the disk, or reached it torn. With
// `cut_lost_tail` (a resume), the records from the first such one on are
// dropped and described in `lost`; nothing is changed on disk (the caller
// holds no lock yet). At or before the head, the same finding is
// tampering: exit 6, as without the flag.
std::optional<run_records> load_run(const std::string& home_flag, const std::string& run_id,
                                    int& exit_code, bool cut_lost_tail = false);

// Under the run's lock: truncates the log of `r` before its lost tail and
// deletes the blobs the dropped records name that do not match their digest,
// so that the recomputation writes them again (a no-op without a lost
// tail). Returns "" or the error.
std::string cut_lost_tail_of(const run_records& r);

// The payload of the last record of `type`, or null.
const nlohmann::json* last_payload(const run_records& r, const std::string& type);

// Streams the log of the run in `dir` into `story` (verifying the chain and
// every blob on the way, in constant memory) and returns what the
// verification found. What `casm explain` prints.
telemetry::log_integrity tell_story(const supervisor::fs::path& dir, telemetry::run_story& story);

}  // namespace casm::runtime
