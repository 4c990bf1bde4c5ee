#include "actors/workflow/workflow_engine.h"

#include <algorithm>

#include "messages/codec/ulid.h"
#include "messages/data/vocabulary.h"

namespace casm::workflow {

namespace ec = messages::exit_code;

namespace {

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace

std::string workflow_engine::next_call_id() {
  return codec::derive_ulid(start_.run_id, ++calls_, "call");
}

std::vector<output> workflow_engine::start(const run_start& start) {
  start_ = start;
  std::vector<output> out;
  begin_stage(out);
  return out;
}

void workflow_engine::begin_stage(std::vector<output>& out) {
  if (index_ >= start_.stages.size()) {
    run_outcome o;
    o.status = failure_kind_.empty() ? "succeeded" : "failed";
    o.exit_code = exit_code_;
    o.reason = reason_;
    o.failure_kind = failure_kind_;
    o.artifacts = artifacts_;
    out.emplace_back(std::move(o));
    finished_ = true;
    return;
  }
  const auto& stage = start_.stages[index_];
  out.emplace_back(stage_event{stage, "started", ""});
  if (stage == "ingest") {
    out.emplace_back(
      ingest_request{next_call_id(), start_.repo, start_.head_rev, start_.base_rev});
  } else if (stage == "report") {
    out.emplace_back(make_report_request());
  } else {
    // The loader only accepts workflows whose stages this engine knows, so
    // this is a bug; fail the run loudly rather than skip silently.
    fail_stage(out, "internal", "stage '" + stage + "' has no implementation in this build",
               ec::runtime_failure);
  }
}

void workflow_engine::complete_stage(std::vector<output>& out, const std::string& detail) {
  stage_event ev{start_.stages[index_], "completed", detail};
  outcomes_.push_back(ev);
  out.emplace_back(std::move(ev));
  ++index_;
  begin_stage(out);
}

void workflow_engine::fail_stage(std::vector<output>& out, std::string kind, std::string reason,
                                 int exit_code) {
  stage_event ev{start_.stages[index_], "failed", reason};
  outcomes_.push_back(ev);
  out.emplace_back(std::move(ev));
  if (failure_kind_.empty()) {
    failure_kind_ = std::move(kind);
    reason_ = std::move(reason);
    exit_code_ = exit_code;
  }
  // Skip to the report stage (a failed run still writes its report), unless
  // the report itself failed.
  const bool in_report = start_.stages[index_] == "report";
  ++index_;
  while (index_ < start_.stages.size() && start_.stages[index_] != "report") {
    stage_event skipped{start_.stages[index_], "skipped", "an earlier stage failed"};
    outcomes_.push_back(skipped);
    out.emplace_back(std::move(skipped));
    ++index_;
  }
  if (in_report) index_ = start_.stages.size();
  begin_stage(out);
}

std::vector<output> workflow_engine::on_reply(const ingest_result& r) {
  std::vector<output> out;
  if (finished_ || index_ >= start_.stages.size() || start_.stages[index_] != "ingest")
    return out;
  ingest_ = r;
  if (!r.ok) {
    fail_stage(out, r.error_kind.empty() ? "io" : r.error_kind, r.error,
               r.error_kind == "bad_input" ? ec::bad_input : ec::runtime_failure);
    return out;
  }
  std::string detail = r.head_rev + " = " + r.head_commit.substr(0, 12) + ", " +
                       std::to_string(r.file_count) + (r.file_count == 1 ? " file, " : " files, ") + human_bytes(r.total_bytes);
  if (r.bare) detail += ", bare";
  if (r.shallow) detail += ", shallow";
  complete_stage(out, detail);
  return out;
}

std::vector<output> workflow_engine::on_reply(const report_result& r) {
  std::vector<output> out;
  if (finished_ || index_ >= start_.stages.size() || start_.stages[index_] != "report")
    return out;
  if (!r.ok) {
    fail_stage(out, "artifact_write", "the report could not be written: " + r.error,
               ec::runtime_failure);
    return out;
  }
  for (const auto& a : r.artifacts) artifacts_.push_back(a);
  std::string detail;
  for (const auto& a : r.artifacts) detail += (detail.empty() ? "" : ", ") + a.name;
  complete_stage(out, "wrote " + detail);
  return out;
}

report_request workflow_engine::make_report_request() {
  report_request q;
  q.call_id = next_call_id();
  q.run_id = start_.run_id;
  q.template_id = start_.template_id;
  q.started_at = start_.started_at;
  q.repo = start_.repo;
  q.head_rev = ingest_.ok ? ingest_.head_rev : start_.head_rev;
  q.head_commit = ingest_.head_commit;
  q.base_commit = ingest_.base_commit;
  q.bare = ingest_.bare;
  q.shallow = ingest_.shallow;
  q.file_count = ingest_.file_count;
  q.total_bytes = ingest_.total_bytes;
  q.stages = outcomes_;
  // The report states how the run ends; only a failure to write the report
  // itself could still change that, and then the outcome says so.
  q.status = failure_kind_.empty() ? "succeeded" : "failed";
  q.exit_code = exit_code_;
  q.reason = reason_;
  q.failure_kind = failure_kind_;
  return q;
}

}  // namespace casm::workflow
