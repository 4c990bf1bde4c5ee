#include "actors/fleet/fleet_scheduler.h"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace casm::fleet {

using self_ptr = protocol::fleet_actor::stateful_pointer<fleet_state>;

namespace {

void progress(self_ptr self, const char* event, size_t index, const std::string& run_id,
              const std::string& status, int exit_code) {
  auto& st = self->state;
  messages::fleet_progress p;
  p.event = event;
  p.index = index;
  p.run_id = run_id;
  p.status = status;
  p.exit_code = exit_code;
  p.done = st.cfg.done_before + st.done;
  p.running = st.working.size() + st.settling.size();  // not finished yet
  p.findings = st.cfg.findings_before + st.findings;
  p.cost_usd = st.cfg.cost_before + st.cost_usd;
  caf::anon_send(st.cfg.listener, std::move(p));
}

void maybe_finish(self_ptr self) {
  auto& st = self->state;
  if (st.finished || !st.working.empty() || !st.settling.empty()) return;
  if (!st.stopped && !st.budget_stopped && !st.cfg.todo.empty()) return;
  st.finished = true;
  messages::fleet_done d;
  d.stopped = st.stopped;
  d.budget_stopped = st.budget_stopped;
  d.admitted = st.admitted;
  caf::anon_send(st.cfg.listener, std::move(d));
  self->quit();
}

void ended(self_ptr self, size_t index, const messages::run_outcome& outcome,
           const std::string& failure, const std::string& launch_error,
           const std::string& run_id) {
  auto& st = self->state;
  auto tally = st.cfg.hooks.finished(index, outcome, failure, launch_error);
  ++st.done;
  st.findings += tally.findings;
  st.cost_usd += tally.cost_usd;
  progress(self, "run_finished", index, run_id, outcome.status, outcome.exit_code);
}

// The run is over: out of whichever set holds it.
void release(self_ptr self, const std::string& run_id) {
  auto& st = self->state;
  if (st.settling.erase(run_id) == 0) st.working.erase(run_id);
}

void admit(self_ptr self) {
  auto& st = self->state;
  while (!st.stopped && !st.budget_stopped && st.working.size() < st.cfg.parallel &&
         st.working.size() + st.settling.size() < 2 * st.cfg.parallel && !st.cfg.todo.empty()) {
    if (st.cfg.hooks.may_admit && !st.cfg.hooks.may_admit()) {
      st.budget_stopped = true;
      break;
    }
    const size_t index = st.cfg.todo.front();
    st.cfg.todo.pop_front();
    auto run = st.cfg.hooks.launch(index, protocol::fleet_actor{self});
    if (!run.error.empty()) {
      messages::run_outcome o;
      o.status = "failed";
      o.exit_code = messages::exit_code::runtime_failure;
      o.reason = run.error;
      ended(self, index, o, "", run.error, "");
      continue;
    }
    const std::string run_id = run.start.run_id;
    st.working.insert(run_id);
    ++st.admitted;
    progress(self, "run_started", index, run_id, "running", -1);
    // A run takes as long as it takes: the supervisor always answers (an
    // agent that dies becomes a recorded failed reply).
    self->request(run.supervisor, caf::infinite, run.start)
      .then(
        [=](messages::run_outcome& o) {
          release(self, run_id);
          ended(self, index, o, "", "", run_id);
          admit(self);
        },
        [=](caf::error& err) {
          release(self, run_id);
          ended(self, index, messages::run_outcome{}, self->system().render(err), "", run_id);
          admit(self);
        });
  }
  maybe_finish(self);
}

}  // namespace

protocol::fleet_actor::behavior_type fleet_scheduler(self_ptr self, fleet_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [=](protocol::fleet_start_atom) {
      if (self->state.started) return;
      self->state.started = true;
      admit(self);
    },
    [=](protocol::fleet_stop_atom) {
      self->state.stopped = true;
      maybe_finish(self);
    },
    [=](protocol::run_settling_atom, const std::string& run_id) {
      auto& st = self->state;
      if (st.working.erase(run_id) == 0) return;  // already answered
      st.settling.insert(run_id);
      admit(self);
    },
  };
}

}  // namespace casm::fleet
