#include "actors/workflow/workflow_engine.h"

#include <algorithm>
#include <array>
#include <cstdio>

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

std::string plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string workflow_engine::next_call_id() {
  return codec::derive_ulid(start_.run_id, ++calls_, "call");
}

bool workflow_engine::at(const char* s) const {
  return !finished_ && index_ < start_.stages.size() && start_.stages[index_] == s;
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
    if (!final_status_.empty()) o.status = final_status_;
    else o.status = failure_kind_.empty() ? "succeeded" : "failed";
    o.exit_code = exit_code_;
    o.reason = reason_;
    o.failure_kind = failure_kind_;
    o.artifacts = artifacts_;
    out.emplace_back(std::move(o));
    finished_ = true;
    return;
  }
  const auto& s = stage();
  out.emplace_back(stage_event{s, "started", ""});
  const auto& audit = start_.audit;
  if (s == "ingest") {
    ingest_request q{next_call_id(), start_.repo, start_.head_rev, start_.base_rev, audit.enabled,
                     audit.history};
    out.emplace_back(std::move(q));
  } else if (s == "analyze") {
    shards_ = make_review_shards(ingest_, audit, [this] { return next_call_id(); }, allowlisted_);
    reviews_.assign(shards_.size(), review_result{});
    reviews_pending_ = shards_.size();
    for (const auto& shard : shards_) out.emplace_back(shard);
  } else if (s == "plan") {
    plan_ = plan_fixes(merged_.findings, ingest_, audit);
    complete_stage(out, plural(plan_.planned_lines, "fix", "fixes") + " in " +
                          plural(plan_.files.size(), "file", "files") + ", " +
                          plural(plan_.suggestions.size(), "suggestion", "suggestions") +
                          " left to a human");
  } else if (s == "apply") {
    if (plan_.files.empty()) {
      skip_stage(out, audit.fixer_enabled ? "nothing the fixer may change" : "the fixer is disabled");
      return;
    }
    fix_attempted_ = true;
    fix_request q;
    q.call_id = next_call_id();
    q.run_id = start_.run_id;
    q.repo_path = ingest_.repo_path;
    q.head_commit = ingest_.head_commit;
    q.files = plan_.files;
    q.write_branch = audit.write_branch;
    q.branch = "casm/" + start_.run_id;
    out.emplace_back(std::move(q));
  } else if (s == "validate") {
    auto commands = validation_commands(ingest_, audit);
    if (!audit.validator_enabled || commands.empty()) {
      skip_stage(out, !audit.validator_enabled
                        ? "the validator is disabled: outcome UNVERIFIED"
                        : "no allowlisted validation command applies: outcome UNVERIFIED");
      return;
    }
    validation_attempted_ = true;
    validate_request q;
    q.call_id = next_call_id();
    q.run_id = start_.run_id;
    q.repo_path = ingest_.repo_path;
    q.head_commit = ingest_.head_commit;
    q.files = plan_.files;
    q.commands = std::move(commands);
    q.allow_commands = audit.allow_commands;
    q.allow_network = audit.allow_network;
    q.sandbox_mode = audit.sandbox_mode;
    q.timeout_seconds = audit.command_timeout_seconds;
    out.emplace_back(std::move(q));
  } else if (s == "report") {
    out.emplace_back(make_report_request());
  } else {
    // The loader only accepts workflows whose stages this engine knows, so
    // this is a bug; fail the run loudly rather than skip silently.
    fail_stage(out, "internal", "stage '" + s + "' has no implementation in this build",
               ec::runtime_failure);
  }
}

void workflow_engine::complete_stage(std::vector<output>& out, const std::string& detail) {
  stage_event ev{stage(), "completed", detail};
  outcomes_.push_back(ev);
  out.emplace_back(std::move(ev));
  ++index_;
  begin_stage(out);
}

void workflow_engine::skip_stage(std::vector<output>& out, const std::string& why) {
  stage_event ev{stage(), "skipped", why};
  outcomes_.push_back(ev);
  out.emplace_back(std::move(ev));
  ++index_;
  begin_stage(out);
}

void workflow_engine::fail_stage(std::vector<output>& out, std::string kind, std::string reason,
                                 int exit_code) {
  stage_event ev{stage(), "failed", reason};
  outcomes_.push_back(ev);
  out.emplace_back(std::move(ev));
  if (failure_kind_.empty()) {
    failure_kind_ = std::move(kind);
    reason_ = std::move(reason);
    exit_code_ = exit_code;
    final_status_.clear();
  }
  // Skip to the report stage (a failed run still writes its report), unless
  // the report itself failed.
  const bool in_report = stage() == "report";
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
  if (!at("ingest")) return out;
  ingest_ = r;
  if (!r.ok) {
    fail_stage(out, r.error_kind.empty() ? "io" : r.error_kind, r.error,
               r.error_kind == "bad_input" ? ec::bad_input : ec::runtime_failure);
    return out;
  }
  std::string detail = r.head_rev + " = " + r.head_commit.substr(0, 12) + ", " +
                       plural(r.file_count, "file", "files") + ", " + human_bytes(r.total_bytes);
  if (r.mode == "diff") detail += ", " + plural(r.changes.size(), "changed file", "changed files") + " since " + r.base_commit.substr(0, 12);
  if (r.mode == "history") detail += ", " + plural(r.commits.size(), "commit", "commits");
  if (r.bare) detail += ", bare";
  if (r.shallow) detail += ", shallow";
  complete_stage(out, detail);
  return out;
}

std::vector<output> workflow_engine::on_reply(const review_result& r) {
  std::vector<output> out;
  if (!at("analyze") || r.shard >= reviews_.size() || reviews_pending_ == 0) return out;
  reviews_[r.shard] = r;
  if (--reviews_pending_ > 0) return out;
  finish_analyze(out);
  return out;
}

void workflow_engine::finish_analyze(std::vector<output>& out) {
  for (size_t i = 0; i < reviews_.size(); ++i) {
    if (!reviews_[i].ok) {
      fail_stage(out, "io", "reviewer shard " + std::to_string(i) + " failed: " + reviews_[i].error,
                 ec::runtime_failure);
      return;
    }
    usage_.push_back(offline_review_usage(shards_[i], reviews_[i]));
  }
  merged_ = merge_reviews(reviews_, start_.audit);
  auto& scope = merged_.scope;
  scope.skipped.insert(scope.skipped.end(), allowlisted_.begin(), allowlisted_.end());
  std::sort(scope.skipped.begin(), scope.skipped.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  size_t at_or_above = 0;
  if (fails_on(merged_.findings, start_.audit.fail_on, &at_or_above) && failure_kind_.empty()) {
    // The run goes on (fixes, validation, report) but ends blocked: exit 4.
    final_status_ = std::string(messages::to_string(messages::run_status::blocked));
    failure_kind_ = "fail_on";
    exit_code_ = ec::blocked;
    reason_ = plural(at_or_above, "finding", "findings") + " at or above " +
              start_.audit.fail_on + " (--fail-on " + start_.audit.fail_on + ")";
  }
  std::array<size_t, 4> by{};
  for (const auto& f : merged_.findings) ++by[static_cast<size_t>(f.level)];
  std::string detail = plural(merged_.findings.size(), "finding", "findings") + " (" +
                       std::to_string(by[3]) + " high, " + std::to_string(by[2]) + " medium, " +
                       std::to_string(by[1]) + " low, " + std::to_string(by[0]) + " info) in " +
                       plural(scope.files_scanned, "file", "files") + ", " +
                       human_bytes(scope.bytes_scanned);
  if (scope.commits_scanned) detail += ", " + plural(scope.commits_scanned, "commit", "commits");
  if (!scope.skipped.empty()) detail += ", " + std::to_string(scope.skipped.size()) + " skipped";
  complete_stage(out, detail);
}

std::vector<output> workflow_engine::on_reply(const fix_result& r) {
  std::vector<output> out;
  if (!at("apply")) return out;
  fix_ = r;
  if (!r.ok) {
    fail_stage(out, r.failure_kind.empty() ? "patch_apply" : r.failure_kind, r.error,
               ec::runtime_failure);
    return out;
  }
  artifacts_.push_back({"patch.diff", r.patch_sha256, r.patch_bytes});
  std::string detail = "patch.diff: " + plural(r.lines_changed, "line", "lines") + " in " +
                       plural(r.files_changed, "file", "files");
  if (r.masked_lines) detail += ", " + plural(r.masked_lines, "context line", "context lines") + " masked";
  if (!r.branch.empty()) detail += ", committed to " + r.branch;
  complete_stage(out, detail);
  return out;
}

std::vector<output> workflow_engine::on_reply(const validate_result& r) {
  std::vector<output> out;
  if (!at("validate")) return out;
  validation_ = r;
  std::string summary;
  for (const auto& c : r.commands)
    summary += (summary.empty() ? "" : ", ") + c.command + ": " + c.status;
  if (!r.ok) {
    std::string why = r.error.empty() ? summary : r.error;
    fail_stage(out, r.failure_kind.empty() ? "validation_command" : r.failure_kind,
               "validation failed: " + why, ec::runtime_failure);
    return out;
  }
  complete_stage(out, summary.empty() ? r.status : summary);
  return out;
}

std::vector<output> workflow_engine::on_reply(const report_result& r) {
  std::vector<output> out;
  if (!at("report")) return out;
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
  if (!final_status_.empty()) q.status = final_status_;
  else q.status = failure_kind_.empty() ? "succeeded" : "failed";
  q.exit_code = exit_code_;
  q.reason = reason_;
  q.failure_kind = failure_kind_;
  q.audit_enabled = start_.audit.enabled;
  if (q.audit_enabled) {
    auto& a = q.audit;
    a.scope = merged_.scope;
    a.scope.run_id = start_.run_id;
    a.scope.tool_version = start_.audit.tool_version;
    a.scope.rule_pack_hash = start_.audit.rule_pack_hash;
    a.scope.mode = ingest_.mode;
    a.scope.repo = start_.repo;
    a.scope.head_commit = ingest_.head_commit;
    a.scope.base_commit = ingest_.base_commit;
    a.findings = merged_.findings;
    a.suggestions = plan_.suggestions;
    a.fix_attempted = fix_attempted_;
    a.fix = fix_;
    a.validation_attempted = validation_attempted_;
    a.validation = validation_;
    if (validation_attempted_ && validation_.ok && validation_.status == "passed")
      a.outcome = "VERIFIED_WEAK";
    else
      a.outcome = "UNVERIFIED";
    a.usage = usage_;
  }
  return q;
}

}  // namespace casm::workflow
