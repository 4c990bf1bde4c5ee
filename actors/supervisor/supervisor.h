// The per-run supervisor: it owns the run log and sits between the
// coordinator and everything else. Every message into the coordinator and
// every request out of it is appended to the log *before* it is delivered, so
// the log is the run's total order and the input of replay.
//
// It runs detached (its own thread), because appending and fsyncing the log
// blocks; no CAF scheduler thread ever waits on the disk. Agent requests are
// dispatched through a bounded window (max_inflight) to keep CAF's pending-
// response table small (DESIGN.md, Concurrency rules).
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <queue>
#include <functional>
#include <string>
#include <map>
#include <set>
#include <vector>

#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>

#include "actors/supervisor/run_log_writer.h"
#include "actors/supervisor/run_store.h"
#include "messages/protocol/interfaces.h"

namespace casm::supervisor {

// The agents a live run talks to. (Replay constructs none.)
struct agent_set {
  protocol::ingest_actor ingest;
  protocol::reporter_actor reporter;
  std::vector<protocol::reviewer_actor> reviewers;  // one per shard slot
  bool shared_reviewers = false;  // not this run's to stop (the --nodes shard dispatcher)
  protocol::fixer_actor fixer;
  protocol::validator_actor validator;
  bool shared_validator = false;  // not this run's to stop (the --nodes dispatcher)
  protocol::gate_actor gate;
  protocol::router_actor router;                   // routes and settles model tasks
  std::vector<protocol::connector_actor> connectors;  // model calls, round robin
  // Agents most runs never ask (a run without fixable findings has no patch
  // to gate, fix or validate): when the handle above is empty, spawned on
  // first use, on the supervisor's own thread. A run that never needs them
  // starts no thread for them, and a fleet's scheduler spawns fewer actors
  // per admission. A factory may return an empty handle (no such agent).
  std::function<protocol::fixer_actor()> make_fixer;
  std::function<protocol::validator_actor()> make_validator;
  std::function<protocol::gate_actor()> make_gate;
};

struct supervisor_config {
  std::filesystem::path run_dir;
  std::string run_id;
  nlohmann::json pinned;    // payload of the config.pinned record
  run_state initial_state;  // status running, created_at, template, repo
  size_t max_inflight = 16;
  size_t blob_threshold = 4096;  // payloads larger than this go to blobs/
  // Resume: the records after run.started (payloads resolved from blobs).
  // The coordinator is rebuilt and re-emits its outputs; each one that the
  // feed holds is matched, not appended, and each recorded reply is
  // delivered from the feed without calling any agent. Where the feed ends,
  // the run goes on live. Empty for a new run.
  std::vector<nlohmann::json> feed;
  bool resuming = false;  // a resume (its feed may be empty: killed right after the start)
  // Test seam: when set, every request actually dispatched to an agent
  // (never one answered from the log) appends "<agent> <event type>\n"
  // here, so tests can count side effects. From $CASM_TEST_EFFECT_LOG.
  std::filesystem::path effect_log;
  // Test seam: SIGKILL this process right after appending the n-th record
  // of this type ("type" or "type:n"), to test crash recovery at chosen
  // points. From $CASM_TEST_KILL_AFTER.
  std::string kill_after;
  // Bench seam: false appends, stores and syncs nothing (no log, no blobs,
  // no head), so bench/fleet_bench.sh can measure what recording costs. A
  // run made so cannot be explained, replayed or resumed; its state.json
  // says so. From $CASM_BENCH_NO_RECORD; never set by a user-facing flag.
  bool record = true;
  // A fleet's scheduler: told `settling` once the run's outcome is decided,
  // before the final flush (the run has stopped working). Unset for a
  // single run.
  protocol::fleet_actor settling_to;
};

struct supervisor_state {
  static inline const char* name = "casm.supervisor";
  supervisor_config cfg;
  agent_set agents;
  std::unique_ptr<run_log_writer> log;
  uint64_t unrecorded = 0;  // records counted, not written (cfg.record false)
  std::string open_error;  // why the log could not be opened, if it could not
  run_state state;
  protocol::coordinator_actor coordinator;
  std::optional<caf::typed_response_promise<messages::run_outcome>> done;
  std::queue<std::function<void()>> waiting;  // requests beyond the window
  size_t inflight = 0;
  size_t next_connector = 0;
  bool finished = false;
  // resume
  size_t feed_next = 0;          // next feed record to match an output against
  bool feeding = false;          // outputs are still being matched
  bool resume_marked = false;    // run.resumed appended
  std::map<std::string, nlohmann::json> recorded_replies;  // call_id -> payload
  // Recorded replies are delivered in the order the log holds them (not in
  // the order their requests are re-emitted), so the resumed coordinator
  // hears its inputs in the recorded order, as replay does.
  std::vector<std::string> recorded_order;  // call ids of recorded replies, in log order
  size_t next_recorded = 0;
  std::map<std::string, std::function<void()>> held_replies;  // re-asked, waiting their turn
  std::set<std::string> consumed_approvals;                 // approval ids
  std::string divergence;        // set when a re-emitted output differs
  int kill_countdown = 0;        // for the kill_after seam
};

protocol::supervisor_actor::behavior_type
supervisor(protocol::supervisor_actor::stateful_pointer<supervisor_state> self,
           supervisor_config cfg, agent_set agents);

}  // namespace casm::supervisor
