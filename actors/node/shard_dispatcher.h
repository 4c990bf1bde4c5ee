// The origin's side of distributed mode: one dispatcher per casm process,
// shared by every run (of a fleet, or the one run of `casm run --repo
// --nodes`). To a run's supervisor it is a reviewer and a validator agent
// (same typed interfaces), and, through the run's fix relay (fix_relay.h),
// its fixer; so the supervisor records each task's request and reply
// exactly as for local agents: the log stays the order of record on the
// origin.
//
// It farms each task (scan shard, fix, validation) to a remote node pool
// (fewest in flight first, round-robin among equals, over live nodes),
// watches every node with a heartbeat (a ping per interval; a node that
// misses `max_missed` in a row, or whose connection CAF reports down, is
// lost), and re-dispatches a lost node's in-flight tasks to the remaining
// nodes, or to workers on the origin when none remain. A late reply from a
// node already declared lost is dropped, so no task is reported twice. Each
// re-dispatch is written into the task's reply (`redispatches` of
// review_result, fix_result, validate_result); the supervisor records it as
// a `task.redispatched` record in that run's log.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "actors/node/node_pool.h"
#include "messages/protocol/interfaces.h"

namespace casm::node {

using dispatch_tick_atom = caf::atom_constant<caf::atom("disptick")>;
using dispatcher_actor = protocol::reviewer_actor::extend<
  caf::replies_to<messages::validate_request>::with<messages::validate_result>,
  caf::replies_to<messages::fix_request>::with<messages::node_fix_reply>,
  caf::reacts_to<dispatch_tick_atom>, caf::reacts_to<messages::node_source>>;

struct remote_pool {
  std::string name;  // host:port
  protocol::node_pool_actor pool;
};

struct dispatcher_config {
  std::vector<remote_pool> nodes;
  uint32_t local_workers = 1;  // workers started on the origin when no node is left
  // The origin's own workers (name "origin"): its clone cache, and its home
  // (hidden from validation commands).
  node_pool_config local;
  std::chrono::milliseconds heartbeat{1000};
  int max_missed = 4;          // a node is lost after this many silent heartbeats
};

struct dispatcher_state {
  static inline const char* name = "casm.shard_dispatcher";
  struct node_slot {
    remote_pool remote;
    bool alive = true;
    int missed = 0;
    std::set<uint64_t> tasks;
  };
  struct task {
    std::variant<messages::review_request, messages::fix_request, messages::validate_request> req;
    caf::typed_response_promise<messages::review_result> review_rp;
    caf::typed_response_promise<messages::node_fix_reply> fix_rp;
    caf::typed_response_promise<messages::validate_result> validate_rp;
    int node = -1;  // index into nodes, -1: a worker on the origin
    uint64_t attempt = 0;
    std::vector<std::string> notes;
  };
  dispatcher_config cfg;
  std::vector<node_slot> nodes;
  std::map<uint64_t, task> tasks;
  uint64_t next_task = 0;
  size_t rr = 0;
  std::vector<protocol::node_worker_actor> local;
  size_t local_next = 0;
  uint64_t redispatched = 0;
  std::map<std::string, std::string> sources;  // repo path (no trailing '/') -> git URL
};

dispatcher_actor::behavior_type
shard_dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self, dispatcher_config cfg);

}  // namespace casm::node
