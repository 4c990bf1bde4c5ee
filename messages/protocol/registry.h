// The one registration point for every message type of the protocol.
#pragma once

namespace caf {
class actor_system_config;
}

namespace casm::protocol {

// Adds every CASM message type to `cfg` (add_message_type). Call once, before
// the actor system is constructed.
void register_message_types(caf::actor_system_config& cfg);

}  // namespace casm::protocol
