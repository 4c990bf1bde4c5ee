#include "messages/data/workflow.h"

#include "messages/codec/json_text.h"

namespace casm::messages {

using nlohmann::json;
using codec::get_bytes;
using codec::put_bytes;

namespace {
template <class T>
void opt(const json& j, const char* key, T& out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) it->get_to(out);
}
}  // namespace

void to_json(json& j, const run_start& x) {
  j = json::object();
  j["run_id"] = x.run_id;
  j["started_at"] = x.started_at;
  j["template_id"] = x.template_id;
  j["template_hash"] = x.template_hash;
  j["workflow"] = x.workflow;
  j["stages"] = x.stages;
  put_bytes(j, "repo", x.repo);
  put_bytes(j, "head_rev", x.head_rev);
  put_bytes(j, "base_rev", x.base_rev);
}
void from_json(const json& j, run_start& x) {
  opt(j, "run_id", x.run_id);
  opt(j, "started_at", x.started_at);
  opt(j, "template_id", x.template_id);
  opt(j, "template_hash", x.template_hash);
  opt(j, "workflow", x.workflow);
  opt(j, "stages", x.stages);
  x.repo = get_bytes(j, "repo");
  x.head_rev = get_bytes(j, "head_rev");
  x.base_rev = get_bytes(j, "base_rev");
}

void to_json(json& j, const ingest_request& x) {
  j = json::object();
  j["call_id"] = x.call_id;
  put_bytes(j, "repo", x.repo);
  put_bytes(j, "head_rev", x.head_rev);
  put_bytes(j, "base_rev", x.base_rev);
}
void from_json(const json& j, ingest_request& x) {
  opt(j, "call_id", x.call_id);
  x.repo = get_bytes(j, "repo");
  x.head_rev = get_bytes(j, "head_rev");
  x.base_rev = get_bytes(j, "base_rev");
}

void to_json(json& j, const ingest_result& x) {
  j = json::object();
  j["call_id"] = x.call_id;
  j["ok"] = x.ok;
  j["error_kind"] = x.error_kind;
  put_bytes(j, "error", x.error);
  put_bytes(j, "repo_path", x.repo_path);
  j["bare"] = x.bare;
  j["shallow"] = x.shallow;
  put_bytes(j, "head_rev", x.head_rev);
  j["head_commit"] = x.head_commit;
  j["head_tree"] = x.head_tree;
  j["head_time"] = x.head_time;
  j["base_commit"] = x.base_commit;
  j["file_count"] = x.file_count;
  j["total_bytes"] = x.total_bytes;
}
void from_json(const json& j, ingest_result& x) {
  opt(j, "call_id", x.call_id);
  opt(j, "ok", x.ok);
  opt(j, "error_kind", x.error_kind);
  x.error = get_bytes(j, "error");
  x.repo_path = get_bytes(j, "repo_path");
  opt(j, "bare", x.bare);
  opt(j, "shallow", x.shallow);
  x.head_rev = get_bytes(j, "head_rev");
  opt(j, "head_commit", x.head_commit);
  opt(j, "head_tree", x.head_tree);
  opt(j, "head_time", x.head_time);
  opt(j, "base_commit", x.base_commit);
  opt(j, "file_count", x.file_count);
  opt(j, "total_bytes", x.total_bytes);
}

void to_json(json& j, const artifact_ref& x) {
  j = json{{"name", x.name}, {"sha256", x.sha256}, {"bytes", x.bytes}};
}
void from_json(const json& j, artifact_ref& x) {
  opt(j, "name", x.name);
  opt(j, "sha256", x.sha256);
  opt(j, "bytes", x.bytes);
}

void to_json(json& j, const stage_event& x) {
  j = json::object();
  j["stage"] = x.stage;
  j["status"] = x.status;
  put_bytes(j, "detail", x.detail);
}
void from_json(const json& j, stage_event& x) {
  opt(j, "stage", x.stage);
  opt(j, "status", x.status);
  x.detail = get_bytes(j, "detail");
}

void to_json(json& j, const report_request& x) {
  j = json::object();
  j["call_id"] = x.call_id;
  j["run_id"] = x.run_id;
  j["template_id"] = x.template_id;
  j["started_at"] = x.started_at;
  put_bytes(j, "repo", x.repo);
  put_bytes(j, "head_rev", x.head_rev);
  j["head_commit"] = x.head_commit;
  j["base_commit"] = x.base_commit;
  j["bare"] = x.bare;
  j["shallow"] = x.shallow;
  j["file_count"] = x.file_count;
  j["total_bytes"] = x.total_bytes;
  j["stages"] = x.stages;
  j["status"] = x.status;
  j["exit_code"] = x.exit_code;
  put_bytes(j, "reason", x.reason);
  j["failure_kind"] = x.failure_kind;
}
void from_json(const json& j, report_request& x) {
  opt(j, "call_id", x.call_id);
  opt(j, "run_id", x.run_id);
  opt(j, "template_id", x.template_id);
  opt(j, "started_at", x.started_at);
  x.repo = get_bytes(j, "repo");
  x.head_rev = get_bytes(j, "head_rev");
  opt(j, "head_commit", x.head_commit);
  opt(j, "base_commit", x.base_commit);
  opt(j, "bare", x.bare);
  opt(j, "shallow", x.shallow);
  opt(j, "file_count", x.file_count);
  opt(j, "total_bytes", x.total_bytes);
  opt(j, "stages", x.stages);
  opt(j, "status", x.status);
  opt(j, "exit_code", x.exit_code);
  x.reason = get_bytes(j, "reason");
  opt(j, "failure_kind", x.failure_kind);
}

void to_json(json& j, const report_result& x) {
  j = json::object();
  j["call_id"] = x.call_id;
  j["ok"] = x.ok;
  put_bytes(j, "error", x.error);
  j["artifacts"] = x.artifacts;
}
void from_json(const json& j, report_result& x) {
  opt(j, "call_id", x.call_id);
  opt(j, "ok", x.ok);
  x.error = get_bytes(j, "error");
  opt(j, "artifacts", x.artifacts);
}

void to_json(json& j, const run_outcome& x) {
  j = json::object();
  j["status"] = x.status;
  j["exit_code"] = x.exit_code;
  put_bytes(j, "reason", x.reason);
  j["failure_kind"] = x.failure_kind;
  j["artifacts"] = x.artifacts;
}
void from_json(const json& j, run_outcome& x) {
  opt(j, "status", x.status);
  opt(j, "exit_code", x.exit_code);
  x.reason = get_bytes(j, "reason");
  opt(j, "failure_kind", x.failure_kind);
  opt(j, "artifacts", x.artifacts);
}

}  // namespace casm::messages
