#include "actors/node/shard_dispatcher.h"

#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/agents/reviewer.h"

namespace casm::node {

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;
using messages::review_result;

namespace {

void assign(self_ptr self, uint64_t id);

void complete(self_ptr self, uint64_t id, review_result r) {
  auto& st = self->state;
  auto it = st.tasks.find(id);
  if (it == st.tasks.end()) return;
  auto& t = it->second;
  if (t.node >= 0) st.nodes[t.node].tasks.erase(id);
  r.node = t.node < 0 ? "origin" : st.nodes[t.node].remote.name;
  r.redispatches = t.notes;
  t.rp.deliver(std::move(r));
  st.tasks.erase(it);
}

// Node `index` is gone: every shard it holds goes elsewhere, once.
void node_lost(self_ptr self, size_t index, const std::string& why) {
  auto& st = self->state;
  auto& n = st.nodes[index];
  if (!n.alive) return;
  n.alive = false;
  spdlog::warn("node {} lost: {}; re-dispatching {} shard(s)", n.remote.name, why, n.tasks.size());
  auto orphans = std::move(n.tasks);
  n.tasks.clear();
  for (uint64_t id : orphans) {
    auto it = st.tasks.find(id);
    if (it == st.tasks.end()) continue;
    it->second.notes.push_back("node " + n.remote.name + " lost (" + why + ") with shard " +
                               std::to_string(it->second.req.shard) + " in flight");
    ++st.redispatched;
    assign(self, id);
  }
}

void run_local(self_ptr self, uint64_t id) {
  auto& st = self->state;
  if (st.local.empty())
    for (uint32_t i = 0; i < std::max<uint32_t>(1, st.cfg.local_workers); ++i)
      st.local.push_back(self->spawn<caf::detached + caf::linked>(agents::reviewer_agent));
  auto& t = st.tasks.at(id);
  t.node = -1;
  const uint64_t attempt = ++t.attempt;
  auto worker = st.local[st.local_next++ % st.local.size()];
  self->request(worker, caf::infinite, t.req)
    .then(
      [=](review_result& r) {
        auto it = self->state.tasks.find(id);
        if (it != self->state.tasks.end() && it->second.attempt == attempt) complete(self, id, std::move(r));
      },
      [=](caf::error& err) {
        auto it = self->state.tasks.find(id);
        if (it == self->state.tasks.end() || it->second.attempt != attempt) return;
        review_result r;
        r.call_id = it->second.req.call_id;
        r.shard = it->second.req.shard;
        r.ok = false;
        r.error = "the local reviewer did not answer: " + self->system().render(err);
        complete(self, id, std::move(r));
      });
}

void assign(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto& t = st.tasks.at(id);
  // The live node with the fewest shards in flight, round-robin among equals.
  int best = -1;
  for (size_t k = 0; k < st.nodes.size(); ++k) {
    size_t i = (st.rr + k) % st.nodes.size();
    if (!st.nodes[i].alive) continue;
    if (best < 0 || st.nodes[i].tasks.size() < st.nodes[best].tasks.size()) best = static_cast<int>(i);
  }
  ++st.rr;
  // A re-dispatch says where the shard went, in the note of the loss.
  const bool noted = !t.notes.empty() && t.notes.back().find("re-dispatched to") == std::string::npos;
  if (best < 0) {
    if (noted) t.notes.back() += "; re-dispatched to the origin (no node left)";
    run_local(self, id);
    return;
  }
  if (noted) t.notes.back() += "; re-dispatched to node " + st.nodes[best].remote.name;
  t.node = best;
  const uint64_t attempt = ++t.attempt;
  st.nodes[best].tasks.insert(id);
  const size_t node = static_cast<size_t>(best);
  messages::node_task task;
  task.req = t.req;
  std::string key = t.req.repo_path;
  while (key.size() > 1 && key.back() == '/') key.pop_back();
  if (auto src = st.sources.find(key); src != st.sources.end()) task.source_url = src->second;
  self->request(st.nodes[best].remote.pool, caf::infinite, std::move(task))
    .then(
      [=](review_result& r) {
        auto it = self->state.tasks.find(id);
        if (it == self->state.tasks.end() || it->second.attempt != attempt) return;  // late: already redone
        if (!r.ok) {
          // The node could not scan it (e.g. the repository is not at that
          // path there): the origin can.
          auto& tk = it->second;
          self->state.nodes[node].tasks.erase(id);
          tk.notes.push_back("node " + self->state.nodes[node].remote.name +
                             " could not scan shard " + std::to_string(tk.req.shard) + " (" +
                             r.error + "); re-dispatched to the origin");
          ++self->state.redispatched;
          run_local(self, id);
          return;
        }
        complete(self, id, std::move(r));
      },
      [=](caf::error& err) {
        auto it = self->state.tasks.find(id);
        if (it == self->state.tasks.end() || it->second.attempt != attempt) return;
        node_lost(self, node, "its reply failed: " + self->system().render(err));
      });
}

void heartbeat(self_ptr self) {
  auto& st = self->state;
  for (size_t i = 0; i < st.nodes.size(); ++i) {
    auto& n = st.nodes[i];
    if (!n.alive) continue;
    if (++n.missed > st.cfg.max_missed) {
      node_lost(self, i,
                "no heartbeat for " +
                  std::to_string(st.cfg.max_missed * st.cfg.heartbeat.count() / 1000.0).substr(0, 3) + " s");
      continue;
    }
    self->request(n.remote.pool, st.cfg.heartbeat * 2, protocol::node_ping_atom::value)
      .then([=](protocol::node_ping_atom) { self->state.nodes[i].missed = 0; },
            [](caf::error&) { /* counted by the next tick */ });
  }
  self->delayed_send(self, st.cfg.heartbeat, dispatch_tick_atom::value);
}

}  // namespace

dispatcher_actor::behavior_type shard_dispatcher(self_ptr self, dispatcher_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  for (auto& r : st.cfg.nodes) {
    dispatcher_state::node_slot slot;
    slot.remote = r;
    self->monitor(r.pool);
    st.nodes.push_back(std::move(slot));
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    for (size_t i = 0; i < st.nodes.size(); ++i)
      if (st.nodes[i].remote.pool.address() == dm.source)
        node_lost(self, i, "its connection closed: " + self->system().render(dm.reason));
  });
  self->delayed_send(self, st.cfg.heartbeat, dispatch_tick_atom::value);
  return {
    [self](messages::review_request& req) -> caf::result<review_result> {
      auto& st = self->state;
      const uint64_t id = st.next_task++;
      dispatcher_state::task t;
      t.req = std::move(req);
      t.rp = self->make_response_promise<review_result>();
      auto rp = t.rp;
      st.tasks.emplace(id, std::move(t));
      assign(self, id);
      return rp;
    },
    [self](dispatch_tick_atom) { heartbeat(self); },
    [self](messages::node_source& src) {
      std::string key = src.repo_path;
      while (key.size() > 1 && key.back() == '/') key.pop_back();
      self->state.sources[key] = src.url;
    },
  };
}

}  // namespace casm::node
