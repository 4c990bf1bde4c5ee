// CAF inspect() overloads for every message of the protocol, so that CAF can
// serialize them (to_string, remoting). Field order matches the structs.
#pragma once

#include <caf/meta/type_name.hpp>

#include "messages/data/workflow.h"

namespace casm::messages {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_start& x) {
  return f(caf::meta::type_name("casm.run_start"), x.run_id, x.started_at, x.template_id,
           x.template_hash, x.workflow, x.stages, x.repo, x.head_rev, x.base_rev);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_request& x) {
  return f(caf::meta::type_name("casm.ingest_request"), x.call_id, x.repo, x.head_rev,
           x.base_rev);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_result& x) {
  return f(caf::meta::type_name("casm.ingest_result"), x.call_id, x.ok, x.error_kind, x.error,
           x.repo_path, x.bare, x.shallow, x.head_rev, x.head_commit, x.head_tree, x.head_time,
           x.base_commit, x.file_count, x.total_bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, artifact_ref& x) {
  return f(caf::meta::type_name("casm.artifact_ref"), x.name, x.sha256, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stage_event& x) {
  return f(caf::meta::type_name("casm.stage_event"), x.stage, x.status, x.detail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, report_request& x) {
  return f(caf::meta::type_name("casm.report_request"), x.call_id, x.run_id, x.template_id,
           x.started_at, x.repo, x.head_rev, x.head_commit, x.base_commit, x.bare, x.shallow,
           x.file_count, x.total_bytes, x.stages, x.status, x.exit_code, x.reason,
           x.failure_kind);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, report_result& x) {
  return f(caf::meta::type_name("casm.report_result"), x.call_id, x.ok, x.error, x.artifacts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_outcome& x) {
  return f(caf::meta::type_name("casm.run_outcome"), x.status, x.exit_code, x.reason,
           x.failure_kind, x.artifacts);
}

}  // namespace casm::messages
