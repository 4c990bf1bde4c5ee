#include "runtime/log_replay.h"

#include <nlohmann/json.hpp>

#include "actors/supervisor/run_store.h"
#include "messages/codec/digest.h"
#include "messages/data/vocabulary.h"

namespace casm::runtime {

using nlohmann::json;
using supervisor::run_store;
namespace ec = messages::exit_code;

namespace {

// Resolves a payload moved to blobs/ ({"blob": sha, "bytes": n}) in place.
// The blob's name is its digest, so a changed blob is caught here. Returns
// the problem, or "".
std::string resolve_blob(const std::filesystem::path& dir, json& payload) {
  if (!payload.is_object() || payload.size() != 2 || !payload.contains("blob")) return {};
  const std::string sha = payload.value("blob", "");
  auto bytes = run_store::get_blob(dir, sha);
  if (!bytes) return "blob " + sha + " is missing";
  if (codec::sha256_hex(*bytes) != sha) return "blob " + sha + " does not match its digest";
  json resolved = json::parse(*bytes, nullptr, false);
  if (resolved.is_discarded()) return "blob " + sha + " is not JSON";
  payload = std::move(resolved);
  return {};
}

}  // namespace

log_replay replay_log(const std::filesystem::path& dir, const std::string& casm_version,
                      bool allow_config_drift) {
  log_replay out;
  std::optional<supervisor::expected_head> head;
  std::string state_error;
  if (auto st = run_store::read_state(dir, &state_error); st && st->head_seq > 0)
    head = supervisor::expected_head{st->head_seq, st->head_hash};

  workflow::replayer replay;
  bool first = true;
  bool stopped = false;
  out.chain = supervisor::verify_log(
    run_store::log_file(dir), head, [&](uint64_t seq, std::string_view line) {
      if (stopped) return;
      json rec = json::parse(line, nullptr, false);
      if (rec.is_discarded() || !rec.is_object()) {
        replay.reject(seq, "", "the record is not a JSON object");
        stopped = true;
        return;
      }
      auto type_it = rec.find("type");
      const std::string type =
        type_it != rec.end() && type_it->is_string() ? type_it->get<std::string>() : "";
      if (first) {
        first = false;
        out.drift = config_drift(type == "config.pinned" ? rec["payload"] : json(), casm_version);
        if (!out.drift.empty() && !allow_config_drift) {
          stopped = true;
          return;
        }
      }
      if (auto problem = resolve_blob(dir, rec["payload"]); !problem.empty()) {
        replay.reject(seq, type, problem, rec["payload"]);
        stopped = true;
        return;
      }
      if (!replay.feed(rec)) stopped = true;
    });
  out.replay = replay.finish();

  if (!out.chain.ok) {
    out.result = "tampered";
    out.exit_code = ec::integrity;
  } else if (!out.drift.empty() && !allow_config_drift) {
    out.result = "config_drift";
    out.exit_code = ec::integrity;
  } else if (out.replay.divergence) {
    out.result = "diverged";
    out.exit_code = ec::integrity;
  } else {
    out.result = "identical";
    out.exit_code = ec::ok;
  }
  return out;
}

}  // namespace casm::runtime
