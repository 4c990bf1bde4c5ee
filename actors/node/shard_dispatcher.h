// The origin's side of distributed mode: one dispatcher per casm process,
// shared by every run of a fleet. To a run's supervisor it is a reviewer
// agent (same typed interface), so the supervisor records each shard's
// request and reply exactly as for a local reviewer: the log stays the
// order of record on the origin.
//
// It farms each shard to a remote node pool (round-robin over live nodes,
// fewest in flight first), watches every node with a heartbeat (a ping per
// interval; a node that misses `max_missed` in a row, or whose connection
// CAF reports down, is lost), and re-dispatches a lost node's in-flight
// shards to the remaining nodes, or to local reviewers when none remain. A
// late reply from a node already declared lost is dropped, so no shard is
// reported twice. Each re-dispatch is written into the shard's reply
// (review_result.redispatches); the supervisor records it as a
// `task.redispatched` record in that run's log.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "messages/protocol/interfaces.h"

namespace casm::node {

using dispatch_tick_atom = caf::atom_constant<caf::atom("disptick")>;
using dispatcher_actor = protocol::reviewer_actor::extend<caf::reacts_to<dispatch_tick_atom>,
                                                          caf::reacts_to<messages::node_source>>;

struct remote_pool {
  std::string name;  // host:port
  protocol::node_pool_actor pool;
};

struct dispatcher_config {
  std::vector<remote_pool> nodes;
  uint32_t local_workers = 1;  // reviewers started on the origin when no node is left
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
    messages::review_request req;
    caf::typed_response_promise<messages::review_result> rp;
    int node = -1;  // index into nodes, -1: a local reviewer
    uint64_t attempt = 0;
    std::vector<std::string> notes;
  };
  dispatcher_config cfg;
  std::vector<node_slot> nodes;
  std::map<uint64_t, task> tasks;
  uint64_t next_task = 0;
  size_t rr = 0;
  std::vector<protocol::reviewer_actor> local;
  size_t local_next = 0;
  uint64_t redispatched = 0;
  std::map<std::string, std::string> sources;  // repo path (no trailing '/') -> git URL
};

dispatcher_actor::behavior_type
shard_dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self, dispatcher_config cfg);

}  // namespace casm::node
