// casm approve / deny / resume: a human's decision on a gated run, and the
// continuation of a run from its log (after a decision, or after a crash).
#include <pwd.h>
#include <unistd.h>

#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "actors/supervisor/run_log_writer.h"
#include "actors/supervisor/run_store.h"
#include "messages/codec/json_text.h"
#include "messages/codec/timestamp.h"
#include "messages/codec/ulid.h"
#include "messages/data/vocabulary.h"
#include "messages/data/workflow.h"
#include "policy/rule_pack.h"
#include "runtime/commands.h"
#include "runtime/home.h"
#include "runtime/ruleset_loader.h"
#include "runtime/run_driver.h"
#include "runtime/run_records.h"
#include "runtime/template_loader.h"

namespace casm::runtime {

using nlohmann::json;
using supervisor::run_store;
namespace ec = messages::exit_code;

namespace {

std::string os_user() {
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
  return "uid " + std::to_string(geteuid());
}

// The pending HITL request and the decision already recorded for it, if any.
struct pending_request {
  const json* request = nullptr;  // hitl.requested payload
  std::string requested_at;       // its record's ts
  const json* decision = nullptr; // approval.granted|denied payload for it
  std::string decision_type;
};

pending_request find_pending(const run_records& r) {
  pending_request p;
  for (const auto& rec : r.records) {
    const std::string type = rec.value("type", "");
    if (type == "hitl.requested") {
      p.request = &rec["payload"];
      p.requested_at = rec.value("ts", "");
      p.decision = nullptr;
    } else if ((type == "approval.granted" || type == "approval.denied") && p.request &&
               rec["payload"].value("request_id", "") == p.request->value("request_id", "")) {
      p.decision = &rec["payload"];
      p.decision_type = type;
    }
  }
  return p;
}

// The request expires `expires_after_hours` after it was made.
bool expired(const pending_request& p, std::string* at) {
  auto made = codec::parse_timestamp(p.requested_at);
  const double hours = p.request->value("expires_after_hours", 168.0);
  if (!made || hours <= 0) return false;
  const int64_t deadline = *made + static_cast<int64_t>(hours * 3600.0 * 1000.0);
  if (at) *at = codec::format_timestamp(deadline);
  return codec::wall_clock_ms() > deadline;
}

// Appends one record to a run whose lock the caller holds, and moves the
// head in state.json.
bool append_record(const run_records& r, std::string_view kind, const std::string& source,
                   const std::string& target, const std::string& type, const json& payload,
                   const std::string& new_status = {}) {
  std::string error;
  auto w = supervisor::run_log_writer::open(run_store::log_file(r.dir), r.state.run_id, nullptr,
                                            &error);
  if (!w) {
    print_error(error);
    return false;
  }
  supervisor::record_fields f{codec::format_timestamp(codec::wall_clock_ms()), kind, source,
                              target, type, payload};
  w->append(f);
  w->sync();
  auto st = r.state;
  st.head_seq = w->last_seq();
  st.head_hash = w->last_hash();
  st.updated_at = f.ts;
  if (!new_status.empty()) st.status = new_status;
  if (auto err = run_store::write_state(r.dir, st); !err.empty()) {
    print_error(err);
    return false;
  }
  return true;
}

// Marks a pending request expired (terminal): resume then refuses.
int expire(const run_records& r, const std::string& at) {
  append_record(r, messages::event_kind::meta, "cli", "log", "hitl.expired",
                json{{"expired_at", at}}, "expired");
  print_error("the approval request of run " + r.state.run_id + " expired at " + at +
              " (policy.hitl.expires_after_hours); the run is now expired");
  return ec::bad_input;
}

// Names every pinned config value that differs from the current one.
std::vector<std::string> config_drift(const run_records& r) {
  std::vector<std::string> drift;
  const json* pinned = last_payload(r, "config.pinned");
  if (!pinned) return {"the log has no config.pinned record"};
  if (pinned->value("casm_version", "") != CASM_VERSION)
    drift.push_back("casm version: pinned " + pinned->value("casm_version", "") + ", current " +
                    CASM_VERSION);
  const std::string source = pinned->value("template_source", "");
  loaded_template t;
  std::vector<codec::config_error> errors;
  const std::string ref = source.rfind("embedded:templates/", 0) == 0
                            ? pinned->value("template_id", "")
                            : source;
  if (!load_template(ref, t, errors))
    drift.push_back("template " + ref + ": it cannot be loaded now");
  else if (t.hash != pinned->value("template_hash", ""))
    drift.push_back("template " + ref + ": pinned sha256 " + pinned->value("template_hash", "") +
                    ", current " + t.hash);
  if (pinned->contains("ruleset_hash")) {
    loaded_ruleset rs;
    const std::string id = pinned->value("ruleset_id", "");
    errors.clear();
    // A ruleset given by path is pinned by content (its text is in
    // run.started and the gate uses that); a shipped one must still match.
    if (pinned->value("ruleset_source", "") == "bundled") {
      if (!load_ruleset(id, rs, errors))
        drift.push_back("ruleset " + id + ": it cannot be loaded now");
      else if (rs.hash != pinned->value("ruleset_hash", ""))
        drift.push_back("ruleset " + id + ": pinned sha256 " + pinned->value("ruleset_hash", "") +
                        ", current " + rs.hash);
    }
  }
  if (pinned->contains("rule_pack_hash") &&
      pinned->value("rule_pack_hash", "") != policy::rule_pack_hash())
    drift.push_back("rule pack: pinned " + pinned->value("rule_pack_hash", "") + ", current " +
                    policy::rule_pack_hash());
  return drift;
}

int print_outcome(const messages::run_outcome& o, const std::string& run_id, bool as_json) {
  if (o.exit_code != ec::ok && !o.reason.empty()) print_error(codec::display_text(o.reason));
  if (as_json) {
    std::cout << json{{"run_id", run_id}, {"status", o.status}, {"exit_code", o.exit_code},
                      {"reason", codec::display_text(o.reason)}}
                   .dump(2)
              << "\n";
  } else {
    std::cout << "run_id: " << run_id << "\nstatus: " << o.status << " (exit " << o.exit_code
              << ")\nexplain: casm explain --run-id " << run_id << "\n";
  }
  return o.exit_code;
}

// Continues a run from its log: the coordinator is rebuilt, everything the
// log already holds is matched and answered from the log (no agent runs
// again), and the run goes on live from where the log ends.
int continue_run(const global_options& g, const run_records& r, bool as_json) {
  std::string holder;
  auto lock = supervisor::run_lock::try_acquire(r.dir, &holder);
  if (!lock) {
    print_error("run " + r.state.run_id + " is held by " + holder + "; it is still running");
    return ec::bad_input;
  }
  if (r.lost.from_seq) {
    // A power loss before the run's next durable point (load_run).
    if (auto err = cut_lost_tail_of(r); !err.empty()) {
      print_error("run " + r.state.run_id + ": " + err);
      return ec::runtime_failure;
    }
    std::cerr << "casm: note: run " << r.state.run_id << ": the records from seq " << r.lost.from_seq
              << " on were never made durable (" << r.lost.why
              << "); they are cut from the log and recomputed\n";
  }
  auto drift = config_drift(r);
  if (!drift.empty()) {
    std::string all;
    for (const auto& d : drift) all += (all.empty() ? "" : "; ") + d;
    print_error("run " + r.state.run_id + " cannot resume: its pinned config differs: " + all);
    return ec::integrity;
  }
  const json* started = last_payload(r, "run.started");
  if (!started) {
    print_error("run " + r.state.run_id + " has no run.started record to resume from");
    return ec::integrity;
  }
  auto start = started->get<messages::run_start>();
  supervisor::supervisor_config scfg;
  scfg.run_dir = r.dir;
  scfg.run_id = r.state.run_id;
  scfg.initial_state = r.state;
  scfg.initial_state.status = "running";
  scfg.initial_state.exit_code = -1;
  scfg.initial_state.reason.clear();
  scfg.initial_state.failure_kind.clear();
  scfg.initial_state.pid = ::getpid();
  scfg.resuming = true;  // killed right after its start, the feed is empty: it runs on live
  for (const auto& rec : r.records)
    if (rec.value("seq", uint64_t{0}) > 2) scfg.feed.push_back(rec);
  auto result = drive_run(scfg, start, run_store(resolve_home(g.home)).home());
  if (result.diverged) {
    run_store::write_state(r.dir, r.state);  // leave the run as it was
    print_error("run " + r.state.run_id + ": " + result.failure);
    return ec::integrity;
  }
  return print_outcome(result.outcome, r.state.run_id, as_json);
}

}  // namespace

int cmd_decide(const global_options& g, const decision_options& o) {
  int code = 0;
  auto r = load_run(g.home, o.run_id, code);
  if (!r) return code;
  if (o.reason.empty()) {
    print_error("a reason is required (--reason \"...\")");
    return ec::bad_input;
  }
  if (r->state.status != "pending_hitl") {
    print_error("run " + o.run_id + " is not waiting for approval (its status is " +
                r->state.status + ")");
    return ec::bad_input;
  }
  auto pending = find_pending(*r);
  if (!pending.request) {
    print_error("run " + o.run_id + " is pending but its log holds no hitl.requested record");
    return ec::integrity;
  }
  const std::string request_id = pending.request->value("request_id", "");
  if (pending.decision) {
    print_error("request " + request_id + " of run " + o.run_id + " was already " +
                (pending.decision_type == "approval.granted" ? "approved" : "denied") + " by " +
                pending.decision->value("by", "") + " at " +
                pending.decision->value("decided_at", "") +
                "; a decision is single-use (casm resume --run-id " + o.run_id + ")");
    return ec::bad_input;
  }
  std::string lock_holder;
  auto lock = supervisor::run_lock::try_acquire(r->dir, &lock_holder);
  if (!lock) {
    print_error("run " + o.run_id + " is held by " + lock_holder);
    return ec::bad_input;
  }
  std::string deadline;
  if (expired(pending, &deadline)) return expire(*r, deadline);
  // The decision binds the ruleset that gated: if it changed, the gate's
  // verdict no longer stands.
  auto drift = config_drift(*r);
  if (!drift.empty()) {
    print_error("run " + o.run_id + " cannot be decided: " + drift.front() +
                " (the gate's verdict was given under the pinned config)");
    return ec::bad_input;
  }
  std::set<std::string> changed;
  for (const auto& f : (*pending.request)["changed_files"]) changed.insert(f.get<std::string>());
  for (const auto* list : {&o.allow_files, &o.deny_files})
    for (const auto& f : *list)
      if (!changed.count(f)) {
        print_error("'" + f + "' is not one of the gated change's files (" +
                    std::to_string(changed.size()) + " files; see casm explain --run-id " +
                    o.run_id + ")");
        return ec::bad_input;
      }
  messages::approval_decision d;
  d.approval_id = codec::derive_ulid(o.run_id, r->state.head_seq + 1, "approval");
  d.request_id = request_id;
  d.run_id = o.run_id;
  d.decision = o.approve ? "approved" : "denied";
  d.diff_hash = pending.request->value("diff_hash", "");
  d.ruleset_hash = pending.request->value("ruleset_hash", "");
  d.os_user = os_user();
  d.by = o.by.empty() ? d.os_user : o.by;
  d.reason = o.reason;
  d.decided_at = codec::format_timestamp(codec::wall_clock_ms());
  d.allow_files = o.allow_files;
  d.deny_files = o.deny_files;
  if (!append_record(*r, messages::event_kind::input, "cli", "coordinator",
                     o.approve ? "approval.granted" : "approval.denied", json(d)))
    return ec::runtime_failure;
  if (o.approve) {
    std::cout << "approved: run " << o.run_id << ", request " << request_id << ", by " << d.by
              << " (" << d.os_user << ")\nnext: casm resume --run-id " << o.run_id << "\n";
    return ec::ok;
  }
  // A denial ends the run now, with its report.
  lock.reset();
  auto again = load_run(g.home, o.run_id, code);
  if (!again) return code;
  int rc = continue_run(g, *again, false);
  return rc == ec::blocked ? ec::ok : rc;  // denied is the expected end
}

int cmd_resume(const global_options& g, const resume_options& o) {
  int code = 0;
  auto r = load_run(g.home, o.run_id, code, /*cut_lost_tail=*/true);
  if (!r) return code;
  const auto status = messages::parse_run_status(r->state.status);
  if (status && messages::is_terminal(*status)) {
    print_error("run " + o.run_id + " is " + r->state.status +
                "; only a run that waits for a decision, was interrupted or crashed can resume");
    return ec::bad_input;
  }
  if (r->state.status == "pending_hitl") {
    auto pending = find_pending(*r);
    std::string deadline;
    if (pending.request && !pending.decision && expired(pending, &deadline)) {
      std::string holder;
      auto lock = supervisor::run_lock::try_acquire(r->dir, &holder);
      if (lock) return expire(*r, deadline);
    }
    if (!pending.decision) {
      print_error("run " + o.run_id + " is still waiting for approval of request " +
                  (pending.request ? pending.request->value("request_id", "") : std::string("?")) +
                  " (casm approve|deny --run-id " + o.run_id + " --reason \"...\")");
      return ec::gated;
    }
  }
  if (r->state.status == "running" && supervisor::run_lock::is_held(r->dir)) {
    print_error("run " + o.run_id + " is running in a live process; it cannot be resumed twice");
    return ec::bad_input;
  }
  return continue_run(g, *r, o.json);
}

}  // namespace casm::runtime
