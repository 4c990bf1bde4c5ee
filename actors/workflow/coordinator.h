// The workflow coordinator actor: the thin shell around workflow_engine.
// It talks only to the supervisor, which records every message in and out.
#pragma once

#include "actors/workflow/workflow_engine.h"
#include "messages/protocol/interfaces.h"

namespace casm::workflow {

struct coordinator_state {
  static inline const char* name = "casm.coordinator";
  workflow_engine engine;
};

protocol::coordinator_actor::behavior_type
coordinator(protocol::coordinator_actor::stateful_pointer<coordinator_state> self,
            protocol::supervisor_actor supervisor);

}  // namespace casm::workflow
