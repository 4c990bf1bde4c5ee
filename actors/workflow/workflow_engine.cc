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
    reviews_.assign(shards_.size(), review_result{});
    reviews_pending_ = shards_.size();
    for (const auto& shard : shards_) out.emplace_back(shard);
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
  info.decisions = decisions_;
  info.redaction.notes = "No code or secret values: signals carry line ranges and sha256 digests only.";
  return telemetry::render_policy_decisions(*assessment_, info);
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
  return q;
}

}  // namespace casm::workflow
