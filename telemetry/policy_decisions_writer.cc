#include "telemetry/policy_decisions_writer.h"

#include <algorithm>

#include "messages/codec/json_text.h"
#include "messages/codec/ulid.h"
#include "messages/data/fields.h"

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

std::string render_policy_decisions_dom(const messages::risk_assessment& a,
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

namespace {

// nlohmann's dump(2), written directly: objects and arrays open on their
// line, each member on a line of its own indented two more, `"key": value`,
// empty ones as {} and []; strings escaped as json_write_string does (the
// same escapes as dump's), doubles by nlohmann itself. Keys are given in
// sorted order by the caller, as nlohmann's std::map would hold them.
class pretty_writer {
public:
  std::string out;
  bool not_utf8 = false;  // a raw string was not UTF-8: nlohmann would throw

  void open(char c) {
    out += c;
    indent_ += 2;
    first_.push_back(true);
  }
  void close(char c) {
    indent_ -= 2;
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) {
      out += '\n';
      out.append(indent_, ' ');
    }
    out += c;
  }
  // The next member of the current array.
  void item() {
    if (!first_.back()) out += ',';
    first_.back() = false;
    out += '\n';
    out.append(indent_, ' ');
  }
  // The next member of the current object; `k` needs no escape.
  pretty_writer& key(std::string_view k) {
    item();
    out += '"';
    out += k;
    out += "\": ";
    return *this;
  }
  // A string that nlohmann would take as is (throwing if not UTF-8).
  void raw(std::string_view s) {
    if (!codec::is_utf8(s)) not_utf8 = true;
    messages::json_write_string(out, s);
  }
  // A string as text(): display_text is always UTF-8.
  void shown(const std::string& bytes) {
    if (codec::is_utf8(bytes)) messages::json_write_string(out, bytes);
    else messages::json_write_string(out, codec::display_text(bytes));
  }
  void number(uint64_t v) { out += std::to_string(v); }
  void number(double v) { out += json(v).dump(); }
  void boolean(bool v) { out += v ? "true" : "false"; }

private:
  size_t indent_ = 0;
  std::vector<bool> first_;
};

void write_codes(pretty_writer& w, const std::vector<reason_code>& rs) {
  w.open('[');
  for (auto r : rs) {
    w.item();
    w.raw(to_string(r));
  }
  w.close(']');
}

void write_strings(pretty_writer& w, const std::vector<std::string>& xs) {
  w.open('[');
  for (const auto& x : xs) {
    w.item();
    w.shown(x);
  }
  w.close(']');
}

void write_decision(pretty_writer& w, const messages::policy_decision& d) {
  w.open('{');
  w.key("action").raw(to_string(d.action));
  w.key("decision_id").raw(d.decision_id);
  w.key("reason_codes");
  write_codes(w, d.reason_codes);
  if (d.scope_reduction) {
    const auto& s = *d.scope_reduction;
    w.key("scope_reduction").open('{');
    w.key("allow_files");
    write_strings(w, s.allow_files);
    w.key("deny_files");
    write_strings(w, s.deny_files);
    if (!s.notes.empty()) w.key("notes").shown(s.notes);
    w.close('}');
  }
  w.key("stage").raw(d.stage);
  w.key("status").raw(to_string(d.status));
  w.close('}');
}

void write_signal(pretty_writer& w, const messages::risk_signal& s) {
  w.open('{');
  w.key("evidence").open('{');
  if (!s.evidence.diff_hunk_sha256.empty())
    w.key("diff_hunk_sha256").raw(s.evidence.diff_hunk_sha256);
  w.key("kind").raw(to_string(s.evidence.kind));
  if (!s.evidence.pattern_id.empty()) w.key("pattern_id").shown(s.evidence.pattern_id);
  w.close('}');
  w.key("file").shown(s.file);
  if (s.line_start > 0) {
    w.key("line_end").number(uint64_t{std::max(s.line_end, s.line_start)});
    w.key("line_start").number(uint64_t{s.line_start});
  }
  w.key("message").shown(s.message);
  w.key("severity").raw(to_string(s.severity));
  w.key("signal_id").raw(s.signal_id);
  w.key("type").raw(to_string(s.type));
  w.close('}');
}

}  // namespace

std::string render_policy_decisions(const messages::risk_assessment& a,
                                    const messages::policy_run_info& run) {
  pretty_writer w;
  w.out.reserve(2048 + 512 * (a.signals.size() + run.decisions.size()));
  w.open('{');
  w.key("decisions").open('[');
  for (const auto& d : run.decisions) {
    w.item();
    write_decision(w, d);
  }
  w.close(']');

  const auto& h = run.hitl;
  w.key("hitl").open('{');
  if (h.approval) {
    w.key("approval").open('{');
    w.key("approved_at").raw(h.approval->approved_at);
    w.key("approved_by").shown(h.approval->approved_by);
    w.key("reason").shown(h.approval->reason);
    w.close('}');
  }
  w.key("mode").raw(to_string(h.mode));
  w.key("required").boolean(h.required);
  w.key("status").raw(to_string(h.status));
  w.close('}');

  w.key("redaction").open('{');
  w.key("notes").shown(run.redaction.notes);
  w.key("secrets").boolean(run.redaction.secrets);
  w.key("snippets_included").boolean(run.redaction.snippets_included);
  w.close('}');

  w.key("risk").open('{');
  w.key("components").open('[');
  for (const auto& c : a.components) {
    w.item();
    w.open('{');
    w.key("contribution").number(c.contribution);
    w.key("evidence_count").number(uint64_t{c.evidence_count});
    w.key("name").raw(c.name);
    w.key("weight").number(c.weight);
    w.close('}');
  }
  w.close(']');
  w.key("score").number(a.score);
  w.key("thresholds").open('{');
  w.key("block").number(a.thresholds.block);
  w.key("gate").number(a.thresholds.gate);
  w.key("warn").number(a.thresholds.warn);
  w.close('}');
  w.close('}');

  w.key("ruleset").open('{');
  w.key("hash").raw(run.ruleset.hash);
  w.key("id").raw(run.ruleset.id);
  w.key("source").raw(to_string(run.ruleset.source));
  w.close('}');

  w.key("run").open('{');
  w.key("commit").open('{');
  w.key("base").raw(run.base);
  w.key("head").raw(run.head);
  w.close('}');
  w.key("repo").open('{');
  w.key("id").shown(run.repo.id);
  w.key("type").raw(to_string(run.repo.type));
  w.close('}');
  w.key("run_id").raw(run.run_id);
  w.key("started_at").raw(run.started_at);
  w.key("template_id").raw(run.template_id);
  w.close('}');

  w.key("schema_version").raw("0.1");
  w.key("signals").open('[');
  for (const auto& s : a.signals) {
    w.item();
    write_signal(w, s);
  }
  w.close(']');

  w.key("summary").open('{');
  w.key("human_summary").shown(a.human_summary);
  w.key("reason_codes");
  write_codes(w, a.reason_codes);
  w.key("status").raw(to_string(a.status));
  w.close('}');
  w.close('}');

  // nlohmann throws on a string that is not UTF-8: let it, as before.
  if (w.not_utf8) return render_policy_decisions_dom(a, run);
  w.out += '\n';
  return std::move(w.out);
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
