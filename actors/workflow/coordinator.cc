#include "actors/workflow/coordinator.h"

#include <caf/typed_event_based_actor.hpp>

namespace casm::workflow {

namespace {

using self_ptr = protocol::coordinator_actor::stateful_pointer<coordinator_state>;

void emit(self_ptr self, const protocol::supervisor_actor& sup, std::vector<output> outs);

// Sends a request to the supervisor and feeds its (recorded) reply back into
// the engine. The supervisor always replies with a result, never an error; an
// error here means the supervisor is gone, and the run with it.
template <class Request, class Reply>
void ask(self_ptr self, const protocol::supervisor_actor& sup, Request req) {
  self->request(sup, caf::infinite, std::move(req))
    .then([self, sup](Reply& reply) { emit(self, sup, self->state.engine.on_reply(reply)); },
          [self](caf::error& err) { self->quit(std::move(err)); });
}

void emit(self_ptr self, const protocol::supervisor_actor& sup, std::vector<output> outs) {
  for (auto& o : outs) {
    if (auto* ev = std::get_if<stage_event>(&o)) {
      self->send(sup, std::move(*ev));
    } else if (auto* req = std::get_if<ingest_request>(&o)) {
      ask<ingest_request, ingest_result>(self, sup, std::move(*req));
    } else if (auto* req = std::get_if<review_request>(&o)) {
      ask<review_request, review_result>(self, sup, std::move(*req));
    } else if (auto* req = std::get_if<fix_request>(&o)) {
      ask<fix_request, fix_result>(self, sup, std::move(*req));
    } else if (auto* req = std::get_if<validate_request>(&o)) {
      ask<validate_request, validate_result>(self, sup, std::move(*req));
    } else if (auto* req = std::get_if<report_request>(&o)) {
      ask<report_request, report_result>(self, sup, std::move(*req));
    } else if (auto* req = std::get_if<gate_request>(&o)) {
      ask<gate_request, gate_result>(self, sup, std::move(*req));
    } else if (auto* req = std::get_if<route_request>(&o)) {
      ask<route_request, route_result>(self, sup, std::move(*req));
    } else if (auto* req = std::get_if<model_call>(&o)) {
      ask<model_call, model_reply>(self, sup, std::move(*req));
    } else if (auto* req = std::get_if<settle_request>(&o)) {
      ask<settle_request, settle_result>(self, sup, std::move(*req));
    } else if (auto* n = std::get_if<fallback_note>(&o)) {
      self->send(sup, std::move(*n));
    } else if (auto* c = std::get_if<output_check>(&o)) {
      self->send(sup, std::move(*c));
    } else if (auto* hitl = std::get_if<hitl_request>(&o)) {
      self->send(sup, std::move(*hitl));
    } else if (auto* alert = std::get_if<security_alert>(&o)) {
      self->send(sup, std::move(*alert));
    } else if (auto* pause = std::get_if<run_pause>(&o)) {
      // The engine waits for a human decision; a resume delivers it.
      self->send(sup, std::move(*pause));
    } else if (auto* done = std::get_if<run_outcome>(&o)) {
      self->send(sup, std::move(*done));
      self->quit();
    }
  }
}

}  // namespace

protocol::coordinator_actor::behavior_type coordinator(self_ptr self,
                                                       protocol::supervisor_actor supervisor) {
  return {
    [self, supervisor](const run_start& start) {
      emit(self, supervisor, self->state.engine.start(start));
    },
    [self, supervisor](const approval_decision& decision) {
      emit(self, supervisor, self->state.engine.on_decision(decision));
    },
  };
}

}  // namespace casm::workflow
