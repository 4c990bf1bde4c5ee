#include "actors/node/node_pool.h"

#include <chrono>
#include <thread>

#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/agents/reviewer.h"

namespace casm::node {

namespace {

// A node's reviewer: the same scan as an origin's reviewer agent, with a log
// line per shard (--log-level info) and, for tests only, a delay before it
// answers (so a test can kill the node with a shard surely in flight).
protocol::reviewer_actor::behavior_type node_worker(protocol::reviewer_actor::pointer self,
                                                    std::string node, uint32_t delay_ms) {
  return {
    [=](const messages::review_request& req) {
      spdlog::info("node {}: shard {} of {} ({} files)", node, req.call_id, req.repo_path,
                   req.files.size());
      if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      return agents::review_shard(req);
    },
  };
}

}  // namespace

protocol::node_pool_actor::behavior_type
node_pool(protocol::node_pool_actor::stateful_pointer<node_pool_state> self, node_pool_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  for (uint32_t i = 0; i < std::max<uint32_t>(1, st.cfg.workers); ++i)
    st.reviewers.push_back(
      self->spawn<caf::detached + caf::linked>(node_worker, st.cfg.name, st.cfg.test_delay_ms));
  return {
    [self](const messages::node_hello& hello) {
      spdlog::info("node {}: hello from {} (protocol {}, casm {})", self->state.cfg.name,
                   hello.origin, hello.protocol, hello.casm_version);
      messages::node_welcome w;
      w.protocol = self->state.cfg.protocol;
      w.casm_version = self->state.cfg.casm_version;
      w.node = self->state.cfg.name;
      w.workers = static_cast<uint32_t>(self->state.reviewers.size());
      return w;
    },
    [](protocol::node_ping_atom a) { return a; },
    [self](messages::review_request& req) {
      auto& st = self->state;
      ++st.served;
      auto worker = st.reviewers[st.next++ % st.reviewers.size()];
      return self->delegate(worker, std::move(req));
    },
  };
}

}  // namespace casm::node
