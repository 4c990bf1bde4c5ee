#include "telemetry/run_story.h"

#include <sstream>

#include "messages/codec/json_text.h"

namespace casm::telemetry {

using nlohmann::json;

void run_story::add(const json& rec) {
  const std::string type = rec.value("type", "");
  const json& p = rec.contains("payload") ? rec["payload"] : json::object();
  if (run_id_.empty()) run_id_ = rec.value("run_id", "");
  if (type == "config.pinned") {
    pinned_ = p;
  } else if (type == "run.started") {
    template_id_ = p.value("template_id", "");
    workflow_ = p.value("workflow", "");
    started_at_ = p.value("started_at", "");
    repo_ = json::object();
    repo_["path"] = p.value("repo", "");
    if (p.contains("repo_b64")) repo_["path_b64"] = p["repo_b64"];
    head_rev_ = p.value("head_rev", "HEAD");
  } else if (type == "ingest.completed") {
    if (p.value("ok", false)) {
      head_commit_ = p.value("head_commit", "");
      base_commit_ = p.value("base_commit", "");
      head_rev_ = p.value("head_rev", head_rev_);
      bare_ = p.value("bare", false);
      shallow_ = p.value("shallow", false);
      file_count_ = p.value("file_count", uint64_t{0});
      total_bytes_ = p.value("total_bytes", uint64_t{0});
    }
  } else if (type == "stage.transition") {
    const std::string stage = p.value("stage", "");
    const std::string status = p.value("status", "");
    if (status == "started") {
      stages_.push_back({stage, "started", ""});
    } else {
      stage_row* row = nullptr;
      for (auto& s : stages_)
        if (s.stage == stage) row = &s;
      if (!row) {
        stages_.push_back({stage, status, ""});
        row = &stages_.back();
      }
      row->status = status;
      row->detail = p.value("detail", "");
    }
  } else if (type == "run.completed" || type == "run.aborted") {
    completed_ = true;
    status_ = p.value("status", "");
    exit_code_ = p.value("exit_code", -1);
    reason_ = p.value("reason", "");
    failure_kind_ = p.value("failure_kind", "");
    if (p.contains("artifacts")) artifacts_ = p["artifacts"];
    finished_at_ = rec.value("ts", "");
  }
}

json run_story::to_json() const {
  json j = json::object();
  j["run_id"] = run_id_;
  j["template_id"] = template_id_;
  j["workflow"] = workflow_;
  j["started_at"] = started_at_;
  j["finished_at"] = finished_at_.empty() ? json(nullptr) : json(finished_at_);
  j["status"] = status_;
  j["complete"] = completed_;
  j["exit_code"] = exit_code_ < 0 ? json(nullptr) : json(exit_code_);
  j["reason"] = reason_;
  j["failure_kind"] = failure_kind_;
  j["config"] = pinned_;
  j["repo"] = repo_;
  j["commits"] = {{"head_rev", head_rev_}, {"head", head_commit_}, {"base", base_commit_}};
  j["audited"] = {{"files", file_count_}, {"bytes", total_bytes_}, {"bare", bare_},
                  {"shallow", shallow_}};
  json stages = json::array();
  for (const auto& s : stages_)
    stages.push_back({{"stage", s.stage}, {"status", s.status}, {"detail", s.detail}});
  j["stages"] = stages;
  j["policy"] = {{"decisions", json::array()}};
  j["routing"] = {{"tasks", json::array()}};
  j["cost"] = {{"total_usd", 0.0}, {"truth", "calculated"}, {"calls", json::array()}};
  j["artifacts"] = artifacts_;
  j["log"] = {{"verified", integrity_.verified}, {"events", integrity_.events},
              {"head", integrity_.head_hash}, {"torn_tail", integrity_.torn_tail}};
  if (!integrity_.problem.empty()) j["log"]["problem"] = integrity_.problem;
  return j;
}

std::string run_story::to_text() const {
  std::ostringstream o;
  o << "run " << run_id_ << "\n";
  o << "  template  " << template_id_ << " (workflow " << workflow_ << ")\n";
  o << "  repo      " << repo_.value("path", "") << "\n";
  if (!head_commit_.empty()) {
    o << "  head      " << head_rev_ << " = " << head_commit_;
    if (bare_) o << " (bare)";
    if (shallow_) o << " (shallow)";
    o << "\n  base      " << base_commit_ << "\n";
    o << "  audited   " << file_count_ << " files, " << total_bytes_ << " bytes\n";
  }
  o << "  started   " << started_at_ << "\n";
  if (completed_) {
    o << "  finished  " << finished_at_ << "\n";
    o << "  status    " << status_ << " (exit " << exit_code_ << ")\n";
  } else {
    o << "  status    " << status_ << " (the log has no run.completed record: "
      << "the run is in progress or its process died)\n";
  }
  if (!reason_.empty()) o << "  reason    " << failure_kind_ << ": " << reason_ << "\n";
  if (!pinned_.empty()) {
    o << "  config    casm " << pinned_.value("casm_version", "?") << ", template sha256 "
      << pinned_.value("template_hash", "?") << "\n";
  }

  o << "\nstages\n";
  if (stages_.empty()) o << "  (none recorded)\n";
  int n = 0;
  for (const auto& s : stages_) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %d. %-10s %-10s ", ++n, s.stage.c_str(), s.status.c_str());
    o << buf << s.detail << "\n";
  }

  o << "\npolicy decisions\n  (none recorded: this workflow has no policy stage)\n";
  o << "\nrouting choices\n  (none recorded: no model calls)\n";
  o << "\ncost\n  total $0.00 (calculated: no model calls, no tool or infra cost lines)\n";

  o << "\nartifacts\n";
  if (artifacts_.empty()) o << "  (none)\n";
  for (const auto& a : artifacts_)
    o << "  " << a.value("name", "") << "  sha256 " << a.value("sha256", "") << "  "
      << a.value("bytes", 0) << " bytes\n";

  o << "\nlog\n  " << integrity_.events << " events, head " << integrity_.head_hash << ", "
    << (integrity_.verified ? "chain verified" : "CHAIN DOES NOT VERIFY") << "\n";
  if (integrity_.torn_tail) o << "  a torn last line follows the last record (a crash mid-append)\n";
  if (!integrity_.problem.empty()) o << "  " << integrity_.problem << "\n";
  return o.str();
}

}  // namespace casm::telemetry
