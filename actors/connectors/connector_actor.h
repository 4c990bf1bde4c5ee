// The connector actor of a run: one model call per request, through
// connectors::call_model (libcurl; blocks, so the actor is detached and no
// CAF scheduler thread ever waits on the network). The endpoint named by the
// call is looked up in the run's pinned registry; keys are read from the
// environment at call time by the connector, never held here. Replay never
// spawns it: every model reply comes from the log.
#pragma once

#include <caf/actor_system.hpp>

#include "messages/data/routing.h"
#include "messages/protocol/interfaces.h"

namespace casm::connectors {

// The connector config of an endpoint from the registry's provider entry.
messages::connector_config config_for(const messages::provider_entry& p);

// Detached. One actor per concurrent call slot.
protocol::connector_actor spawn_connector(caf::actor_system& sys, messages::price_registry prices);

}  // namespace casm::connectors
