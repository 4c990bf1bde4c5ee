// `casm policy validate FILE` and `casm policy score`: the policy gate
// without a run, for CI and pre-commit hooks (docs/policy.md).
//
// score reads base..head from the object database (agents::read_diff_facts),
// collects the evidence and assesses it with the same pure functions a run
// uses, and exits 0 on pass/warn, 3 on gate, 4 on block, 2 on bad input.
// Nothing it prints quotes a line of the diff: signals carry a location, a
// rule id and a digest.
#include <cstdint>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/agents/diff_reader.h"
#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "messages/codec/timestamp.h"
#include "messages/codec/ulid.h"
#include "messages/data/risk.h"
#include "messages/data/vocabulary.h"
#include "policy/risk.h"
#include "runtime/commands.h"
#include "runtime/ruleset_loader.h"
#include "telemetry/policy_decisions_writer.h"

namespace casm::runtime {

namespace {

using nlohmann::json;
namespace ex = messages::exit_code;

// analyze.max_file_bytes' default: a changed blob over it is not read, and
// the change is scored as unreadable (it gates).
constexpr uint64_t max_file_bytes = 1 << 20;

constexpr const char* score_template_id = "policy-score";
constexpr const char* score_stage = "policy_gate";

std::string shown(const std::string& bytes) { return codec::display_text(bytes); }

std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

template <class T, class F>
std::string joined(const std::vector<T>& xs, F name, const std::string& empty = "(none)") {
  if (xs.empty()) return empty;
  std::string out;
  for (size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + name(xs[i]);
  return out;
}

int exit_code_of(messages::gate_status s) {
  switch (s) {
    case messages::gate_status::gate: return ex::gated;
    case messages::gate_status::block: return ex::blocked;
    case messages::gate_status::pass:
    case messages::gate_status::warn: return ex::ok;
  }
  return ex::runtime_failure;
}

json error_json(const codec::config_error& e) {
  return {{"file", shown(e.file)},    {"line", e.line},
          {"column", e.column},       {"key", shown(e.key)},
          {"message", shown(e.message)}, {"text", shown(e.to_string())}};
}

// A run id for a score that has no run: the same repository, commits and
// ruleset give the same id (time part: head's commit time).
std::string score_run_id(const std::string& repo, const agents::diff_facts& facts,
                         const std::string& ruleset_hash) {
  const std::string digest = codec::sha256_hex(repo + '\0' + facts.base_commit + '\0' +
                                               facts.head_commit + '\0' + ruleset_hash);
  codec::ulid_entropy entropy{};
  for (size_t i = 0; i < entropy.size(); ++i)
    entropy[i] = static_cast<uint8_t>(std::stoi(digest.substr(2 * i, 2), nullptr, 16));
  const int64_t head_ms = facts.head_time > 0 ? facts.head_time * 1000 : 0;
  return codec::make_ulid(static_cast<uint64_t>(head_ms), entropy);
}

messages::policy_run_info score_run_info(const policy_score_options& o,
                                         const agents::diff_facts& facts,
                                         const loaded_ruleset& rs,
                                         const messages::risk_assessment& a) {
  messages::policy_run_info run;
  run.run_id = score_run_id(o.repo, facts, rs.hash);
  run.template_id = score_template_id;
  run.repo.type = messages::repo_type::local;
  run.repo.id = o.repo;
  run.started_at = codec::format_timestamp(codec::wall_clock_ms());
  run.base = facts.base_commit;
  run.head = facts.head_commit;
  run.ruleset.id = rs.id;
  run.ruleset.hash = rs.hash;
  run.ruleset.source =
    messages::parse_ruleset_source(rs.source).value_or(messages::ruleset_source::override);
  // `casm policy score` has no approval channel: a gate is reported, and
  // the exit code (3) leaves the decision to whoever runs it.
  run.hitl = telemetry::pending_hitl(a, messages::hitl_mode::none);
  run.decisions = telemetry::gate_decisions(a, run.run_id, score_stage, /*scope_applied=*/false);
  run.redaction.secrets = true;
  run.redaction.snippets_included = false;
  run.redaction.notes =
    "No diff text is included: each signal names a file, a line range, a rule id and the "
    "sha256 of the diff hunk. Secret values are never written.";
  return run;
}

std::string location(const messages::risk_signal& s) {
  std::string out = shown(s.file);
  if (s.line_start > 0) {
    out += ":" + std::to_string(s.line_start);
    if (s.line_end > s.line_start) out += "-" + std::to_string(s.line_end);
  }
  return out;
}

void print_assessment(const policy_score_options& o, const agents::diff_facts& facts,
                      const loaded_ruleset& rs, const messages::risk_assessment& a) {
  auto& out = std::cout;
  const auto& t = a.thresholds;
  out << "status: " << to_string(a.status) << " (exit " << exit_code_of(a.status) << ")\n";
  out << "repo: " << shown(o.repo) << "  base " << facts.base_commit << "  head "
      << facts.head_commit << "\n";
  out << "ruleset: " << rs.id << " (" << rs.source << ", sha256 " << rs.hash << ")\n";
  out << "score: " << fixed2(a.score) << " (warn " << fixed2(t.warn) << ", gate "
      << fixed2(t.gate) << ", block " << fixed2(t.block) << ")\n";
  out << "components:\n";
  for (const auto& c : a.components) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-24s weight %.2f  contribution %.4f  evidence %u\n",
                  c.name.c_str(), c.weight, c.contribution, c.evidence_count);
    out << line;
  }
  auto condition = [](messages::gating_condition c) { return std::string(to_string(c)); };
  if (!a.block_conditions_met.empty())
    out << "block conditions met: " << joined(a.block_conditions_met, condition) << "\n";
  if (!a.hitl_conditions_met.empty())
    out << "hitl conditions met: " << joined(a.hitl_conditions_met, condition) << "\n";
  if (a.unreadable_change) out << "unreadable change: gates by itself\n";
  out << "reason codes: "
      << joined(a.reason_codes, [](messages::reason_code r) { return std::string(to_string(r)); })
      << "\n";
  out << "signals:" << (a.signals.empty() ? " (none)" : "") << "\n";
  for (const auto& s : a.signals)
    out << "  " << location(s) << "  " << to_string(s.type) << "  " << to_string(s.severity)
        << "  " << shown(s.message) << "\n";
  const auto& scope = a.scope;
  auto path = [](const std::string& p) { return shown(p); };
  out << "suggested scope: deny " << joined(scope.deny_files, path) << "; allow "
      << joined(scope.allow_files, path) << "\n";
  if (!scope.notes.empty()) out << "  " << shown(scope.notes) << "\n";
  if (!a.actions.empty())
    out << "actions: " << joined(a.actions, [](const std::string& s) { return s; }) << "\n";
  out << "summary: " << shown(a.human_summary) << "\n";
}

}  // namespace

int cmd_policy_validate(const global_options&, const std::string& file, bool json_out) {
  loaded_ruleset rs;
  std::vector<codec::config_error> errors;
  const bool ok = load_ruleset(file, rs, errors);
  if (json_out) {
    json j = {{"ok", ok}, {"file", shown(file)}};
    if (ok) {
      j["ruleset"] = rs.id;
      j["sha256"] = rs.hash;
      j["source"] = rs.source;
    }
    json list = json::array();
    for (const auto& e : errors) list.push_back(error_json(e));
    j["errors"] = std::move(list);
    std::cout << j.dump(2) << "\n";
  } else if (ok) {
    std::cout << "ruleset OK: " << rs.id << ", sha256 " << rs.hash << "\n";
  } else {
    for (const auto& e : errors) print_error(e.to_string());
  }
  return ok ? ex::ok : ex::bad_input;
}

int cmd_policy_score(const global_options&, const policy_score_options& o) {
  loaded_ruleset rs;
  std::vector<codec::config_error> errors;
  if (!load_ruleset(o.ruleset, rs, errors)) {
    for (const auto& e : errors) print_error(e.to_string());
    return ex::bad_input;
  }
  std::string error;
  const auto heuristics = policy::build_heuristics_scanner(rs.rules, &error);
  if (!heuristics) {
    print_error("the patterns of ruleset " + rs.id + " do not compile: " + error);
    return ex::bad_input;
  }
  agents::diff_facts facts;
  if (!agents::read_diff_facts(o.repo, o.base, o.head, rs.rules, max_file_bytes, facts, error)) {
    print_error(error);
    return ex::bad_input;
  }
  const auto evidence = policy::collect_evidence(*heuristics, facts.files, facts.manifests);
  const auto assessment = policy::assess(rs.rules, evidence);
  if (o.json)
    std::cout << telemetry::render_policy_decisions(assessment,
                                                    score_run_info(o, facts, rs, assessment));
  else
    print_assessment(o, facts, rs, assessment);
  return exit_code_of(assessment.status);
}

}  // namespace casm::runtime
