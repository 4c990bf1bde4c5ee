#include "runtime/actor_boot.h"

#include <thread>

#include "messages/protocol/registry.h"

namespace casm::runtime {

casm_config::casm_config() {
  protocol::register_message_types(*this);
  // Blocking work runs in detached actors, so the scheduler needs only one
  // worker per core.
  set("scheduler.max-threads", static_cast<size_t>(std::max(2u, std::thread::hardware_concurrency())));
}

}  // namespace casm::runtime
