#include "runtime/run_records.h"

#include "actors/supervisor/run_log_reader.h"
#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "messages/data/vocabulary.h"
#include "runtime/commands.h"
#include "runtime/home.h"

namespace casm::runtime {

using nlohmann::json;
using supervisor::run_store;
namespace ec = messages::exit_code;

std::optional<run_records> load_run(const std::string& home_flag, const std::string& run_id,
                                    int& exit_code) {
  run_store store(resolve_home(home_flag));
  if (!store.run_exists(run_id)) {
    print_error("unknown run id '" + codec::display_text(run_id) + "' (no such run in " +
                store.runs_dir().string() + ")");
    exit_code = ec::bad_input;
    return std::nullopt;
  }
  run_records out;
  out.dir = store.run_dir(run_id);
  std::string error;
  auto st = run_store::read_state(out.dir, &error);
  if (!st) {
    print_error("run " + run_id + " has no readable state: " + error);
    exit_code = ec::integrity;
    return std::nullopt;
  }
  out.state = *st;
  std::string blob_problem;
  auto v = supervisor::verify_log(
    run_store::log_file(out.dir), supervisor::expected_head{st->head_seq, st->head_hash},
    [&](uint64_t seq, std::string_view line) {
      json rec = json::parse(line);
      if (auto problem = run_store::resolve_blob(out.dir, rec["payload"]);
          !problem.empty() && blob_problem.empty())
        blob_problem = "seq " + std::to_string(seq) + ": " + problem;
      out.records.push_back(std::move(rec));
    });
  if (!v.ok || !blob_problem.empty()) {
    print_error("the log of run " + run_id + " does not verify: " +
                (v.ok ? blob_problem : v.problem));
    exit_code = ec::integrity;
    return std::nullopt;
  }
  out.torn_tail = v.torn_tail;
  return out;
}

const json* last_payload(const run_records& r, const std::string& type) {
  for (auto it = r.records.rbegin(); it != r.records.rend(); ++it)
    if (it->value("type", "") == type) return &(*it)["payload"];
  return nullptr;
}

}  // namespace casm::runtime
