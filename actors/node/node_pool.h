// The agent pool a `casm node` publishes on CAF's middleman: it answers the
// origin's hello (protocol check) and pings (heartbeat), and hands each scan
// shard, fix and validation to one of its workers (detached: libgit2 and
// the sandboxed commands block). It keeps no state of its own beyond its
// workers: the origin's supervisors keep the order of record, and a task
// that is lost with its node is re-dispatched there. No model is ever
// called here: a fix is the mechanical patch only (the fixer's model task
// is routed, reserved and called on the origin).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "messages/protocol/interfaces.h"

namespace casm::node {

struct node_pool_config {
  std::string name;           // host:port as it listens
  std::string casm_version;
  uint32_t protocol = messages::node_protocol_version;
  uint32_t workers = 2;
  uint32_t test_delay_ms = 0;  // test seam ($CASM_TEST_NODE_SHARD_DELAY_MS): every task
  std::filesystem::path casm_home;    // hidden from validation commands
  std::filesystem::path clone_cache;  // bare clones of repositories named by URL
  bool clone_only = false;            // never open an origin's path (nodes on other hosts)
};

struct node_pool_state {
  static inline const char* name = "casm.node_pool";
  node_pool_config cfg;
  std::vector<protocol::node_worker_actor> reviewers;
  size_t next = 0;
  uint64_t served = 0;
};

// One worker: scans a shard, computes a fix's patch, or runs a validation,
// on the origin's path when it may open it, else on a clone of the task's
// URL. The origin's dispatcher also runs these (named "origin") for tasks
// that no node can take. Spawn it detached.
protocol::node_worker_actor::behavior_type node_worker(protocol::node_worker_actor::pointer self,
                                                       node_pool_config cfg);

protocol::node_pool_actor::behavior_type
node_pool(protocol::node_pool_actor::stateful_pointer<node_pool_state> self, node_pool_config cfg);

}  // namespace casm::node
