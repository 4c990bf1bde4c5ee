#include "messages/protocol/registry.h"

#include <caf/actor_system_config.hpp>

#include "messages/protocol/interfaces.h"

namespace casm::protocol {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<run_start>("casm.run_start");
  cfg.add_message_type<ingest_request>("casm.ingest_request");
  cfg.add_message_type<ingest_result>("casm.ingest_result");
  cfg.add_message_type<artifact_ref>("casm.artifact_ref");
  cfg.add_message_type<stage_event>("casm.stage_event");
  cfg.add_message_type<report_request>("casm.report_request");
  cfg.add_message_type<report_result>("casm.report_result");
  cfg.add_message_type<run_outcome>("casm.run_outcome");
}

}  // namespace casm::protocol
