#include "telemetry/policy_decisions_writer.h"

#include <algorithm>

#include "messages/codec/json_text.h"
#include "messages/codec/ulid.h"

namespace casm::telemetry {

using codec::json;
using messages::reason_code;

namespace {

std::string text(const std::string& bytes) { return codec::display_text(bytes); }

json strings(const std::vector<std::string>& xs) {
  json out = json::array();
  for (const auto& x : xs) out.push_back(text(x));
  return out;
}

json codes(const std::vector<reason_code>& rs) {
  json out = json::array();
  for (auto r : rs) out.push_back(std::string(to_string(r)));
  return out;
}

json run_of(const messages::policy_run_info& run) {
  return {
    {"run_id", run.run_id},
    {"template_id", run.template_id},
    {"repo", {{"type", std::string(to_string(run.repo.type))}, {"id", text(run.repo.id)}}},
    {"started_at", run.started_at},
    {"commit", {{"base", run.base}, {"head", run.head}}},
  };
}

json signal_of(const messages::risk_signal& s) {
  json j = {
    {"signal_id", s.signal_id},
    {"type", std::string(to_string(s.type))},
    {"severity", std::string(to_string(s.severity))},
    {"file", text(s.file)},
    {"message", text(s.message)},
  };
  if (s.line_start > 0) {
    j["line_start"] = s.line_start;
    j["line_end"] = std::max(s.line_end, s.line_start);
  }
  json evidence = {{"kind", std::string(to_string(s.evidence.kind))}};
  if (!s.evidence.pattern_id.empty()) evidence["pattern_id"] = text(s.evidence.pattern_id);
  if (!s.evidence.diff_hunk_sha256.empty())
    evidence["diff_hunk_sha256"] = s.evidence.diff_hunk_sha256;
  j["evidence"] = std::move(evidence);
  return j;
}

json scope_of(const messages::scope_reduction& s) {
  json j = {{"allow_files", strings(s.allow_files)}, {"deny_files", strings(s.deny_files)}};
  if (!s.notes.empty()) j["notes"] = text(s.notes);
  return j;
}

json decision_of(const messages::policy_decision& d) {
  json j = {
    {"decision_id", d.decision_id},
    {"stage", d.stage},
    {"action", std::string(to_string(d.action))},
    {"status", std::string(to_string(d.status))},
    {"reason_codes", codes(d.reason_codes)},
  };
  if (d.scope_reduction) j["scope_reduction"] = scope_of(*d.scope_reduction);
  return j;
}

json hitl_of(const messages::policy_hitl& h) {
  json j = {
    {"required", h.required},
    {"mode", std::string(to_string(h.mode))},
    {"status", std::string(to_string(h.status))},
  };
  if (h.approval)
    j["approval"] = {{"approved_by", text(h.approval->approved_by)},
                     {"approved_at", h.approval->approved_at},
                     {"reason", text(h.approval->reason)}};
  return j;
}

bool explains_denied_files(reason_code r) {
  return r == reason_code::path_sensitive_high || r == reason_code::dep_change ||
         r == reason_code::dep_new || r == reason_code::dep_major_bump ||
         r == reason_code::lockfile_change;
}

}  // namespace

std::string render_policy_decisions(const messages::risk_assessment& a,
                                    const messages::policy_run_info& run) {
  json components = json::array();
  for (const auto& c : a.components)
    components.push_back({{"name", c.name},
                          {"weight", c.weight},
                          {"contribution", c.contribution},
                          {"evidence_count", c.evidence_count}});
  json signals = json::array();
  for (const auto& s : a.signals) signals.push_back(signal_of(s));
  json decisions = json::array();
  for (const auto& d : run.decisions) decisions.push_back(decision_of(d));

  const json doc = {
    {"schema_version", "0.1"},
    {"run", run_of(run)},
    {"ruleset",
     {{"id", run.ruleset.id},
      {"hash", run.ruleset.hash},
      {"source", std::string(to_string(run.ruleset.source))}}},
    {"summary",
     {{"status", std::string(to_string(a.status))},
      {"reason_codes", codes(a.reason_codes)},
      {"human_summary", text(a.human_summary)}}},
    {"risk",
     {{"score", a.score},
      {"thresholds",
       {{"warn", a.thresholds.warn}, {"gate", a.thresholds.gate}, {"block", a.thresholds.block}}},
      {"components", std::move(components)}}},
    {"signals", std::move(signals)},
    {"decisions", std::move(decisions)},
    {"hitl", hitl_of(run.hitl)},
    {"redaction",
     {{"secrets", run.redaction.secrets},
      {"snippets_included", run.redaction.snippets_included},
      {"notes", text(run.redaction.notes)}}},
  };
  return doc.dump(2) + "\n";
}

std::vector<messages::policy_decision> gate_decisions(const messages::risk_assessment& a,
                                                      const std::string& run_id,
                                                      const std::string& stage,
                                                      bool scope_applied) {
  using messages::decision_action;
  using messages::decision_status;
  using messages::gate_status;
  std::vector<messages::policy_decision> out;

  messages::policy_decision gate;
  gate.decision_id = codec::derive_ulid(run_id, 1, "policy/" + stage);
  gate.stage = stage;
  switch (a.status) {
    case gate_status::pass: gate.action = decision_action::allow; break;
    case gate_status::warn: gate.action = decision_action::warn; break;
    case gate_status::gate: gate.action = decision_action::gate; break;
    case gate_status::block: gate.action = decision_action::block; break;
  }
  gate.status =
    a.status == gate_status::gate ? decision_status::pending_hitl : decision_status::applied;
  gate.reason_codes = a.reason_codes;
  out.push_back(std::move(gate));

  if (!a.scope.deny_files.empty() && a.status != gate_status::block) {
    messages::policy_decision scope;
    scope.decision_id = codec::derive_ulid(run_id, 2, "policy/" + stage);
    scope.stage = stage;
    scope.action = decision_action::scope_reduce;
    scope.status = scope_applied ? decision_status::applied : decision_status::skipped;
    for (auto r : a.reason_codes)
      if (explains_denied_files(r)) scope.reason_codes.push_back(r);
    scope.scope_reduction = a.scope;
    out.push_back(std::move(scope));
  }
  return out;
}

messages::policy_hitl pending_hitl(const messages::risk_assessment& a, messages::hitl_mode mode) {
  messages::policy_hitl h;
  h.required = a.status == messages::gate_status::gate;
  h.mode = h.required ? mode : messages::hitl_mode::none;
  h.status = h.required ? messages::hitl_status::pending : messages::hitl_status::not_required;
  return h;
}

}  // namespace casm::telemetry
