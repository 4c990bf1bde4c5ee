// casm replay: re-executes a run's coordinator from its log and proves that
// every message it emits is the one recorded (DESIGN.md, Replay). The work is
// runtime/log_replay.h; this file prints it.
//
// Read-only, like explain. No actor system, agent, connector or command
// runner is constructed: replay cannot reach the network, spawn a process or
// read the repository.
#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/supervisor/run_store.h"
#include "messages/codec/json_text.h"
#include "messages/data/vocabulary.h"
#include "runtime/commands.h"
#include "runtime/home.h"
#include "runtime/log_replay.h"

namespace casm::runtime {

using nlohmann::json;
using supervisor::run_store;
namespace ec = messages::exit_code;

namespace {

// At most `limit` bytes of `j`'s compact text, for a terminal.
std::string excerpt(const json& j, size_t limit) {
  std::string text = j.dump();
  if (text.size() <= limit) return text;
  return text.substr(0, limit) + "... (" + std::to_string(text.size() - limit) +
         " more bytes; --json prints all)";
}

void print_text(const std::string& run_id, const log_replay& x, bool held) {
  const auto& v = x.chain;
  const auto& r = x.replay;
  if (x.result == "tampered") return;  // the error sentence says it all
  if (x.result == "config_drift") {
    for (const auto& d : x.drift) std::cout << "config drift: " << d.message << "\n";
    return;
  }
  if (x.result == "diverged") {
    const auto& d = *r.divergence;
    std::cout << "replay diverged at seq " << d.seq << " (type " << d.type << ")\n";
    std::cout << "reason: " << d.reason << "\n";
    std::cout << "expected: " << (d.expected.is_null() ? "(nothing)" : excerpt(d.expected, 2000))
              << "\n";
    std::cout << "actual:   " << (d.actual.is_null() ? "(nothing)" : excerpt(d.actual, 2000))
              << "\n";
    if (!d.diff.empty()) {
      std::cout << "diff:\n";
      for (const auto& c : d.diff)
        std::cout << "  " << (c.pointer.empty() ? "/" : c.pointer) << ": expected "
                  << (c.expected ? excerpt(*c.expected, 300) : "(absent)") << ", actual "
                  << (c.actual ? excerpt(*c.actual, 300) : "(absent)") << "\n";
    }
    return;
  }
  if (r.complete) {
    std::cout << "replay identical: " << v.records << " events, head " << v.last_hash << "\n";
    if (r.aborted)
      std::cout << "note: the recorded run ended with run.aborted (its coordinator stopped "
                   "without an outcome)\n";
    return;
  }
  std::cout << "replayed " << v.records << " events of "
            << (r.last_output == "run.paused" ? "a run paused for approval"
                                              : "an incomplete run (no run.completed)")
            << ": identical so far, head " << v.last_hash << "\n";
  if (held) std::cout << "note: a live process still drives run " << run_id << "\n";
}

json to_json(const std::string& run_id, const log_replay& x, bool allow_drift) {
  const auto& v = x.chain;
  const auto& r = x.replay;
  json j{{"run_id", run_id},
         {"result", x.result},
         {"exit_code", x.exit_code},
         {"events", v.records},
         {"replayed", r.records},
         {"head", v.last_hash},
         {"complete", r.complete},
         {"aborted", r.aborted},
         {"torn_tail", v.torn_tail},
         {"config_drift_allowed", allow_drift}};
  json drift = json::array();
  for (const auto& d : x.drift) drift.push_back(runtime::to_json(d));
  j["config_drift"] = std::move(drift);
  if (x.result == "tampered") {
    j["first_bad_seq"] = v.first_bad_seq;
    j["problem"] = v.problem;
  }
  if (x.result == "diverged") {
    const auto& d = *r.divergence;
    j["divergence"] = {{"seq", d.seq},
                       {"type", d.type},
                       {"reason", d.reason},
                       {"expected", d.expected},
                       {"actual", d.actual},
                       {"diff", codec::to_json(d.diff)}};
  }
  return j;
}

}  // namespace

int cmd_replay(const global_options& g, const replay_options& o) {
  run_store store(resolve_home(g.home));
  if (!store.run_exists(o.run_id)) {
    print_error("unknown run id '" + codec::display_text(o.run_id) + "' (no such run in " +
                store.runs_dir().string() + ")");
    return ec::bad_input;
  }
  const auto dir = store.run_dir(o.run_id);
  const log_replay x = replay_log(dir, CASM_VERSION, o.allow_config_drift);

  if (o.allow_config_drift)
    for (const auto& d : x.drift)
      std::cerr << "casm: warning: config drift (compared anyway): " << d.message << "\n";
  if (o.json)
    std::cout << to_json(o.run_id, x, o.allow_config_drift).dump(2) << "\n";
  else
    print_text(o.run_id, x, supervisor::run_lock::is_held(dir));
  if (x.chain.torn_tail)
    std::cerr << "casm: warning: a torn last line (" << x.chain.torn_bytes
              << " bytes) follows seq " << x.chain.last_seq
              << "; a writer (casm resume) truncates it\n";

  if (x.result == "tampered") {
    print_error("the log of run " + o.run_id + " does not verify: first bad seq " +
                std::to_string(x.chain.first_bad_seq) + " (" + x.chain.problem + ")");
  } else if (x.result == "config_drift") {
    std::string what;
    for (const auto& d : x.drift) what += (what.empty() ? "" : "; ") + d.message;
    print_error("run " + o.run_id + " was recorded under another config (" + what +
                "); pass --allow-config-drift to compare anyway");
  } else if (x.result == "diverged") {
    const auto& d = *x.replay.divergence;
    print_error("replay of run " + o.run_id + " diverged at seq " + std::to_string(d.seq) +
                " (" + d.type + "): " + d.reason);
  }
  return x.exit_code;
}

}  // namespace casm::runtime
