// Replay: a fresh workflow_engine is fed the inputs of a recorded run, and
// every message it emits must equal the output the log recorded at that
// place (DESIGN.md, Replay, explain, resume). Every decision the engine
// derives (shards, fix plan, validation commands, and the routing and gate
// decisions it makes) is derived again and compared. No agent is needed:
// every reply comes from the log.
//
// Pure: no CAF, no I/O. The caller reads and verifies the log and resolves
// blob payloads (runtime/log_replay.cc). Records go in one at a time, in seq
// order, and none is kept. Memory is the engine's own state plus the few
// messages it emitted that the log has not reached yet. Not thread-safe.
#pragma once

#include <cstdint>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/workflow/workflow_engine.h"
#include "messages/codec/json_diff.h"

namespace casm::workflow {

struct input_route;  // an input the coordinator accepts (replay.cc)

// The first place where the replayed coordinator and the record disagree.
struct replay_divergence {
  uint64_t seq = 0;
  std::string type;         // the recorded type (the emitted one past the log's end)
  std::string reason;       // one sentence
  nlohmann::json expected;  // {"type", "payload"} as recorded, or null
  nlohmann::json actual;    // {"type", "payload"} as emitted in replay, or null
  std::vector<codec::json_difference> diff;  // expected vs actual
};

struct replay_result {
  uint64_t records = 0;     // records fed, meta included
  uint64_t last_seq = 0;
  bool started = false;     // run.started was replayed
  bool complete = false;    // the log reached run.completed or run.aborted
  bool aborted = false;     // ... and it was run.aborted
  std::string last_output;  // type of the last matched output (run.paused: a paused run)
  std::optional<replay_divergence> divergence;

  bool identical() const { return !divergence; }
};

class replayer {
public:
  // Feeds the next record: an object with `seq`, `kind`, `type` and `payload`
  // (blob-resolved); other fields are ignored. Returns false once the replay
  // has diverged; later records are then ignored.
  bool feed(const nlohmann::json& record);

  // The same, from the record's parts. `payload` is the canonical JSON text
  // that the log line (or its blob) holds. Faster: an output that matches is
  // compared as text and never parsed.
  bool feed(uint64_t seq, std::string_view kind, std::string_view type,
            std::string_view payload);

  // Makes the record at `seq` a divergence found outside the replayer, e.g.
  // its payload blob does not match its digest.
  void reject(uint64_t seq, std::string type, std::string reason,
              nlohmann::json recorded_payload = nullptr);

  // Ends the replay at the end of the log. A complete log must leave nothing
  // emitted unrecorded; an incomplete one (a crashed run) may.
  const replay_result& finish();

  const replay_result& result() const { return result_; }

private:
  class payload;  // parsed, or canonical text parsed on demand (replay.cc)

  bool on_record(uint64_t seq, std::string_view kind, const std::string& type, const payload& p);
  bool on_input(uint64_t seq, const std::string& type, const payload& p);
  bool on_output(uint64_t seq, const std::string& type, const payload& p);
  bool on_aborted(uint64_t seq, const payload& p);
  void emit(std::vector<output> outs);
  bool diverge(uint64_t seq, std::string type, std::string reason, nlohmann::json expected,
               nlohmann::json actual);

  // A FIFO that keeps its storage: std::deque allocates a node per message
  // when messages are as large as a report request.
  class output_queue {
  public:
    bool empty() const { return head_ == items_.size(); }
    const output& front() const { return items_[head_]; }
    void push_back(output&& o) { items_.push_back(std::move(o)); }
    void pop_front() {
      if (++head_ == items_.size()) {
        items_.clear();
        head_ = 0;
      } else if (head_ >= 32 && 2 * head_ >= items_.size()) {
        // Never empty for long: drop the matched half.
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
    }
    std::vector<output>::const_iterator begin() const {
      return items_.begin() + static_cast<std::ptrdiff_t>(head_);
    }
    std::vector<output>::const_iterator end() const { return items_.end(); }

  private:
    std::vector<output> items_;
    size_t head_ = 0;  // items_[head_] is the front
  };

  workflow_engine engine_;
  output_queue emitted_;  // emitted, not yet matched with a record
  std::unordered_map<std::string, const input_route*> awaiting_;  // call id -> its reply's route
  std::string engine_error_;    // what the replayed engine threw; it takes no more input
  replay_result result_;
};

}  // namespace casm::workflow
