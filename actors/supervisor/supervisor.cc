#include "actors/supervisor/supervisor.h"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "actors/workflow/coordinator.h"
#include "messages/codec/timestamp.h"
#include "messages/data/vocabulary.h"

namespace casm::supervisor {

using nlohmann::json;
using namespace casm::messages;
using self_ptr = protocol::supervisor_actor::stateful_pointer<supervisor_state>;

namespace {

// A failed reply stands in for an agent that could not answer (it crashed or
// timed out). It is recorded like any reply, so replay sees the same thing.
void mark_failed(ingest_result& r, std::string why) {
  r.ok = false;
  r.error_kind = "io";
  r.error = std::move(why);
}
void mark_failed(model_reply& r, std::string why) {
  r.ok = false;
  r.error_kind = model_error::network_error;
  r.error = std::move(why);
}
template <class Reply>
void mark_failed(Reply& r, std::string why) {
  r.ok = false;
  r.error = std::move(why);
}

// A payload to record: a JSON value, or the canonical text of a message
// written straight from its struct (messages::to_json_text), which spares
// the large ones (an audit's findings, a repository's file list) a DOM.
struct payload_in {
  payload_in(json v) : value(std::move(v)), parsed(true) {}  // NOLINT: implicit on purpose
  template <class Message>
  static payload_in of(const Message& m) {
    payload_in p(nullptr);
    p.parsed = false;
    p.text = messages::to_json_text(m);
    return p;
  }
  json value;
  std::string text;
  bool parsed;
};

uint64_t append(self_ptr self, std::string_view kind, std::string source, std::string target,
                std::string type, payload_in payload);

// Appends a record; in a resume, the first live record is preceded by
// run.resumed, which says from where.
uint64_t record(self_ptr self, std::string_view kind, std::string source, std::string target,
                std::string type, payload_in payload) {
  auto& st = self->state;
  if (st.cfg.resuming && !st.resume_marked) {
    st.resume_marked = true;
    append(self, event_kind::meta, "supervisor", "log", "run.resumed",
           json{{"matched_records", st.feed_next}, {"log_records_before", st.log->last_seq()}});
  }
  return append(self, kind, std::move(source), std::move(target), std::move(type),
                std::move(payload));
}

// An output of the coordinator: matched against the feed while resuming
// (true: it is already in the log), else appended.
bool replayed_output(self_ptr self, const std::string& type, const json& payload) {
  auto& st = self->state;
  while (st.feeding && st.feed_next < st.cfg.feed.size() &&
         st.cfg.feed[st.feed_next].value("kind", "") != event_kind::output)
    ++st.feed_next;
  if (!st.feeding || st.feed_next >= st.cfg.feed.size()) {
    st.feeding = false;
    return false;
  }
  const auto& rec = st.cfg.feed[st.feed_next];
  if (rec.value("type", "") != type || rec["payload"] != payload) {
    if (st.divergence.empty())
      st.divergence = "seq " + std::to_string(rec.value("seq", uint64_t{0})) + ": the log has " +
                      rec.value("type", "") + " " + rec["payload"].dump() + ", the coordinator now emits " +
                      type + " " + payload.dump();
    return true;  // nothing is appended after a divergence
  }
  ++st.feed_next;
  return true;
}

uint64_t append(self_ptr self, std::string_view kind, std::string source, std::string target,
                std::string type, payload_in in) {
  auto& st = self->state;
  if (!st.cfg.record) return ++st.unrecorded;
  // Canonical text either way: dump(), or to_json_text(), which is
  // byte-identical to it (json_write_test); recorded as is.
  std::string text = in.parsed ? in.value.dump() : std::move(in.text);
  if (text.size() > st.cfg.blob_threshold) {
    auto sha = run_store::put_blob(st.cfg.run_dir, text);
    text = "{\"blob\":\"" + sha + "\",\"bytes\":" + std::to_string(text.size()) + "}";
  }
  const bool kill_point = !st.cfg.kill_after.empty() && st.cfg.kill_after.rfind(type, 0) == 0 &&
                         (st.cfg.kill_after.size() == type.size() ||
                          st.cfg.kill_after[type.size()] == ':');
  record_fields f{codec::format_timestamp(codec::wall_clock_ms()), kind, std::move(source),
                  std::move(target), std::move(type), nullptr, std::move(text)};
  const uint64_t seq = st.log->append(f);
  if (kill_point && --st.kill_countdown <= 0) ::raise(SIGKILL);
  return seq;
}

// A durable point: the log is durable up to here and state.json names its
// head. Taken before every external side effect is dispatched and after its
// result is recorded (external_effect below), when a security alert is
// recorded, when an approval is consumed, and when the run ends or pauses.
// Not at stage boundaries: what runs between two durable points is
// pure computation over the pinned commit, and a crash there costs only its
// recomputation on resume, never a repeated effect (docs/architecture.md,
// "Durable points").
void checkpoint(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.record) {
    if (!st.finished) return;
    st.state.reason += st.state.reason.empty() ? "" : "; ";
    st.state.reason += "not recorded ($CASM_BENCH_NO_RECORD): no log, nothing to explain or replay";
    run_store::write_state(st.cfg.run_dir, st.state);
    return;
  }
  st.state.head_seq = st.log->last_seq();
  st.state.head_hash = st.log->last_hash();
  st.state.updated_at = codec::format_timestamp(codec::wall_clock_ms());
  // One group-committed flush makes the log, its blobs and the artifacts
  // written so far durable, then state.json names the new head.
  if (auto err = run_store::commit_state(st.cfg.run_dir, st.state); !err.empty())
    spdlog::error("run {}: {}", st.cfg.run_id, err);
  else
    st.log->mark_durable();
}

void pump(self_ptr self) {
  auto& st = self->state;
  while (st.inflight < st.cfg.max_inflight && !st.waiting.empty()) {
    auto job = std::move(st.waiting.front());
    st.waiting.pop();
    ++st.inflight;
    job();
  }
}

void stop_agents(self_ptr self);

void finish(self_ptr self, run_outcome outcome) {
  auto& st = self->state;
  if (st.finished) return;
  st.finished = true;
  st.state.status = outcome.status;
  st.state.exit_code = outcome.exit_code;
  st.state.reason = outcome.reason;
  st.state.failure_kind = outcome.failure_kind;
  // The run's work is over: its agents go, and a fleet may start the next
  // run while this one's final flush (one group commit) runs.
  stop_agents(self);
  if (st.cfg.settling_to) caf::anon_send(st.cfg.settling_to, protocol::run_settling_atom::value, st.cfg.run_id);
  checkpoint(self);
  if (st.done) st.done->deliver(std::move(outcome));
  self->quit();
}

// A resume whose coordinator no longer emits what the log holds: nothing is
// written; the run stays as it was and the caller exits 6.
void abandon_resume(self_ptr self) {
  auto& st = self->state;
  if (st.finished) return;
  st.finished = true;
  if (st.done)
    st.done->deliver(caf::make_error(caf::sec::runtime_error,
                                     "resume diverged from the log at " + st.divergence));
  stop_agents(self);
  self->quit();
}

// The agent, spawned by its factory if this is the run's first request for
// it (in a resume too, even when the log answers that request: the agent
// then idles until the run stops it).
template <class Handle>
const Handle& first_use(Handle& handle, std::function<Handle()>& make) {
  if (!handle && make) handle = std::exchange(make, nullptr)();
  return handle;
}

void stop_agents(self_ptr self) {
  auto& st = self->state;
  auto stop = [self](const auto& handle) {
    if (handle) self->send_exit(handle, caf::exit_reason::user_shutdown);
  };
  stop(st.agents.ingest);
  stop(st.agents.reporter);
  stop(st.agents.fixer);
  if (!st.agents.shared_validator) stop(st.agents.validator);
  stop(st.agents.gate);
  if (!st.agents.shared_reviewers)
    for (const auto& r : st.agents.reviewers) stop(r);
  stop(st.agents.router);
  for (const auto& c : st.agents.connectors) stop(c);
  if (st.coordinator) self->send_exit(st.coordinator, caf::exit_reason::user_shutdown);
}

// Delivers held recorded replies while the next one in log order is held.
void flush_recorded(self_ptr self) {
  auto& st = self->state;
  while (st.next_recorded < st.recorded_order.size()) {
    auto it = st.held_replies.find(st.recorded_order[st.next_recorded]);
    if (it == st.held_replies.end()) return;
    auto deliver = std::move(it->second);
    st.held_replies.erase(it);
    ++st.next_recorded;
    deliver();
  }
}

// Requests whose agent acts outside casm: a model call (a provider bills it),
// a validation (it runs the template's commands), and a fix that writes a
// branch into the user's repository. The request is durable before the agent
// gets it and the reply as soon as it is recorded, so a crash never leaves an
// effect the log forgot, and resume never repeats one it recorded.
template <class Request>
bool external_effect(const Request& req) {
  if constexpr (std::is_same_v<Request, model_call> || std::is_same_v<Request, validate_request>)
    return true;
  else if constexpr (std::is_same_v<Request, fix_request>)
    return req.write_branch;
  else
    return (void)req, false;
}

// Records the request, dispatches it to `agent` within the window, records
// the reply and only then delivers it to the coordinator.
template <class Reply, class Agent, class Request>
caf::typed_response_promise<Reply> forward(self_ptr self, const Agent& agent,
                                           const char* agent_name, Request req) {
  auto rp = self->template make_response_promise<Reply>();
  // Only a resume compares with the log; a live run records the text.
  if (self->state.feeding && replayed_output(self, event_type<Request>::value, json(req))) {
    auto& st = self->state;
    if (!st.divergence.empty()) {
      abandon_resume(self);
      return rp;
    }
    // Answered in the log: deliver that answer; no agent runs again.
    if (auto it = st.recorded_replies.find(req.call_id); it != st.recorded_replies.end()) {
      auto reply = it->second.template get<Reply>();
      st.held_replies[req.call_id] = [rp, reply]() mutable { rp.deliver(std::move(reply)); };
      flush_recorded(self);
      return rp;
    }
    // Asked but never answered (the process died mid-call): ask again live,
    // except a model call: its reservation died with that process, and no
    // call starts without a live hold. It is answered as failed (recorded),
    // and the coordinator falls back and routes again, reserving anew.
    if constexpr (std::is_same_v<Reply, model_reply>) {
      model_reply failed;
      failed.call_id = req.call_id;
      failed.endpoint = req.endpoint;
      failed.model = req.request.model;
      mark_failed(failed, "interrupted by a crash; not sent again: its reservation ended with "
                          "the process that made it");
      record(self, event_kind::input, agent_name, "coordinator", event_type<Reply>::value,
             json(failed));
      checkpoint(self);
      rp.deliver(std::move(failed));
      return rp;
    }
  } else {
    record(self, event_kind::output, "coordinator", agent_name, event_type<Request>::value,
           payload_in::of(req));
  }
  const bool external = external_effect(req);
  auto deliver = [self, rp, agent_name, external](Reply reply) mutable {
    auto& st = self->state;
    if constexpr (std::is_same_v<Reply, review_result> || std::is_same_v<Reply, fix_result> ||
                  std::is_same_v<Reply, validate_result>) {
      // A task whose node was lost mid-way (a shard, a fix, a validation):
      // the re-dispatch is part of the run's record, before the reply it
      // led to.
      json p{{"call_id", reply.call_id}};
      std::vector<std::string> notes;
      if constexpr (std::is_same_v<Reply, review_result>) {
        notes = reply.redispatches;
        p["node"] = reply.node;
        p["shard"] = reply.shard;
      } else {
        notes = reply.redispatches.value_or(std::vector<std::string>{});
        p["node"] = reply.node.value_or("");
        p["task"] = std::is_same_v<Reply, fix_result> ? "fix" : "validate";
      }
      if (!notes.empty()) {
        p["redispatches"] = notes;
        record(self, event_kind::meta, "supervisor", "log", "task.redispatched", p);
      }
    }
    record(self, event_kind::input, agent_name, "coordinator", event_type<Reply>::value,
           payload_in::of(reply));
    if (external) checkpoint(self);
    --st.inflight;
    rp.deliver(std::move(reply));
    pump(self);
  };
  self->state.waiting.push([self, agent, req, deliver, agent_name, external]() mutable {
    if (external) checkpoint(self);
    if (!self->state.cfg.effect_log.empty()) {
      std::ofstream(self->state.cfg.effect_log, std::ios::app)
        << agent_name << " " << event_type<Request>::value << "\n";
    }
    self->request(agent, caf::infinite, req)
      .then([deliver](Reply& reply) mutable { deliver(std::move(reply)); },
            [deliver, req, self](caf::error& err) mutable {
              Reply failed;
              failed.call_id = req.call_id;
              if constexpr (std::is_same_v<Reply, review_result>) failed.shard = req.shard;
              mark_failed(failed, "the agent did not answer: " + self->system().render(err));
              deliver(std::move(failed));
            });
  });
  pump(self);
  return rp;
}

// Records (or, resuming, matches) a notification from the coordinator.
// Returns true if it was appended.
bool note(self_ptr self, const char* type, const json& payload) {
  if (replayed_output(self, type, payload)) {
    if (!self->state.divergence.empty()) abandon_resume(self);
    return false;
  }
  record(self, event_kind::output, "coordinator", "supervisor", type, payload);
  return true;
}

// Resuming past a pause: deliver the human's recorded decision for
// `request_id` (approve/deny appended it after the pause), and mark it
// consumed: single-use.
void deliver_recorded_decision(self_ptr self, const std::string& request_id) {
  auto& st = self->state;
  for (size_t i = st.feed_next; i < st.cfg.feed.size(); ++i) {
    const auto& rec = st.cfg.feed[i];
    const std::string type = rec.value("type", "");
    if (rec.value("kind", "") != event_kind::input ||
        (type != "approval.granted" && type != "approval.denied"))
      continue;
    auto decision = rec["payload"].get<approval_decision>();
    if (decision.request_id != request_id) continue;
    if (!st.consumed_approvals.count(decision.approval_id)) {
      st.consumed_approvals.insert(decision.approval_id);
      record(self, event_kind::meta, "supervisor", "log", "approval.consumed",
             json{{"approval_id", decision.approval_id}, {"request_id", request_id},
                  {"decision", decision.decision}});
      checkpoint(self);
    }
    self->send(st.coordinator, std::move(decision));
    return;
  }
  // No decision: the caller should not have resumed; stop where the log is.
  run_outcome o;
  o.status = "pending_hitl";
  o.exit_code = exit_code::gated;
  o.reason = "the run is still waiting for a decision on request " + request_id;
  finish(self, std::move(o));
}

}  // namespace

protocol::supervisor_actor::behavior_type supervisor(self_ptr self, supervisor_config cfg,
                                                     agent_set agents) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.agents = std::move(agents);
  st.state = st.cfg.initial_state;
  if (auto colon = st.cfg.kill_after.find(':'); colon != std::string::npos)
    st.kill_countdown = std::atoi(st.cfg.kill_after.c_str() + colon + 1);
  else
    st.kill_countdown = 1;
  // The log opens now; if it cannot, the run's start is answered with why.
  open_report report;
  if (st.cfg.record)
    st.log = run_log_writer::open(run_store::log_file(st.cfg.run_dir), st.cfg.run_id, &report,
                                  &st.open_error);
  // A coordinator that dies without its outcome (a bug, an exception) still
  // ends the run with a record, a state and an exit code.
  self->set_down_handler([self](caf::down_msg& msg) {
    if (self->state.finished) return;
    run_outcome o;
    o.status = std::string(to_string(run_status::failed));
    o.exit_code = exit_code::runtime_failure;
    o.failure_kind = "internal";
    o.reason = "the coordinator stopped unexpectedly: " + self->system().render(msg.reason);
    record(self, event_kind::meta, "supervisor", "log", "run.aborted", json(o));
    finish(self, std::move(o));
  });
  return {
    [self](run_start& start) -> caf::result<run_outcome> {
      auto& st = self->state;
      if (st.done) return caf::make_error(caf::sec::runtime_error, "the run already started");
      if (!st.log && st.cfg.record) {
        self->quit();
        return caf::make_error(caf::sec::runtime_error, st.open_error);
      }
      st.done = self->make_response_promise<run_outcome>();
      if (!st.cfg.resuming) {
        record(self, event_kind::meta, "supervisor", "log", "config.pinned", st.cfg.pinned);
        record(self, event_kind::input, "cli", "coordinator", event_type<run_start>::value,
               json(start));
      } else {
        st.feeding = true;
        for (const auto& rec : st.cfg.feed) {
          const auto& p = rec["payload"];
          if (rec.value("kind", "") == event_kind::input && p.is_object() && p.contains("call_id")) {
            st.recorded_replies[p.value("call_id", "")] = p;
            st.recorded_order.push_back(p.value("call_id", ""));
          }
          if (rec.value("type", "") == "approval.consumed" && p.is_object())
            st.consumed_approvals.insert(p.value("approval_id", ""));
        }
      }
      st.coordinator = self->spawn(workflow::coordinator,
                                   caf::actor_cast<protocol::supervisor_actor>(self));
      self->monitor(st.coordinator);
      self->send(st.coordinator, std::move(start));
      return *st.done;
    },
    [self](ingest_request& req) -> caf::result<ingest_result> {
      return forward<ingest_result>(self, self->state.agents.ingest, "ingest", std::move(req));
    },
    [self](review_request& req) -> caf::result<review_result> {
      auto& reviewers = self->state.agents.reviewers;
      if (reviewers.empty()) {
        // Recorded like any reply, so the log still holds every input.
        review_result r;
        r.call_id = req.call_id;
        r.shard = req.shard;
        mark_failed(r, "no reviewer agent is running");
        record(self, event_kind::output, "coordinator", "reviewer", event_type<review_request>::value,
               json(req));
        record(self, event_kind::input, "reviewer", "coordinator", event_type<review_result>::value,
               json(r));
        return r;
      }
      auto agent = reviewers[req.shard % reviewers.size()];
      return forward<review_result>(self, agent, "reviewer", std::move(req));
    },
    [self](fix_request& req) -> caf::result<fix_result> {
      auto& a = self->state.agents;
      return forward<fix_result>(self, first_use(a.fixer, a.make_fixer), "fixer", std::move(req));
    },
    [self](validate_request& req) -> caf::result<validate_result> {
      auto& a = self->state.agents;
      return forward<validate_result>(self, first_use(a.validator, a.make_validator), "validator",
                                      std::move(req));
    },
    [self](gate_request& req) -> caf::result<gate_result> {
      auto& a = self->state.agents;
      return forward<gate_result>(self, first_use(a.gate, a.make_gate), "gate", std::move(req));
    },
    [self](route_request& req) -> caf::result<route_result> {
      auto& st = self->state;
      if (!st.agents.router) {
        route_result r;
        r.call_id = req.call_id;
        r.error = "no router is running";
        record(self, event_kind::output, "coordinator", "router", event_type<route_request>::value, json(req));
        record(self, event_kind::input, "router", "coordinator", event_type<route_result>::value, json(r));
        return r;
      }
      return forward<route_result>(self, st.agents.router, "router", std::move(req));
    },
    [self](settle_request& req) -> caf::result<settle_result> {
      auto& st = self->state;
      if (!st.agents.router) {
        settle_result r;
        r.call_id = req.call_id;
        r.error = "no router is running";
        record(self, event_kind::output, "coordinator", "router", event_type<settle_request>::value, json(req));
        record(self, event_kind::input, "router", "coordinator", event_type<settle_result>::value, json(r));
        return r;
      }
      return forward<settle_result>(self, st.agents.router, "router", std::move(req));
    },
    [self](model_call& req) -> caf::result<model_reply> {
      auto& st = self->state;
      if (st.agents.connectors.empty()) {
        model_reply r;
        r.call_id = req.call_id;
        r.endpoint = req.endpoint;
        mark_failed(r, "no model connector is running");
        record(self, event_kind::output, "coordinator", "connector", event_type<model_call>::value, json(req));
        record(self, event_kind::input, "connector", "coordinator", event_type<model_reply>::value, json(r));
        return r;
      }
      auto agent = st.agents.connectors[st.next_connector++ % st.agents.connectors.size()];
      return forward<model_reply>(self, agent, "connector", std::move(req));
    },
    [self](fallback_note& n) { note(self, event_type<fallback_note>::value, json(n)); },
    [self](output_check& c) { note(self, event_type<output_check>::value, json(c)); },
    [self](security_alert& alert) {
      if (note(self, event_type<security_alert>::value, json(alert))) checkpoint(self);
    },
    [self](report_request& req) -> caf::result<report_result> {
      return forward<report_result>(self, self->state.agents.reporter, "reporter",
                                    std::move(req));
    },
    [self](stage_event& ev) { note(self, event_type<stage_event>::value, json(ev)); },
    [self](hitl_request& req) { note(self, event_type<hitl_request>::value, json(req)); },
    [self](run_pause& pause) {
      auto& st = self->state;
      const bool appended = note(self, event_type<run_pause>::value, json(pause));
      if (st.finished) return;
      if (appended) {
        // A live pause: the run waits for a human; this process ends.
        run_outcome o;
        o.status = pause.status;
        o.exit_code = pause.exit_code;
        o.reason = pause.reason;
        finish(self, std::move(o));
        return;
      }
      deliver_recorded_decision(self, pause.request_id);
    },
    [self](run_outcome& outcome) {
      note(self, event_type<run_outcome>::value, json(outcome));
      if (self->state.finished) return;
      finish(self, std::move(outcome));
    },
  };
}

}  // namespace casm::supervisor
