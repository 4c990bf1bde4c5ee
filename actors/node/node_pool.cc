#include "actors/node/node_pool.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/agents/reviewer.h"
#include "actors/node/clone_cache.h"

namespace casm::node {

namespace {

// A node's reviewer: the same scan as an origin's reviewer agent, run on
// the origin's path when this node can open it (and may: not
// --clone-only), else on a clone of the task's URL from the node's clone
// cache. A log line per shard (--log-level info) and, for tests only, a
// delay before it answers (so a test can kill the node with a shard surely
// in flight).
protocol::node_worker_actor::behavior_type node_worker(protocol::node_worker_actor::pointer self,
                                                       node_pool_config cfg) {
  return {
    [=](messages::node_task& task) {
      auto& req = task.req;
      std::string where = "path";
      std::error_code e;
      const bool path_ok = !cfg.clone_only && std::filesystem::exists(req.repo_path, e);
      if (!path_ok) {
        if (task.source_url.empty()) {
          messages::review_result r;
          r.call_id = req.call_id;
          r.shard = req.shard;
          r.error = cfg.clone_only ? "this node opens no origin path (--clone-only) and the "
                                     "repository has no URL to fetch it from"
                                   : "repository '" + req.repo_path + "' is not on this node "
                                     "and has no URL to fetch it from";
          return r;
        }
        std::vector<std::string> oids;
        for (const auto& f : req.files) oids.push_back(f.oid);
        std::string error;
        bool fetched = false;
        auto clone = ensure_clone(cfg.clone_cache, task.source_url, oids, error, &fetched);
        if (clone.empty()) {
          messages::review_result r;
          r.call_id = req.call_id;
          r.shard = req.shard;
          r.error = error;
          return r;
        }
        req.repo_path = clone;
        where = fetched ? "fetched " + task.source_url : "cached " + task.source_url;
      }
      spdlog::info("node {}: shard {} of {} ({} files, {})", cfg.name, req.call_id, req.repo_path,
                   req.files.size(), where);
      // A test seam (holds a shard in flight). node_worker is a detached
      // actor on its own thread, so this never blocks a scheduler thread.
      if (cfg.test_delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(cfg.test_delay_ms));
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
      self->spawn<caf::detached + caf::linked>(node_worker, st.cfg));
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
    [self](messages::node_task& task) {
      auto& st = self->state;
      ++st.served;
      auto worker = st.reviewers[st.next++ % st.reviewers.size()];
      return self->delegate(worker, std::move(task));
    },
  };
}

}  // namespace casm::node
