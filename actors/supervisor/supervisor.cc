#include "actors/supervisor/supervisor.h"

#include <caf/actor_cast.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

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
template <class Reply>
void mark_failed(Reply& r, std::string why) {
  r.ok = false;
  r.error = std::move(why);
}

uint64_t record(self_ptr self, std::string_view kind, std::string source, std::string target,
                std::string type, json payload) {
  auto& st = self->state;
  std::string text = payload.dump();
  if (text.size() > st.cfg.blob_threshold) {
    auto sha = run_store::put_blob(st.cfg.run_dir, text);
    payload = json{{"blob", sha}, {"bytes", text.size()}};
  }
  record_fields f{codec::format_timestamp(codec::wall_clock_ms()), kind, std::move(source),
                  std::move(target), std::move(type), std::move(payload)};
  return st.log->append(f);
}

// A sync point: the log is durable up to here and state.json names its head.
void checkpoint(self_ptr self) {
  auto& st = self->state;
  st.log->sync();
  st.state.head_seq = st.log->last_seq();
  st.state.head_hash = st.log->last_hash();
  st.state.updated_at = codec::format_timestamp(codec::wall_clock_ms());
  if (auto err = run_store::write_state(st.cfg.run_dir, st.state); !err.empty())
    spdlog::error("run {}: {}", st.cfg.run_id, err);
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

void finish(self_ptr self, run_outcome outcome) {
  auto& st = self->state;
  if (st.finished) return;
  st.finished = true;
  st.state.status = outcome.status;
  st.state.exit_code = outcome.exit_code;
  st.state.reason = outcome.reason;
  st.state.failure_kind = outcome.failure_kind;
  checkpoint(self);
  if (st.done) st.done->deliver(std::move(outcome));
  auto stop = [self](const auto& handle) {
    if (handle) self->send_exit(handle, caf::exit_reason::user_shutdown);
  };
  stop(st.agents.ingest);
  stop(st.agents.reporter);
  stop(st.agents.fixer);
  stop(st.agents.validator);
  for (const auto& r : st.agents.reviewers) stop(r);
  self->quit();
}

// Records the request, dispatches it to `agent` within the window, records
// the reply and only then delivers it to the coordinator.
template <class Reply, class Agent, class Request>
caf::typed_response_promise<Reply> forward(self_ptr self, const Agent& agent,
                                           const char* agent_name, Request req) {
  record(self, event_kind::output, "coordinator", agent_name, event_type<Request>::value,
         json(req));
  auto rp = self->template make_response_promise<Reply>();
  auto deliver = [self, rp, agent_name](Reply reply) mutable {
    auto& st = self->state;
    record(self, event_kind::input, agent_name, "coordinator", event_type<Reply>::value,
           json(reply));
    --st.inflight;
    rp.deliver(std::move(reply));
    pump(self);
  };
  self->state.waiting.push([self, agent, req, deliver]() mutable {
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

}  // namespace

protocol::supervisor_actor::behavior_type supervisor(self_ptr self, supervisor_config cfg,
                                                     agent_set agents) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.agents = std::move(agents);
  st.state = st.cfg.initial_state;
  // The log opens now; if it cannot, the run's start is answered with why.
  open_report report;
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
      if (!st.log) {
        self->quit();
        return caf::make_error(caf::sec::runtime_error, st.open_error);
      }
      st.done = self->make_response_promise<run_outcome>();
      record(self, event_kind::meta, "supervisor", "log", "config.pinned", st.cfg.pinned);
      record(self, event_kind::input, "cli", "coordinator", event_type<run_start>::value,
             json(start));
      checkpoint(self);
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
        review_result r;
        r.call_id = req.call_id;
        r.shard = req.shard;
        mark_failed(r, "no reviewer agent is running");
        return r;
      }
      auto agent = reviewers[req.shard % reviewers.size()];
      return forward<review_result>(self, agent, "reviewer", std::move(req));
    },
    [self](fix_request& req) -> caf::result<fix_result> {
      return forward<fix_result>(self, self->state.agents.fixer, "fixer", std::move(req));
    },
    [self](validate_request& req) -> caf::result<validate_result> {
      return forward<validate_result>(self, self->state.agents.validator, "validator",
                                      std::move(req));
    },
    [self](report_request& req) -> caf::result<report_result> {
      return forward<report_result>(self, self->state.agents.reporter, "reporter",
                                    std::move(req));
    },
    [self](stage_event& ev) {
      const bool boundary = ev.status != "started";
      record(self, event_kind::output, "coordinator", "supervisor", event_type<stage_event>::value,
             json(ev));
      if (boundary) checkpoint(self);
    },
    [self](run_outcome& outcome) {
      record(self, event_kind::output, "coordinator", "supervisor", event_type<run_outcome>::value,
             json(outcome));
      finish(self, std::move(outcome));
    },
  };
}

}  // namespace casm::supervisor
