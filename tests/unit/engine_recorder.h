// Synthetic recorded runs for replay tests and the replay bench: a
// workflow_engine driven by fake agents, its messages recorded in the order
// the supervisor records them (each output as it is emitted, each reply
// before it is delivered). Header-only; test and bench support, not product.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/workflow/workflow_engine.h"
#include "actors/workflow/workflows.h"
#include "messages/codec/digest.h"
#include "messages/codec/ulid.h"
#include "runtime/embedded_config.h"

namespace casm::test {

using nlohmann::json;
using namespace casm::messages;
using workflow::output;

inline const char* type_of(const output& o) {
  return std::visit([](const auto& m) { return event_type<std::decay_t<decltype(m)>>::value; }, o);
}

inline json payload_of(const output& o) {
  return std::visit([](const auto& m) { return json(m); }, o);
}

struct fake_agents {
  std::function<ingest_result(const ingest_request&)> ingest;
  std::function<review_result(const review_request&)> review;
  std::function<fix_result(const fix_request&)> fix;
  std::function<validate_result(const validate_request&)> validate;
  std::function<report_result(const report_request&)> report;
  std::function<gate_result(const gate_request&)> gate;
  // A human's decision on a paused run; none leaves the run paused.
  std::function<std::optional<approval_decision>(const hitl_request&)> decide;
};

// Which outstanding request is answered next: an index into `pending`.
using answer_order = std::function<size_t(const std::deque<output>& pending)>;

inline size_t oldest_first(const std::deque<output>&) { return 0; }
inline size_t newest_first(const std::deque<output>& pending) { return pending.size() - 1; }

// Records: {"seq", "kind", "type", "payload"}, starting with config.pinned.
inline std::vector<json> record_run(const run_start& start, const fake_agents& agents,
                                    const answer_order& order = oldest_first) {
  std::vector<json> log;
  auto add = [&](const char* kind, const std::string& type, json payload) {
    log.push_back({{"seq", log.size() + 1}, {"kind", kind}, {"type", type},
                   {"payload", std::move(payload)}});
  };
  add("meta", "config.pinned", {{"casm_version", "test"}, {"template_id", start.template_id}});
  add("input", "run.started", json(start));
  workflow::workflow_engine engine;
  std::deque<output> pending;
  std::optional<hitl_request> asked;
  bool paused = false;
  auto record = [&](std::vector<output> outs) {
    for (auto& o : outs) {
      add("output", type_of(o), payload_of(o));
      if (auto* h = std::get_if<hitl_request>(&o)) asked = *h;
      else if (std::holds_alternative<run_pause>(o)) paused = true;
      else if (!std::holds_alternative<stage_event>(o) && !std::holds_alternative<run_outcome>(o) &&
               !std::holds_alternative<security_alert>(o))
        pending.push_back(std::move(o));
    }
  };
  auto reply = [&](const auto& result) {
    add("input", event_type<std::decay_t<decltype(result)>>::value, json(result));
    record(engine.on_reply(result));
  };
  record(engine.start(start));
  for (;;) {
    if (paused) {
      // The live process ends here; `casm approve` appends the decision and
      // a resume delivers it (its own records are meta).
      auto d = agents.decide && asked ? agents.decide(*asked) : std::nullopt;
      if (!d) break;
      paused = false;
      add("input", d->decision == "approved" ? "approval.granted" : "approval.denied", json(*d));
      add("meta", "run.resumed", {{"matched_records", log.size()}});
      add("meta", "approval.consumed", {{"approval_id", d->approval_id}});
      record(engine.on_decision(*d));
      continue;
    }
    if (pending.empty()) break;
    const size_t i = order(pending);
    output q = std::move(pending[i]);
    pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
    if (auto* r = std::get_if<ingest_request>(&q)) reply(agents.ingest(*r));
    else if (auto* r = std::get_if<review_request>(&q)) reply(agents.review(*r));
    else if (auto* r = std::get_if<gate_request>(&q)) reply(agents.gate(*r));
    else if (auto* r = std::get_if<fix_request>(&q)) reply(agents.fix(*r));
    else if (auto* r = std::get_if<validate_request>(&q)) reply(agents.validate(*r));
    else if (auto* r = std::get_if<report_request>(&q)) reply(agents.report(*r));
    else throw std::logic_error(std::string("the recorder cannot answer ") + type_of(q));
  }
  return log;
}

inline run_start make_start(const std::string& workflow_id, uint64_t clock_ms = 1767225600000) {
  codec::ulid_entropy entropy{};
  for (size_t i = 0; i < entropy.size(); ++i) entropy[i] = static_cast<uint8_t>(7 * i + 1);
  run_start s;
  s.run_id = codec::make_ulid(clock_ms, entropy);
  s.started_at = "2026-01-01T00:00:00.000Z";
  s.template_id = workflow_id == "noop_v1" ? "noop" : "repo-auditor";
  s.template_hash = std::string(64, 'a');
  s.workflow = workflow_id;
  s.stages = *workflow::stages_of(workflow_id);
  s.repo = "/tmp/repo";
  return s;
}

// A repo-auditor run: a v0.2 manifest with one validation command.
inline run_start audit_start(uint32_t reviewers) {
  run_start s = make_start("repo_auditor_v1");
  auto& a = s.audit;
  a.enabled = true;
  a.reviewers = reviewers;
  a.manifest_version = "0.2";
  a.validate_commands = {"make test"};
  a.allow_commands = {"make test"};
  a.tool_version = "0.1.0";
  a.rule_pack_hash = std::string(64, 'b');
  a.sensitive_paths = {".github/**"};
  a.dependency_files = {"package.json"};
  a.ruleset_id = "default.devtools";
  a.ruleset_source = "bundled";
  a.ruleset_text = runtime::find_embedded("rulesets/default.devtools.yaml")->content;
  a.ruleset_hash = codec::sha256_hex(a.ruleset_text);
  return s;
}

inline std::string hex_of(uint64_t n, size_t width) {
  static const char digits[] = "0123456789abcdef";
  std::string out(width, '0');
  for (size_t i = width; i-- > 0 && n; n >>= 4) out[i] = digits[n & 15];
  return out;
}

// Agents for `files` files src/f<i>.py. Every `finding_every`th file has
// trailing whitespace on line 2 (a fix), and a sixteenth of those a secret on
// line 5; the gate passes the patch, the fixer and validator succeed, the
// validation command took 0.137 s.
inline fake_agents audit_agents(size_t files, size_t finding_every = 1) {
  fake_agents a;
  a.ingest = [files](const ingest_request& q) {
    ingest_result r;
    r.call_id = q.call_id;
    r.ok = true;
    r.repo_path = q.repo + "/";
    r.head_rev = q.head_rev;
    r.head_commit = hex_of(0xc0ffee, 40);
    r.head_tree = hex_of(0x7ee, 40);
    r.head_time = 1767225600;
    r.base_commit = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    for (size_t i = 0; i < files; ++i) {
      file_entry f{"src/f" + std::to_string(i) + ".py", hex_of(i + 1, 40), 100 + 37 * (i % 11),
                   0100644};
      r.total_bytes += f.size;
      ++r.file_count;
      if (q.list_files) r.files.push_back(std::move(f));
    }
    if (q.list_files) r.mode = "full";
    return r;
  };
  a.review = [finding_every](const review_request& q) {
    review_result r;
    r.call_id = q.call_id;
    r.shard = q.shard;
    r.ok = true;
    for (const auto& f : q.files) {
      ++r.files_scanned;
      r.bytes_scanned += f.size;
      if (std::stoul(f.path.substr(5)) % finding_every != 0) continue;
      finding w;
      w.rule_id = "whitespace.trailing";
      w.family = "whitespace";
      w.level = severity::low;
      w.path = f.path;
      w.line = 2;
      w.column = 9;
      w.end_column = 12;
      w.fingerprint = hex_of(f.size * 31 + f.path.size(), 64);
      w.preview = "x = 1   ";
      w.message = "Trailing whitespace.";
      w.fixable = true;
      r.findings.push_back(w);
      if (f.oid.back() == '7') {
        finding s = w;
        s.rule_id = "secret.aws_access_key_id";
        s.family = "secret";
        s.level = severity::high;
        s.line = 5;
        s.preview = "AKIA************";
        s.message = "An AWS access key id.";
        s.secret = true;
        s.fixable = false;
        r.findings.push_back(s);
      }
    }
    return r;
  };
  a.fix = [](const fix_request& q) {
    fix_result r;
    r.call_id = q.call_id;
    r.ok = true;
    r.files_changed = static_cast<uint32_t>(q.files.size());
    for (const auto& f : q.files) r.lines_changed += static_cast<uint32_t>(f.strip_lines.size());
    r.patch_sha256 = hex_of(r.lines_changed, 64);
    r.patch_bytes = 120ull * r.lines_changed;
    r.new_tree = hex_of(0xbeef, 40);
    return r;
  };
  a.validate = [](const validate_request& q) {
    validate_result r;
    r.call_id = q.call_id;
    r.ok = true;
    r.status = "passed";
    r.worktree_created = true;
    for (const auto& c : q.commands) {
      command_report cr;
      cr.command = c;
      cr.status = "passed";
      cr.exit_code = 0;
      cr.duration_s = 0.137;
      cr.sandboxed = true;
      cr.output = "ok\n";
      r.commands.push_back(cr);
    }
    return r;
  };
  // The patch touches only the fixed files: the gate passes it.
  a.gate = [](const gate_request& q) {
    gate_result r;
    r.call_id = q.call_id;
    r.ok = true;
    for (const auto& f : q.files) {
      file_fact fact;
      fact.path = f.path;
      fact.status = change_status::modified;
      r.evidence.files.push_back(fact);
    }
    return r;
  };
  a.report = [](const report_request& q) {
    report_result r;
    r.call_id = q.call_id;
    r.ok = true;
    r.artifacts = {{"report.md", hex_of(1, 64), 2048}, {"issues.json", hex_of(2, 64), 4096}};
    return r;
  };
  return a;
}

}  // namespace casm::test
