#include "actors/node/node_pool.h"

#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/agents/fixer.h"
#include "actors/agents/reviewer.h"
#include "actors/agents/validator.h"
#include "actors/node/clone_cache.h"
#include "actors/supervisor/run_store.h"

namespace casm::node {

namespace {

// Where this worker reads the repository: the origin's path when it exists
// here and this node may open it (not --clone-only), else a clone of `url`
// from the clone cache holding every object in `oids`. "" with `declined`
// set when neither works; `where` says which for the log line.
std::string place_repo(const node_pool_config& cfg, const std::string& path, const std::string& url,
                       const std::vector<std::string>& oids, std::string& where,
                       std::string& declined) {
  std::error_code e;
  if (!cfg.clone_only && std::filesystem::exists(path, e)) {
    where = "path";
    return path;
  }
  if (url.empty()) {
    declined = cfg.clone_only ? "this node opens no origin path (--clone-only) and the "
                                "repository has no URL to fetch it from"
                              : "repository '" + path + "' is not on this node "
                                "and has no URL to fetch it from";
    return "";
  }
  bool fetched = false;
  auto clone = ensure_clone(cfg.clone_cache, url, oids, declined, &fetched);
  if (!clone.empty()) where = fetched ? "fetched " + url : "cached " + url;
  return clone;
}

// A test seam (holds a task in flight). node_worker is a detached actor on
// its own thread, so this never blocks a scheduler thread.
void test_delay(const node_pool_config& cfg) {
  if (cfg.test_delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(cfg.test_delay_ms));
}

// Places the task's repository on this node (by path or through the clone
// cache), points `repo_path` at it, logs the task and holds it for the test
// seam. False, with `declined` set, when this node cannot reach it.
bool take_repo(const node_pool_config& cfg, std::string& repo_path, const std::string& source_url,
               const std::vector<std::string>& oids, const char* kind, const std::string& call_id,
               const std::string& size, std::string& declined) {
  std::string where;
  auto repo = place_repo(cfg, repo_path, source_url, oids, where, declined);
  if (repo.empty()) return false;
  repo_path = repo;
  spdlog::info("node {}: {} {} of {} ({}, {})", cfg.name, kind, call_id, repo_path, size, where);
  test_delay(cfg);
  return true;
}

std::vector<std::string> fix_oids(const std::string& head, const std::vector<messages::fix_file>& files) {
  std::vector<std::string> oids{head};
  for (const auto& f : files) oids.push_back(f.oid);
  return oids;
}

}  // namespace

// A node's worker: the same scan, patch and validation as an origin's
// agents. A log line per task (--log-level info) and, for tests only, a
// delay before it answers (so a test can kill the node with a task surely
// in flight).
protocol::node_worker_actor::behavior_type node_worker(protocol::node_worker_actor::pointer,
                                                       node_pool_config cfg) {
  return {
    [=](messages::node_task& task) {
      auto& req = task.req;
      std::vector<std::string> oids;
      for (const auto& f : req.files) oids.push_back(f.oid);
      std::string declined;
      if (!take_repo(cfg, req.repo_path, task.source_url, oids, "shard", req.call_id,
                     std::to_string(req.files.size()) + " files", declined)) {
        messages::review_result r;
        r.call_id = req.call_id;
        r.shard = req.shard;
        r.error = declined;
        return r;
      }
      return agents::review_shard(req);
    },
    [=](messages::node_fix_task& task) {
      auto& req = task.req;
      messages::node_fix_reply reply;
      if (!take_repo(cfg, req.repo_path, task.source_url, fix_oids(req.head_commit, req.files), "fix",
                     req.call_id, std::to_string(req.files.size()) + " files", reply.declined))
        return reply;
      req.write_branch = false;  // never written on a node (the origin keeps those)
      // The fixer writes patch.diff into a scratch dir of this node's; its
      // text goes back to the origin, which keeps it in the run's artifacts.
      std::string tmpl = (std::filesystem::temp_directory_path() / "casm-fix-XXXXXX").string();
      if (!::mkdtemp(tmpl.data())) {
        reply.declined = "cannot make a scratch dir for the patch: " + std::string(std::strerror(errno));
        return reply;
      }
      const std::filesystem::path scratch(tmpl);
      reply.result = agents::apply_fixes(req, scratch);
      if (reply.result.ok) {
        auto text = supervisor::read_file(scratch / "patch.diff");
        if (text) {
          reply.patch = std::move(*text);
        } else {
          reply.result.ok = false;
          reply.result.failure_kind = "patch_apply";
          reply.result.error = "cannot read back the patch this node wrote";
        }
      }
      std::error_code rm;
      std::filesystem::remove_all(scratch, rm);
      return reply;
    },
    [=](messages::node_validate_task& task) {
      auto& req = task.req;
      messages::node_validate_reply reply;
      if (!take_repo(cfg, req.repo_path, task.source_url, fix_oids(req.head_commit, req.files),
                     "validation", req.call_id, std::to_string(req.commands.size()) + " command(s)",
                     reply.declined))
        return reply;
      std::vector<std::filesystem::path> hidden;
      if (!cfg.casm_home.empty()) hidden.push_back(cfg.casm_home);
      if (!cfg.clone_cache.empty()) hidden.push_back(cfg.clone_cache);
      reply.result = agents::run_validation(req, hidden);
      return reply;
    },
  };
}

namespace {

// Any task to the next worker, round robin; its reply goes straight back.
template <class Task>
auto hand_off(protocol::node_pool_actor::stateful_pointer<node_pool_state> self, Task&& task) {
  auto& st = self->state;
  ++st.served;
  auto worker = st.reviewers[st.next++ % st.reviewers.size()];
  return self->delegate(worker, std::forward<Task>(task));
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
    [self](messages::node_task& task) { return hand_off(self, std::move(task)); },
    [self](messages::node_fix_task& task) { return hand_off(self, std::move(task)); },
    [self](messages::node_validate_task& task) { return hand_off(self, std::move(task)); },
  };
}

}  // namespace casm::node
