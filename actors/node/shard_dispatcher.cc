#include "actors/node/shard_dispatcher.h"

#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

namespace casm::node {

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;
using messages::fix_request;
using messages::node_fix_reply;
using messages::node_validate_reply;
using messages::review_request;
using messages::review_result;
using messages::validate_request;
using messages::validate_result;

namespace {

void assign(self_ptr self, uint64_t id);

// "shard 3", "fix 12", "validation 14": what a note names.
std::string label(const dispatcher_state::task& t) {
  if (auto* r = std::get_if<review_request>(&t.req)) return "shard " + std::to_string(r->shard);
  if (auto* f = std::get_if<fix_request>(&t.req)) return "fix " + f->call_id;
  return "validation " + std::get<validate_request>(t.req).call_id;
}

const std::string& repo_of(const dispatcher_state::task& t) {
  return std::visit([](const auto& r) -> const std::string& { return r.repo_path; }, t.req);
}

std::string source_of(self_ptr self, const dispatcher_state::task& t) {
  std::string key = repo_of(t);
  while (key.size() > 1 && key.back() == '/') key.pop_back();
  auto src = self->state.sources.find(key);
  return src == self->state.sources.end() ? std::string() : src->second;
}

// Why the worker that answered could not take the task ("" if it did it).
std::string declined_of(const review_result& r) { return r.ok ? "" : r.error; }
std::string declined_of(const node_fix_reply& r) { return r.declined; }
std::string declined_of(const node_validate_reply& r) { return r.declined; }

// A task whose worker could not even reach the repository, as its reply.
review_result failed_reply(const review_request& req, std::string why) {
  review_result r;
  r.call_id = req.call_id;
  r.shard = req.shard;
  r.ok = false;
  r.error = std::move(why);
  return r;
}
node_fix_reply failed_reply(const fix_request& req, std::string why) {
  node_fix_reply r;
  r.result.call_id = req.call_id;
  r.result.ok = false;
  r.result.failure_kind = "patch_apply";
  r.result.error = std::move(why);
  return r;
}
node_validate_reply failed_reply(const validate_request& req, std::string why) {
  node_validate_reply r;
  r.result.call_id = req.call_id;
  r.result.ok = false;
  r.result.status = "failed";
  r.result.failure_kind = "patch_apply";
  r.result.error = std::move(why);
  return r;
}

void complete(self_ptr self, uint64_t id, review_result r);
void complete(self_ptr self, uint64_t id, node_fix_reply r);
void complete(self_ptr self, uint64_t id, node_validate_reply r);

// Takes the task off the books and says where it ran; the caller delivers.
template <class Result>
dispatcher_state::task finish(self_ptr self, uint64_t id, Result& r) {
  auto& st = self->state;
  auto it = st.tasks.find(id);
  auto t = std::move(it->second);
  st.tasks.erase(it);
  if (t.node >= 0) st.nodes[t.node].tasks.erase(id);
  r.node = t.node < 0 ? "origin" : st.nodes[t.node].remote.name;
  r.redispatches = t.notes;
  return t;
}

void complete(self_ptr self, uint64_t id, review_result r) {
  if (!self->state.tasks.count(id)) return;
  auto t = finish(self, id, r);
  t.review_rp.deliver(std::move(r));
}

void complete(self_ptr self, uint64_t id, node_fix_reply r) {
  if (!self->state.tasks.count(id)) return;
  auto t = finish(self, id, r.result);
  if (!r.declined.empty() && r.result.error.empty()) {  // the origin could not either
    auto notes = r.result.redispatches;
    r = failed_reply(std::get<fix_request>(t.req), r.declined);
    r.result.node = "origin";
    r.result.redispatches = std::move(notes);
  }
  t.fix_rp.deliver(std::move(r));
}

void complete(self_ptr self, uint64_t id, node_validate_reply r) {
  if (!self->state.tasks.count(id)) return;
  auto t = finish(self, id, r.result);
  if (!r.declined.empty() && r.result.error.empty()) {  // the origin could not either
    auto notes = r.result.redispatches;
    r = failed_reply(std::get<validate_request>(t.req), r.declined);
    r.result.node = "origin";
    r.result.redispatches = std::move(notes);
  }
  t.validate_rp.deliver(std::move(r.result));
}

// Node `index` is gone: every task it holds goes elsewhere, once.
void node_lost(self_ptr self, size_t index, const std::string& why) {
  auto& st = self->state;
  auto& n = st.nodes[index];
  if (!n.alive) return;
  n.alive = false;
  spdlog::warn("node {} lost: {}; re-dispatching {} task(s)", n.remote.name, why, n.tasks.size());
  auto orphans = std::move(n.tasks);
  n.tasks.clear();
  for (uint64_t id : orphans) {
    auto it = st.tasks.find(id);
    if (it == st.tasks.end()) continue;
    it->second.notes.push_back("node " + n.remote.name + " lost (" + why + ") with " +
                               label(it->second) + " in flight");
    ++st.redispatched;
    assign(self, id);
  }
}

template <class Reply>
struct reply_tag {
  using type = Reply;
};

// Sends task `id` to `worker` (a node's pool, or a worker on the origin)
// as the node message of its kind, and handles the one reply of this
// attempt: a later attempt makes it stale (dropped).
template <class Handle, class OnReply, class OnError>
void send_task(self_ptr self, const Handle& worker, uint64_t id, OnReply on_reply, OnError on_error) {
  auto& t = self->state.tasks.at(id);
  const std::string url = source_of(self, t);
  auto request = [&](auto msg, auto tag) {
    using Reply = typename decltype(tag)::type;
    msg.source_url = url;
    self->request(worker, caf::infinite, std::move(msg))
      .then([=](Reply& r) { on_reply(std::move(r)); }, [=](caf::error& err) { on_error(err); });
  };
  if (auto* r = std::get_if<review_request>(&t.req)) {
    messages::node_task m;
    m.req = *r;
    request(std::move(m), reply_tag<review_result>{});
  } else if (auto* f = std::get_if<fix_request>(&t.req)) {
    messages::node_fix_task m;
    m.req = *f;
    request(std::move(m), reply_tag<node_fix_reply>{});
  } else {
    messages::node_validate_task m;
    m.req = std::get<validate_request>(t.req);
    request(std::move(m), reply_tag<node_validate_reply>{});
  }
}

void run_local(self_ptr self, uint64_t id) {
  auto& st = self->state;
  if (st.local.empty()) {
    auto cfg = st.cfg.local;
    cfg.name = "origin";
    cfg.clone_only = false;
    cfg.test_delay_ms = 0;
    for (uint32_t i = 0; i < std::max<uint32_t>(1, st.cfg.local_workers); ++i)
      st.local.push_back(self->spawn<caf::detached + caf::linked>(node_worker, cfg));
  }
  auto& t = st.tasks.at(id);
  t.node = -1;
  const uint64_t attempt = ++t.attempt;
  auto worker = st.local[st.local_next++ % st.local.size()];
  auto current = [self, id, attempt] {
    auto it = self->state.tasks.find(id);
    return it != self->state.tasks.end() && it->second.attempt == attempt;
  };
  send_task(
    self, worker, id,
    [=](auto r) {
      if (current()) complete(self, id, std::move(r));
    },
    [=](caf::error& err) {
      if (!current()) return;
      const std::string why = "the origin's worker did not answer: " + self->system().render(err);
      std::visit([&](const auto& req) { complete(self, id, failed_reply(req, why)); },
                 self->state.tasks.at(id).req);
    });
}

void assign(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto& t = st.tasks.at(id);
  // The live node with the fewest tasks in flight, round-robin among equals.
  int best = -1;
  for (size_t k = 0; k < st.nodes.size(); ++k) {
    size_t i = (st.rr + k) % st.nodes.size();
    if (!st.nodes[i].alive) continue;
    if (best < 0 || st.nodes[i].tasks.size() < st.nodes[best].tasks.size()) best = static_cast<int>(i);
  }
  ++st.rr;
  // A re-dispatch says where the task went, in the note of the loss.
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
  auto current = [self, id, attempt] {
    auto it = self->state.tasks.find(id);
    return it != self->state.tasks.end() && it->second.attempt == attempt;
  };
  send_task(
    self, st.nodes[best].remote.pool, id,
    [=](auto r) {
      if (!current()) return;  // late: already redone elsewhere
      if (auto why = declined_of(r); !why.empty()) {
        // The node could not reach the repository (e.g. it is not at that
        // path there, and has no URL): the origin can.
        auto& tk = self->state.tasks.at(id);
        self->state.nodes[node].tasks.erase(id);
        const bool shard = std::holds_alternative<review_request>(tk.req);
        tk.notes.push_back("node " + self->state.nodes[node].remote.name +
                           (shard ? " could not scan " : " could not take ") + label(tk) + " (" +
                           why + "); re-dispatched to the origin");
        ++self->state.redispatched;
        run_local(self, id);
        return;
      }
      complete(self, id, std::move(r));
    },
    [=](caf::error& err) {
      if (!current()) return;
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

// A new task: booked, then sent to a node (or run on the origin).
template <class Request>
uint64_t admit(self_ptr self, Request req) {
  auto& st = self->state;
  const uint64_t id = st.next_task++;
  dispatcher_state::task t;
  t.req = std::move(req);
  st.tasks.emplace(id, std::move(t));
  return id;
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
    [self](review_request& req) -> caf::result<review_result> {
      const uint64_t id = admit(self, std::move(req));
      auto rp = self->make_response_promise<review_result>();
      self->state.tasks.at(id).review_rp = rp;
      assign(self, id);
      return rp;
    },
    [self](fix_request& req) -> caf::result<node_fix_reply> {
      const uint64_t id = admit(self, std::move(req));
      auto rp = self->make_response_promise<node_fix_reply>();
      self->state.tasks.at(id).fix_rp = rp;
      assign(self, id);
      return rp;
    },
    [self](validate_request& req) -> caf::result<validate_result> {
      const uint64_t id = admit(self, std::move(req));
      auto rp = self->make_response_promise<validate_result>();
      self->state.tasks.at(id).validate_rp = rp;
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
