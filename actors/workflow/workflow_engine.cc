#include "actors/workflow/workflow_engine.h"

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <cstdio>

#include "messages/codec/digest.h"
#include "messages/codec/ulid.h"
#include "policy/risk.h"
#include "telemetry/policy_decisions_writer.h"
#include "telemetry/run_replay_writer.h"
#include "telemetry/cost_report.h"
#include "telemetry/routing_writer.h"
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

namespace {
std::string& engine_fault() {
  static std::string fault;
  return fault;
}
// An approval narrows what the fixer may touch, never widens it: files
// outside the allowed (or inside the denied) set become suggestions.
void narrow_to_approved_scope(fix_plan& plan, const approval_decision& d) {
  const std::set<std::string> allow(d.allow_files.begin(), d.allow_files.end());
  const std::set<std::string> deny(d.deny_files.begin(), d.deny_files.end());
  std::vector<messages::fix_file> kept;
  for (auto& f : plan.files) {
    if ((allow.empty() || allow.count(f.path)) && !deny.count(f.path))
      kept.push_back(std::move(f));
    else
      plan.suggestions.push_back({f.path, "", 0, "outside_approved_scope"});
  }
  plan.files = std::move(kept);
}

}  // namespace

void set_engine_fault(std::string fault) { engine_fault() = std::move(fault); }

std::string workflow_engine::next_call_id() {
  return codec::derive_ulid(start_.run_id, ++calls_, "call");
}

bool workflow_engine::at(const char* s) const {
  return !finished_ && index_ < start_.stages.size() && start_.stages[index_] == s;
}

std::vector<output> workflow_engine::start(const run_start& start) {
  start_ = start;
  std::vector<output> out;
  if (!start_.audit.ruleset_text.empty()) {
    // Parsed once per ruleset text in a process: replay starts many engines.
    static std::mutex mu;
    static std::map<std::string, std::optional<policy::ruleset>> parsed;
    std::lock_guard<std::mutex> lock(mu);
    auto& slot = parsed[start_.audit.ruleset_text];
    if (!slot) {
      policy::ruleset rs;
      std::vector<codec::config_error> errors;
      if (policy::parse_ruleset(start_.audit.ruleset_id, start_.audit.ruleset_text, rs, errors))
        slot = std::move(rs);
      else
        slot = policy::ruleset{};  // remembered as unusable: id stays empty
    }
    ruleset_ok_ = !slot->id.empty();
    if (ruleset_ok_) ruleset_ = *slot;
  }
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
    const auto& rc = start_.routing;
    if (rc.enabled && rc.reviewer_enabled && !rc.constraints.offline)
      for (auto& shard : shards_) shard.excerpt_bytes = rc.review_excerpt_bytes;
    reviews_.assign(shards_.size(), review_result{});
    reviews_pending_ = shards_.size();
    out.reserve(out.size() + shards_.size());
    // Only routed review tasks read a shard's lists back (task_paths);
    // otherwise the lists go out with the request instead of being copied.
    const bool keep_lists = rc.enabled && rc.reviewer_enabled;
    for (auto& shard : shards_) {
      if (keep_lists) {
        out.emplace_back(shard);
        continue;
      }
      auto files = std::move(shard.files);
      auto changes = std::move(shard.changes);
      auto commits = std::move(shard.commits);
      shard.files.clear();
      shard.changes.clear();
      shard.commits.clear();
      review_request sent = shard;  // every other field, the lists now empty
      sent.files = std::move(files);
      sent.changes = std::move(changes);
      sent.commits = std::move(commits);
      out.emplace_back(std::move(sent));
    }
  } else if (s == "gate") {
    if (ingest_.mode != "diff") {
      skip_stage(out, "no incoming diff (no --base): the swarm's own patch is scored at the "
                      "policy stage");
      return;
    }
    ask_gate(out, "incoming");
  } else if (s == "policy") {
    if (plan_.files.empty()) {
      // Nothing to apply: the empty patch passes, and says so.
      gate_mode_ = "patch";
      auto a = policy::assess(ruleset_, messages::diff_evidence{});
      assessment_ = a;
      record_decision("allow", "applied", a, false);
      complete_stage(out, "pass: the patch is empty");
      return;
    }
    ask_gate(out, "patch");
  } else if (s == "plan") {
    plan_ = plan_fixes(merged_.findings, ingest_, audit);
    if (engine_fault() == "plan_drops_fixes") plan_ = fix_plan{};
    if (approval_) narrow_to_approved_scope(plan_, *approval_);
    complete_stage(out, plural(plan_.planned_lines, "fix", "fixes") + " in " +
                          plural(plan_.files.size(), "file", "files") + ", " +
                          plural(plan_.suggestions.size(), "suggestion", "suggestions") +
                          " left to a human");
  } else if (s == "apply") {
    const auto& rc = start_.routing;
    if (rc.enabled && rc.fixer_enabled && audit.fixer_enabled && !fix_task_started_ &&
        !fix_work().empty()) {
      // The fixer's model task first (offline: only its routing decision),
      // then the mechanical patch.
      fix_task_started_ = true;
      model_task t;
      t.task_id = "fix";
      t.task_type = "fix";
      t.stage = "apply";
      t.profile = rc.fixer_profile;
      t.scope = 50;
      auto& slot = tasks_[t.task_id];
      slot = std::move(t);
      route_task(out, slot);
      return;
    }
    begin_apply(out);
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

void workflow_engine::begin_apply(std::vector<output>& out) {
  const auto& audit = start_.audit;
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
                                 int exit_code, const std::string& status) {
  stage_event ev{stage(), "failed", reason};
  outcomes_.push_back(ev);
  out.emplace_back(std::move(ev));
  if (failure_kind_.empty() || failure_kind_ == "fail_on") {
    failure_kind_ = std::move(kind);
    reason_ = std::move(reason);
    exit_code_ = exit_code;
    final_status_ = status == "failed" ? std::string() : status;
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
  if (!at("ingest")) return {};
  return on_reply(ingest_result(r));
}

std::vector<output> workflow_engine::on_reply(ingest_result&& reply) {
  std::vector<output> out;
  if (!at("ingest")) return out;
  ingest_ = std::move(reply);
  const ingest_result& r = ingest_;
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
  if (!at("analyze") || r.shard >= reviews_.size() || reviews_pending_ == 0) return {};
  return on_reply(review_result(r));
}

std::vector<output> workflow_engine::on_reply(review_result&& reply) {
  std::vector<output> out;
  if (!at("analyze") || reply.shard >= reviews_.size() || reviews_pending_ == 0) return out;
  const uint32_t shard = reply.shard;
  reviews_[shard] = std::move(reply);
  const review_result& r = reviews_[shard];
  lines_scanned_ += r.lines_scanned;
  const auto& rc = start_.routing;
  if (rc.enabled && rc.reviewer_enabled && r.ok && !budget_stop_)
    start_review_task(out, r.shard);
  else
    shard_done(out);
  return out;
}

void workflow_engine::finish_analyze(std::vector<output>& out) {
  usage_.reserve(usage_.size() + reviews_.size());
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
  // Where the patch was made (a node, or here) is the log's to say
  // (fix.completed, task.redispatched); the report is the same wherever it
  // ran, and as it was before distributed fixes (so runs recorded before
  // them still replay).
  fix_.node.reset();
  fix_.redispatches.reset();
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
  validation_.node.reset();  // as fix_ above
  validation_.redispatches.reset();
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

void workflow_engine::ask_gate(std::vector<output>& out, const std::string& mode) {
  gate_mode_ = mode;
  if (!ruleset_ok_) {
    // A gate with no usable ruleset is a missing gate input: blocked.
    end_early(out, "blocked", ec::blocked, "policy_input_missing",
              "the pinned ruleset is missing or does not parse, so the gate cannot score");
    return;
  }
  gate_request q;
  q.call_id = next_call_id();
  q.mode = mode;
  q.repo_path = ingest_.repo_path;
  q.base_commit = ingest_.base_commit;
  q.head_commit = ingest_.head_commit;
  if (mode == "patch") q.files = plan_.files;
  q.max_file_bytes = start_.audit.max_file_bytes;
  q.ruleset_hash = start_.audit.ruleset_hash;
  out.emplace_back(std::move(q));
}

void workflow_engine::record_decision(const std::string& action, const std::string& status,
                                      const messages::risk_assessment& a, bool with_scope) {
  messages::policy_decision d;
  d.decision_id = codec::derive_ulid(start_.run_id, decisions_.size() + 1, "decision");
  d.stage = stage();
  d.action = *messages::parse_decision_action(action);
  d.status = *messages::parse_decision_status(status);
  d.reason_codes = a.reason_codes;
  if (with_scope) d.scope_reduction = a.scope;
  decisions_.push_back(std::move(d));
}

std::vector<output> workflow_engine::on_reply(const gate_result& r) {
  std::vector<output> out;
  if (!(at("gate") || at("policy")) || waiting_) return out;
  if (!r.ok) {
    // DESIGN.md: a missing gate input is blocked, never a warning.
    end_early(out, "blocked", ec::blocked, "policy_input_missing",
              "the gate could not read its input: " + r.error);
    return out;
  }
  auto a = policy::assess(ruleset_, r.evidence);
  assessment_ = a;
  const std::string summary = a.human_summary;
  switch (a.status) {
    case messages::gate_status::pass:
    case messages::gate_status::warn: {
      const bool warn = a.status == messages::gate_status::warn;
      record_decision(warn ? "warn" : "allow", "applied", a, false);
      char score[32];
      std::snprintf(score, sizeof score, "%.2f", a.score);
      complete_stage(out, std::string(warn ? "warn" : "pass") + ", score " + score +
                            (approval_ ? ", within the approved scope" : "") +
                            (summary.empty() ? "" : ": " + summary));
      return out;
    }
    case messages::gate_status::block: {
      record_decision("block", "applied", a, false);
      security_alert alert;
      alert.stage = stage();
      alert.score = a.score;
      for (auto rc : a.reason_codes) alert.reason_codes.emplace_back(to_string(rc));
      alert.summary = summary;
      out.emplace_back(alert);
      end_early(out, "blocked", ec::blocked, "policy_block", "blocked by policy: " + summary);
      return out;
    }
    case messages::gate_status::gate: {
      record_decision("gate", "pending_hitl", a, true);
      hitl_request q;
      q.request_id = codec::derive_ulid(start_.run_id, ++calls_, "hitl");
      q.run_id = start_.run_id;
      q.mode = gate_mode_;
      q.diff_hash = codec::sha256_hex(nlohmann::json(r.evidence).dump());
      q.ruleset_hash = start_.audit.ruleset_hash;
      q.score = a.score;
      q.status = "gate";
      for (auto rc : a.reason_codes) q.reason_codes.emplace_back(to_string(rc));
      for (const auto& sg : a.signals)
        q.signals.push_back({sg.file, sg.line_start, sg.line_end, std::string(to_string(sg.type)),
                             std::string(messages::to_string(sg.severity)), sg.message});
      for (const auto& f : r.evidence.files) q.changed_files.push_back(f.path);
      q.allow_files = a.scope.allow_files;
      q.deny_files = a.scope.deny_files;
      q.human_summary = summary;
      q.expires_after_hours = start_.audit.hitl_expires_after_hours;
      pending_ = q;
      hitl_requests_.push_back(q);
      waiting_ = true;
      hitl_status_ = "pending";
      out.emplace_back(q);
      run_pause pause;
      pause.request_id = q.request_id;
      pause.reason = "gated before " + std::string(gate_mode_ == "patch" ? "apply" : "analysis") +
                     ": " + summary + " (casm approve|deny --run-id " + start_.run_id + ")";
      out.emplace_back(pause);
      return out;
    }
  }
  return out;
}

std::vector<output> workflow_engine::on_decision(const approval_decision& d) {
  std::vector<output> out;
  if (!waiting_) return out;
  waiting_ = false;
  std::string mismatch;
  if (d.run_id != start_.run_id) mismatch = "it is for run " + d.run_id;
  else if (d.request_id != pending_.request_id) mismatch = "it answers request " + d.request_id;
  else if (d.diff_hash != pending_.diff_hash) mismatch = "it was given for another diff";
  else if (d.ruleset_hash != start_.audit.ruleset_hash) mismatch = "it was given under another ruleset";
  if (!mismatch.empty()) {
    end_early(out, "failed", ec::bad_input, "policy_rejected",
              "the decision does not bind this gate: " + mismatch);
    return out;
  }
  if (!decisions_.empty()) decisions_.back().status = messages::decision_status::applied;
  if (d.decision == "denied") {
    hitl_status_ = "denied";
    approval_ = d;
    end_early(out, "denied", ec::blocked, "approval_denied",
              "denied by " + d.by + ": " + d.reason);
    return out;
  }
  hitl_status_ = "approved";
  approval_ = d;
  if (gate_mode_ == "incoming") {
    complete_stage(out, "approved by " + d.by + ": " + d.reason);
    return out;
  }
  // The patch: only the approved files; a narrower patch is scored again.
  const size_t planned = plan_.files.size();
  narrow_to_approved_scope(plan_, d);
  if (plan_.files.size() == planned) {
    complete_stage(out, "approved by " + d.by + ": " + d.reason);
    return out;
  }
  if (plan_.files.empty()) {
    complete_stage(out, "approved by " + d.by + " with a scope that leaves nothing to apply");
    return out;
  }
  ask_gate(out, "patch");
  return out;
}

void workflow_engine::end_early(std::vector<output>& out, const std::string& status, int exit_code,
                                std::string kind, std::string reason) {
  fail_stage(out, std::move(kind), std::move(reason), exit_code, status);
}

std::string workflow_engine::render_policy_decisions() const {
  if (!assessment_) return {};
  messages::policy_run_info info = policy_info();
  info.decisions = decisions_;
  return telemetry::render_policy_decisions(*assessment_, info);
}

messages::policy_run_info workflow_engine::policy_info() const {
  messages::policy_run_info info;
  info.run_id = start_.run_id;
  info.template_id = start_.template_id;
  info.repo.type = messages::repo_type::local;
  info.repo.id = codec::display_text(start_.repo);
  info.started_at = start_.started_at;
  info.base = ingest_.base_commit;
  info.head = ingest_.head_commit;
  info.ruleset.id = start_.audit.ruleset_id;
  info.ruleset.hash = start_.audit.ruleset_hash;
  info.ruleset.source = start_.audit.ruleset_source == "override"
                          ? messages::ruleset_source::override
                          : messages::ruleset_source::bundled;
  info.hitl.required = !hitl_requests_.empty();
  info.hitl.mode = info.hitl.required ? messages::hitl_mode::local : messages::hitl_mode::none;
  info.hitl.status = *messages::parse_hitl_status(hitl_status_);
  if (approval_ && approval_->decision == "approved")
    info.hitl.approval = messages::hitl_approval{approval_->by, approval_->decided_at, approval_->reason};
  info.redaction.notes = "No code or secret values: signals carry line ranges and sha256 digests only.";
  return info;
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
  q.policy_decisions = render_policy_decisions();
  q.hitl_requests = hitl_requests_;
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
  q.routing = make_routing_report(q);
  if (start_.proof_mode) add_proof(q);
  return q;
}

void workflow_engine::add_proof(report_request& q) const {
  // All four seed artifacts: a run that never scored a change says so in a
  // policy_decisions.json of its own (a skipped decision, nothing assessed).
  if (q.policy_decisions.empty()) {
    messages::risk_assessment none;
    if (ruleset_ok_) none.thresholds = ruleset_.thresholds;
    none.human_summary = "No change was scored: the run did not reach a policy gate.";
    messages::policy_run_info info = policy_info();
    messages::policy_decision d;
    d.decision_id = codec::derive_ulid(start_.run_id, 1, "decision");
    d.stage = "policy";
    d.action = messages::decision_action::allow;
    d.status = messages::decision_status::skipped;
    info.decisions = {d};
    q.policy_decisions = telemetry::render_policy_decisions(none, info);
  }
  telemetry::run_replay_info r;
  r.run_id = start_.run_id;
  r.started_at = start_.started_at;
  r.template_id = start_.template_id;
  r.template_hash = start_.template_hash;
  r.repo = ingest_.ok && !ingest_.repo_path.empty() ? ingest_.repo_path : start_.repo;
  while (r.repo.size() > 1 && r.repo.back() == '/') r.repo.pop_back();
  r.head_commit = ingest_.ok ? ingest_.head_commit : start_.head_rev;
  r.base_commit = start_.base_rev.empty() ? "" : (ingest_.ok ? ingest_.base_commit : start_.base_rev);
  r.history = start_.audit.history;
  r.ruleset_id = start_.audit.ruleset_id;
  r.ruleset_hash = start_.audit.ruleset_hash;
  r.ruleset_source = start_.audit.ruleset_source;
  r.ruleset_text = start_.audit.ruleset_text;
  r.routing_strategy = start_.routing.strategy;
  if (!start_.routing.constraints.offline) r.providers = start_.routing.constraints.providers;
  r.budget_usd = start_.routing.constraints.max_usd_per_run;
  r.fail_on = start_.audit.fail_on;
  r.baseline_fingerprints = start_.audit.baseline_fingerprints;
  r.outcome = telemetry::outcome_digest(start_.template_hash, start_.audit.ruleset_hash,
                                        assessment_ ? &*assessment_ : nullptr,
                                        q.audit_enabled ? q.audit.findings
                                                        : std::vector<messages::finding>{});
  q.run_replay_sh = telemetry::render_run_replay_sh(r);
}

// --- routed model tasks -----------------------------------------------------

namespace {

bool has_code(const std::vector<std::string>& codes, const char* code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

}  // namespace

void workflow_engine::shard_done(std::vector<output>& out) {
  if (reviews_pending_ == 0 || --reviews_pending_ > 0) return;
  if (budget_stop_) {
    end_early(out, "budget_stopped", ec::budget, "over_budget", budget_reason_);
    return;
  }
  finish_analyze(out);
}

std::set<std::string> workflow_engine::task_paths(const model_task& t) const {
  std::set<std::string> paths;
  if (t.task_type == "review") {
    const auto& shard = shards_[t.shard];
    for (const auto& f : shard.files) paths.insert(f.path);
    for (const auto& c : shard.changes) paths.insert(c.path);
    for (const auto& f : reviews_[t.shard].findings) paths.insert(f.path);
  } else {
    for (const auto& f : fix_work()) paths.insert(f.path);
  }
  return paths;
}

std::vector<messages::finding> workflow_engine::fix_work() const {
  std::vector<messages::finding> out;
  for (const auto& f : merged_.findings) {
    bool suggested = false;
    for (const auto& sg : plan_.suggestions)
      if (sg.path == f.path && sg.line == f.line && sg.rule_id == f.rule_id) suggested = true;
    if (!f.fixable || suggested) out.push_back(f);
  }
  return out;
}

prompt workflow_engine::build_prompt(const model_task& t) const {
  if (t.task_type == "review") {
    const auto& r = reviews_[t.shard];
    auto set = task_paths(t);
    return review_prompt(r.findings, std::vector<std::string>(set.begin(), set.end()), r.excerpt,
                         t.scope);
  }
  return fix_prompt(fix_work(), static_cast<size_t>(t.scope));
}

void workflow_engine::start_review_task(std::vector<output>& out, uint32_t shard) {
  model_task t;
  t.task_id = "review-" + std::to_string(shard);
  t.task_type = "review";
  t.stage = "analyze";
  t.shard = shard;
  // A human approved a risky change: the review of it gets the
  // higher-reasoning profile (the seed's worked example).
  const bool approved = approval_ && approval_->decision == "approved";
  t.profile = approved ? std::string(approved_review_profile) : start_.routing.reviewer_profile;
  t.scope = start_.routing.review_excerpt_bytes;
  auto& slot = tasks_[t.task_id];
  slot = std::move(t);
  route_task(out, slot);
}

workflow_engine::model_task* workflow_engine::task_of_call(const std::string& call_id) {
  auto it = call_task_.find(call_id);
  if (it == call_task_.end()) return nullptr;
  auto t = tasks_.find(it->second);
  return t == tasks_.end() ? nullptr : &t->second;
}

bool workflow_engine::task_stage_live(const model_task& t) const {
  return at(t.stage.c_str()) && !waiting_;
}

void workflow_engine::route_task(std::vector<output>& out, model_task& t) {
  const auto& rc = start_.routing;
  if (budget_stop_) {
    finish_task(out, t, "stopped_by_budget");
    return;
  }
  // Every fallback routes again; a task gets a bounded number of tries.
  if (++t.routes > 8) {
    finish_task(out, t, "model_failed: too many fallbacks");
    return;
  }
  messages::routing_task rt;
  rt.task_id = t.task_id;
  rt.task_type = t.task_type;
  rt.stage = t.stage;
  rt.profile = t.profile;
  rt.exclude_models = t.tried;
  const bool review = t.task_type == "review";
  rt.max_output_tokens = review ? rc.review_max_output_tokens : rc.fix_max_output_tokens;
  if (rc.constraints.offline) {
    // The offline provider's stand-in figures (simulated).
    if (review) {
      rt.estimated_input_tokens = (reviews_[t.shard].bytes_scanned + 3) / 4;
      rt.estimated_output_tokens = 24 * reviews_[t.shard].findings.size();
    } else {
      const uint64_t n = fix_work().size();
      rt.estimated_input_tokens = 64 * n;
      rt.estimated_output_tokens = 48 * n;
    }
  } else {
    t.text = build_prompt(t);
    rt.estimated_input_tokens = t.text.input_token_bound();
    rt.estimated_output_tokens = std::min<uint64_t>(review ? 256 : 800, rt.max_output_tokens);
  }
  t.asked = rt;
  route_request q;
  q.call_id = next_call_id();
  q.run_id = start_.run_id;
  q.day = rc.day;
  q.strategy = rc.strategy;
  q.task = std::move(rt);
  q.constraints = rc.constraints;
  call_task_[q.call_id] = t.task_id;
  out.emplace_back(std::move(q));
}

void workflow_engine::finish_task(std::vector<output>& out, model_task& t,
                                  const std::string& outcome) {
  if (t.done) return;
  t.done = true;
  t.outcome = outcome;
  if (!task_stage_live(t)) return;
  if (t.task_type == "review") {
    shard_done(out);
    return;
  }
  if (budget_stop_) {
    end_early(out, "budget_stopped", ec::budget, "over_budget", budget_reason_);
    return;
  }
  begin_apply(out);
}

void workflow_engine::fall_back(std::vector<output>& out, model_task& t,
                                telemetry::failure_kind kind, const std::string& detail) {
  const auto& rc = start_.routing;
  const std::string failed_model = t.decision.has_selection ? t.decision.selected.model : "";
  auto step = telemetry::next_fallback(t.decision, failed_model, kind, rc.constraints.fallbacks,
                                       t.taken);
  t.taken.push_back(step);
  fallback_note n;
  n.task_id = t.task_id;
  n.on = step.on;
  n.action = step.action;
  n.reason_code = step.reason_code;
  n.failed_model = step.failed_model;
  n.failed_endpoint = step.failed_endpoint;
  if (step.has_next) n.next_model = step.next.model;
  n.next_profile = step.next_profile;
  n.detail = codec::display_text(detail);
  fallback_log_.push_back(n);
  out.emplace_back(std::move(n));
  if (step.action == "stop" || step.action == "escalate_hitl") {
    if (kind == telemetry::failure_kind::over_budget) {
      budget_stop_ = true;
      if (budget_reason_.empty())
        budget_reason_ = "stopped by budget: " + t.task_id + ": " + detail;
      finish_task(out, t, "stopped_by_budget");
    } else {
      finish_task(out, t,
                  step.action == "escalate_hitl" ? "needs_human: " + detail : "model_failed: " + detail);
    }
    return;
  }
  if (step.action == "reduce_scope") {
    t.scope = std::max<uint64_t>(1, t.scope / 2);
    route_task(out, t);
    return;
  }
  auto tried = [&](const std::string& m) {
    if (!m.empty() && std::find(t.tried.begin(), t.tried.end(), m) == t.tried.end())
      t.tried.push_back(m);
  };
  tried(failed_model);
  if (kind == telemetry::failure_kind::provider_error)
    for (const auto& c : t.decision.candidates)
      if (c.endpoint == step.failed_endpoint) tried(c.model);
  if (!step.next_profile.empty()) t.profile = step.next_profile;
  route_task(out, t);
}

std::vector<output> workflow_engine::on_reply(const route_result& r) {
  std::vector<output> out;
  model_task* t = task_of_call(r.call_id);
  if (!t || t->done || !task_stage_live(*t)) return out;
  const auto& rc = start_.routing;
  if (!r.ok) {
    finish_task(out, *t, "model_failed: " + r.error);
    return out;
  }
  // The router's decision, derived again from the view it was made on.
  auto strat = telemetry::parse_strategy(rc.strategy)
                 .value_or(telemetry::strategy::cost_aware_quality_floor);
  auto d = telemetry::route(t->asked, strat, rc.prices, rc.prices.profiles, r.budget, r.breakers,
                            rc.constraints);
  if (nlohmann::json(d) != nlohmann::json(r.decision)) {
    fail_stage(out, "internal",
               "the router's decision for " + t->task_id +
                 " differs from this build's telemetry::route() on the same budget and breaker view",
               ec::runtime_failure);
    return out;
  }
  routing_log_.push_back(d);
  t->decision = d;
  if (!d.has_selection) {
    if (has_code(d.reason_codes, "NO_CANDIDATE_AFFORDABLE")) {
      fall_back(out, *t, telemetry::failure_kind::over_budget,
                "no candidate's worst case fits the remaining budget");
      return out;
    }
    std::string codes;
    for (const auto& c : d.reason_codes) codes += (codes.empty() ? "" : ", ") + c;
    finish_task(out, *t, "no_model: " + codes);
    return out;
  }
  if (d.selected.endpoint == "offline") {
    finish_task(out, *t, "offline");
    return out;
  }
  if (!r.reservation.granted) {
    const bool breaker = r.reservation.reason_code == "CIRCUIT_OPEN";
    fall_back(out, *t,
              breaker ? telemetry::failure_kind::provider_error
                      : telemetry::failure_kind::over_budget,
              "the reservation of " + d.selected.model + " was refused: " +
                r.reservation.reason_code +
                (r.reservation.refused_level.empty() ? "" : " at " + r.reservation.refused_level));
    return out;
  }
  t->held = r.reservation.held;
  model_call c;
  c.call_id = next_call_id();
  c.task_id = t->task_id;
  c.endpoint = d.selected.endpoint;
  c.reservation_id = t->held.id;
  c.timeout_ms = rc.call_timeout_ms;
  c.max_attempts = rc.max_attempts;
  c.request.call_id = c.call_id;
  c.request.task_id = t->task_id;
  c.request.model = d.selected.model;
  c.request.system = t->text.system;
  c.request.messages.push_back({"user", t->text.user});
  c.request.max_output_tokens = d.max_output_tokens ? d.max_output_tokens : t->asked.max_output_tokens;
  call_task_[c.call_id] = t->task_id;
  out.emplace_back(std::move(c));
  return out;
}

std::vector<output> workflow_engine::on_reply(const model_reply& m) {
  std::vector<output> out;
  model_task* t = task_of_call(m.call_id);
  if (!t || t->done) return out;
  // Settled whatever happens next: the hold must become the actual cost.
  t->reply = m;
  settle_request s;
  s.call_id = next_call_id();
  s.run_id = start_.run_id;
  s.task_id = t->task_id;
  s.reservation_id = t->held.id;
  s.endpoint = t->decision.selected.endpoint;
  s.model = t->decision.selected.model;
  s.answered_model = m.model;
  s.ok = m.ok;
  s.error_kind = m.error_kind;
  s.usage_present = m.usage_present;
  s.tokens = m.tokens;
  call_task_[s.call_id] = t->task_id;
  out.emplace_back(std::move(s));
  return out;
}

std::vector<output> workflow_engine::on_reply(const settle_result& sr) {
  std::vector<output> out;
  model_task* t = task_of_call(sr.call_id);
  if (!t || t->done) return out;
  const auto& m = t->reply;
  const auto& sel = t->decision.selected;
  messages::call_record rec;
  rec.call_id = m.call_id;
  rec.task_id = t->task_id;
  rec.task_type = t->task_type;
  rec.stage = t->stage;
  rec.provider = sel.provider;
  rec.endpoint = sel.endpoint;
  rec.model = sel.model;
  rec.answered_model = m.model;
  rec.ok = m.ok;
  rec.error_kind = m.error_kind;
  rec.tokens = m.tokens;
  rec.usage_present = m.usage_present;
  rec.cost = sr.actual;
  rec.reserved_usd = sr.reserved_usd;
  rec.latency_ms = m.latency_ms;
  rec.attempts = m.attempts;
  messages::model_usage u;
  u.task_id = t->task_id;
  u.task_type = t->task_type;
  u.provider = telemetry::schema_provider(sel.provider);
  u.model = sel.model;
  u.input_tokens = m.tokens.input_tokens;
  u.output_tokens = m.tokens.output_tokens;
  u.cost_usd = sr.actual.usd;
  u.truth = sr.actual.truth;
  usage_.push_back(u);
  if (!task_stage_live(*t)) {
    call_log_.push_back(std::move(rec));
    t->done = true;
    t->outcome = "abandoned: the stage ended";
    return out;
  }
  if (m.ok) {
    output_check oc;
    oc.call_id = m.call_id;
    oc.task_id = t->task_id;
    oc.model = sel.model;
    std::string reason;
    if (t->task_type == "review") {
      auto v = check_review_output(m.content, task_paths(*t));
      oc.accepted = v.accepted;
      reason = v.reason;
      oc.items = v.issues.size();
      if (v.accepted)
        for (auto& i : v.issues) {
          i.task_id = t->task_id;
          i.model = sel.model;
          model_issues_.push_back(std::move(i));
        }
    } else {
      auto v = check_fix_output(m.content, task_paths(*t));
      oc.accepted = v.accepted;
      reason = v.reason;
      oc.items = v.files.size();
      if (v.accepted) model_patch_ = v.diff;
    }
    oc.reason = reason;
    rec.output = oc.accepted ? "accepted" : "rejected: " + reason;
    call_log_.push_back(std::move(rec));
    out.emplace_back(std::move(oc));
    if (out.size() && std::get<output_check>(out.back()).accepted) {
      finish_task(out, *t, "model_ok");
      return out;
    }
    fall_back(out, *t, telemetry::failure_kind::low_quality,
              "the output of " + sel.model + " was rejected: " + reason);
    return out;
  }
  call_log_.push_back(std::move(rec));
  auto kind = telemetry::failure_of(m.error_kind).value_or(telemetry::failure_kind::provider_error);
  fall_back(out, *t, kind, (m.error_kind.empty() ? std::string("error") : m.error_kind) + ": " + m.error);
  return out;
}

messages::routing_report workflow_engine::make_routing_report(const report_request& q) const {
  messages::routing_report rep;
  const auto& rc = start_.routing;
  if (!rc.enabled) return rep;
  telemetry::artifact_run run{start_.run_id, start_.template_id, start_.started_at, ""};
  auto strat = telemetry::parse_strategy(rc.strategy)
                 .value_or(telemetry::strategy::cost_aware_quality_floor);
  // The proof artifacts hold one decision per task: its last one that
  // selected a model (the model it last ran with), else its last one (a
  // task nothing could be selected for is then named in the notes). Every
  // decision, fallbacks included, is in the log and `explain`.
  std::vector<messages::routing_decision> last;
  std::map<std::string, size_t> at_index;
  for (const auto& d : routing_log_) {
    auto it = at_index.find(d.task_id);
    if (it == at_index.end()) {
      at_index[d.task_id] = last.size();
      last.push_back(d);
    } else if (d.has_selection || !last[it->second].has_selection) {
      last[it->second] = d;
    }
  }
  rep.routing_decisions = telemetry::render_routing_decisions(run, strat, rc.constraints, last);

  telemetry::cost_summary_input cs;
  cs.run = run;
  cs.status = q.status;
  cs.exit_code = q.exit_code;
  cs.reason = q.reason;
  cs.strategy = rc.strategy;
  cs.constraints = rc.constraints;
  cs.prices = rc.prices;
  cs.decisions = routing_log_;
  cs.last_decisions = last;
  cs.calls = call_log_;
  cs.fallbacks = fallback_log_;
  for (const auto& [id, t] : tasks_) cs.task_outcomes.push_back({id, t.outcome});
  for (const auto& u : usage_)
    if (u.truth == messages::truth::simulated) cs.simulated.push_back(u);
  cs.issues_found = merged_.findings.size() + model_issues_.size();
  cs.model_issues = model_issues_;
  cs.issues_fixed = fix_attempted_ && fix_.ok ? plan_.planned_lines : 0;
  cs.loc_audited = lines_scanned_;
  cs.tasks_verified = validation_attempted_ && validation_.ok && validation_.status == "passed" ? 1 : 0;
  cs.budget_stopped = budget_stop_;
  cs.model_patch = !model_patch_.empty();
  rep.cost_forecast = telemetry::render_cost_forecast(telemetry::cost_forecast_from(cs));
  rep.cost_report = telemetry::render_cost_report_md(cs);
  rep.run_summary = telemetry::render_run_summary(cs);
  rep.model_patch = model_patch_;
  return rep;
}

}  // namespace casm::workflow
