// Distributed mode's origin side, shared by a fleet (`casm run --repos
// --nodes`) and a single run (`casm run --repo --nodes`): connects to every
// node, checks its interface and protocol, and spawns the one dispatcher
// of this process (actors/node/shard_dispatcher).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/node/shard_dispatcher.h"

namespace casm::runtime {

struct node_link {
  node::dispatcher_actor dispatcher;
  std::vector<std::string> nodes;  // host:port, as given
};

// remote_actor blocks: call it from the main thread, in a system booted
// with the middleman (net_options.enabled). `home` is the origin's
// $CASM_HOME: its workers (used when no node is left) hide it from
// validation commands. Returns "" or the one sentence to refuse with
// (exit 2): a spec that is not HOST:PORT, a node that cannot be reached,
// publishes another interface or speaks another node protocol.
std::string connect_nodes(caf::actor_system& sys, const std::vector<std::string>& specs, bool tls,
                          uint32_t local_workers, const std::filesystem::path& home, node_link& out);

}  // namespace casm::runtime
