// Read-only commands over the run store: explain, verify-log, runs. None of
// them modifies a run: no lock, no truncation, no state write.
#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/supervisor/run_log_format.h"
#include "actors/supervisor/run_log_reader.h"
#include "actors/supervisor/run_store.h"
#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "messages/data/json_parse.h"
#include "messages/data/vocabulary.h"
#include "runtime/commands.h"
#include "runtime/home.h"
#include "runtime/run_records.h"
#include "telemetry/run_story.h"

namespace casm::runtime {

using nlohmann::json;
using supervisor::run_store;
namespace ec = messages::exit_code;

namespace {

// Resolves `run_id` to its dir, or prints why not and returns false.
bool find_run(const global_options& g, const std::string& run_id, supervisor::fs::path& dir) {
  run_store store(resolve_home(g.home));
  if (!store.run_exists(run_id)) {
    print_error("unknown run id '" + codec::display_text(run_id) + "' (no such run in " +
                store.runs_dir().string() + ")");
    return false;
  }
  dir = store.run_dir(run_id);
  return true;
}

std::optional<supervisor::expected_head> head_of(const supervisor::fs::path& dir) {
  std::string err;
  auto st = run_store::read_state(dir, &err);
  if (!st || st->head_seq == 0) return std::nullopt;
  return supervisor::expected_head{st->head_seq, st->head_hash};
}


}  // namespace

telemetry::log_integrity tell_story(const supervisor::fs::path& dir, telemetry::run_story& story) {
  std::string blob_problem;
  auto v = supervisor::verify_log(run_store::log_file(dir), head_of(dir),
                                  [&](uint64_t seq, std::string_view line) {
                                    // Every blob's digest is checked; only
                                    // the records the story reads are parsed.
                                    std::string_view body, hash, type, blob;
                                    std::string problem;
                                    if (supervisor::split_record(line, body, hash) &&
                                        supervisor::peek_type_blob(body, type, blob) &&
                                        !telemetry::run_story::reads_payload(type)) {
                                      if (!blob.empty())
                                        run_store::blob_text(dir, json{{"blob", blob}, {"bytes", 0}}, problem);
                                    } else {
                                      json rec;
                                      if (!messages::json_parse_fast(line, rec))
                                        rec = json::parse(line);
                                      problem = run_store::resolve_blob(dir, rec["payload"]);
                                      story.add(rec);
                                    }
                                    if (!problem.empty() && blob_problem.empty())
                                      blob_problem = "seq " + std::to_string(seq) + ": " + problem;
                                  });
  telemetry::log_integrity integrity;
  integrity.verified = v.ok && blob_problem.empty();
  integrity.events = v.records;
  integrity.head_hash = v.last_hash;
  integrity.torn_tail = v.torn_tail;
  integrity.problem = !v.ok ? v.problem : blob_problem;
  story.set_integrity(integrity);
  return integrity;
}

int cmd_explain(const global_options& g, const run_ref_options& o) {
  supervisor::fs::path dir;
  if (!find_run(g, o.run_id, dir)) return ec::bad_input;
  telemetry::run_story story;
  const telemetry::log_integrity integrity = tell_story(dir, story);
  if (o.json)
    std::cout << story.to_json().dump(2) << "\n";
  else
    std::cout << story.to_text();
  if (!integrity.verified) {
    print_error("the log of run " + o.run_id + " does not verify: " + integrity.problem);
    return ec::integrity;
  }
  return ec::ok;
}

int cmd_verify_log(const global_options& g, const run_ref_options& o) {
  supervisor::fs::path dir;
  if (!find_run(g, o.run_id, dir)) return ec::bad_input;
  auto head = head_of(dir);
  auto v = supervisor::verify_log(run_store::log_file(dir), head);
  if (o.json) {
    json j{{"run_id", o.run_id},
           {"ok", v.ok},
           {"events", v.records},
           {"head", v.last_hash},
           {"torn_tail", v.torn_tail},
           {"torn_bytes", v.torn_bytes}};
    if (!v.ok) {
      j["first_bad_seq"] = v.first_bad_seq;
      j["problem"] = v.problem;
    }
    std::cout << j.dump(2) << "\n";
  } else if (v.ok) {
    std::cout << "log verified: " << v.records << " events, head " << v.last_hash << "\n";
    if (head && v.last_seq > head->seq)
      std::cout << "note: " << (v.last_seq - head->seq)
                << " records follow the last sync point (seq " << head->seq
                << "); they verify but were written after it\n";
  }
  if (v.torn_tail)
    std::cerr << "casm: warning: a torn last line (" << v.torn_bytes << " bytes) follows seq "
              << v.last_seq << "; a writer (casm resume) truncates it\n";
  if (!v.ok) {
    print_error("the log of run " + o.run_id + " does not verify: first bad seq " +
                std::to_string(v.first_bad_seq) + " (" + v.problem + ")");
    return ec::integrity;
  }
  return ec::ok;
}

int cmd_runs(const global_options& g, bool as_json) {
  run_store store(resolve_home(g.home));
  json rows = json::array();
  for (const auto& id : store.list_runs()) {
    auto dir = store.run_dir(id);
    std::string err;
    auto st = run_store::read_state(dir, &err);
    json row{{"run_id", id}};
    if (!st) {
      row["status"] = "unknown";
      row["note"] = err;
    } else {
      row["status"] = st->status;
      row["template_id"] = st->template_id;
      row["repo"] = codec::display_text(st->repo);
      row["created_at"] = st->created_at;
      row["exit_code"] = st->exit_code < 0 ? json(nullptr) : json(st->exit_code);
      if (st->status == "running" && !supervisor::run_lock::is_held(dir))
        row["note"] = "no live process holds it: it crashed or was killed";
      else if (st->status == "running")
        row["note"] = "in progress";
    }
    rows.push_back(row);
  }
  if (as_json) {
    std::cout << json{{"home", codec::display_text(store.home().string())}, {"runs", rows}}.dump(2)
              << "\n";
    return ec::ok;
  }
  if (rows.empty()) {
    std::cout << "no runs in " << store.runs_dir().string() << "\n";
    return ec::ok;
  }
  std::printf("%-26s  %-14s  %-4s  %-12s  %-24s  %s\n", "RUN_ID", "STATUS", "EXIT", "TEMPLATE",
              "STARTED", "REPO");
  for (const auto& r : rows) {
    std::string exit = r.contains("exit_code") && r["exit_code"].is_number()
                         ? std::to_string(r["exit_code"].get<int>())
                         : "-";
    std::string status = r.value("status", "");
    std::printf("%-26s  %-14s  %-4s  %-12s  %-24s  %s%s\n", r.value("run_id", "").c_str(),
                status.c_str(), exit.c_str(), r.value("template_id", "").c_str(),
                r.value("created_at", "").c_str(), r.value("repo", "").c_str(),
                r.contains("note") ? ("  (" + r.value("note", "") + ")").c_str() : "");
  }
  return ec::ok;
}

}  // namespace casm::runtime
