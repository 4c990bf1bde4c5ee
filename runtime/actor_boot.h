// Boots CAF for one casm process: every protocol type registered, the
// scheduler sized for this machine, the middleman available for nodes.
#pragma once

#include <caf/actor_system_config.hpp>

namespace casm::runtime {

class casm_config : public caf::actor_system_config {
public:
  casm_config();
};

}  // namespace casm::runtime
