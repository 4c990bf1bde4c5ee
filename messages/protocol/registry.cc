#include "messages/protocol/registry.h"

#include <caf/actor_system_config.hpp>

#include "messages/protocol/interfaces.h"

namespace casm::protocol {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<run_start>("casm.run_start");
  cfg.add_message_type<ingest_request>("casm.ingest_request");
  cfg.add_message_type<ingest_result>("casm.ingest_result");
  cfg.add_message_type<review_request>("casm.review_request");
  cfg.add_message_type<review_result>("casm.review_result");
  cfg.add_message_type<fix_request>("casm.fix_request");
  cfg.add_message_type<fix_result>("casm.fix_result");
  cfg.add_message_type<validate_request>("casm.validate_request");
  cfg.add_message_type<validate_result>("casm.validate_result");
  cfg.add_message_type<stage_event>("casm.stage_event");
  cfg.add_message_type<report_request>("casm.report_request");
  cfg.add_message_type<report_result>("casm.report_result");
  cfg.add_message_type<run_outcome>("casm.run_outcome");
  cfg.add_message_type<finding>("casm.finding");
  cfg.add_message_type<skipped_file>("casm.skipped_file");
  cfg.add_message_type<audit_scope>("casm.audit_scope");
  cfg.add_message_type<file_entry>("casm.file_entry");
  cfg.add_message_type<changed_file>("casm.changed_file");
  cfg.add_message_type<fix_file>("casm.fix_file");
  cfg.add_message_type<command_report>("casm.command_report");
  cfg.add_message_type<model_usage>("casm.model_usage");
  cfg.add_message_type<audit_report>("casm.audit_report");
  cfg.add_message_type<artifact_ref>("casm.artifact_ref");
  cfg.add_message_type<hitl_request>("casm.hitl_request");
  cfg.add_message_type<gate_request>("casm.gate_request");
  cfg.add_message_type<gate_result>("casm.gate_result");
  cfg.add_message_type<run_pause>("casm.run_pause");
  cfg.add_message_type<security_alert>("casm.security_alert");
  cfg.add_message_type<approval_decision>("casm.approval_decision");
  cfg.add_message_type<route_request>("casm.route_request");
  cfg.add_message_type<route_result>("casm.route_result");
  cfg.add_message_type<model_call>("casm.model_call");
  cfg.add_message_type<model_reply>("casm.model_reply");
  cfg.add_message_type<settle_request>("casm.settle_request");
  cfg.add_message_type<settle_result>("casm.settle_result");
  cfg.add_message_type<fallback_note>("casm.fallback_note");
  cfg.add_message_type<output_check>("casm.output_check");
  cfg.add_message_type<budget_open>("casm.budget_open");
  cfg.add_message_type<budget_query>("casm.budget_query");
  cfg.add_message_type<budget_snapshot>("casm.budget_snapshot");
  cfg.add_message_type<reserve_ask>("casm.reserve_ask");
  cfg.add_message_type<reservation_reply>("casm.reservation_reply");
  cfg.add_message_type<reconcile_ask>("casm.reconcile_ask");
  cfg.add_message_type<reconcile_answer>("casm.reconcile_answer");
  cfg.add_message_type<budget_levels>("casm.budget_levels");
  cfg.add_message_type<fleet_progress>("casm.fleet_progress");
  cfg.add_message_type<fleet_done>("casm.fleet_done");
  cfg.add_message_type<node_hello>("casm.node_hello");
  cfg.add_message_type<node_welcome>("casm.node_welcome");
  cfg.add_message_type<node_task>("casm.node_task");
  cfg.add_message_type<node_source>("casm.node_source");
  cfg.add_message_type<node_fix_task>("casm.node_fix_task");
  cfg.add_message_type<node_fix_reply>("casm.node_fix_reply");
  cfg.add_message_type<node_validate_task>("casm.node_validate_task");
  cfg.add_message_type<node_validate_reply>("casm.node_validate_reply");
}

}  // namespace casm::protocol
