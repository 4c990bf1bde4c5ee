// A run's router actor. Decisions are the pure telemetry::route(); this
// actor only gathers what they are made on (the accountant's budget and
// breaker view, now) and reserves the selected model's worst case with the
// accountant. Its reply carries the decision together with that view, so the
// coordinator (and replay) run route() again on it and must get the same
// decision. It also settles calls: the actual cost of the usage at the
// reserved model's price replaces the hold, and the breaker hears the result.
#pragma once

#include <caf/actor_system.hpp>

#include "messages/data/routing.h"
#include "messages/protocol/interfaces.h"

namespace casm::routing {

// `prices` is the run's pinned registry (override merged); profiles with it.
protocol::router_actor spawn_router(caf::actor_system& sys, protocol::accountant_actor accountant,
                                    messages::price_registry prices);

// The cost of a settled call: llm_cost of its usage at `model`'s price
// (truth calculated), or, without usage, what the provider may have billed:
// nothing when the call never reached it, the whole reservation (truth
// unknown) when it may have run (a timeout). Pure.
messages::cost_figure settled_cost(const messages::price_registry& prices,
                                   const messages::settle_request& s, double reserved_usd);

}  // namespace casm::routing
