#include "runtime/log_replay.h"

#include <nlohmann/json.hpp>

#include "actors/supervisor/run_log_format.h"
#include "actors/supervisor/run_store.h"
#include "messages/codec/digest.h"
#include "messages/data/json_parse.h"
#include "messages/data/vocabulary.h"

namespace casm::runtime {

using nlohmann::json;
using supervisor::run_store;
namespace ec = messages::exit_code;

namespace {


// What replay needs of a verified record line, found without parsing it.
// Keys are sorted, so the body reads {"kind":K,"payload":P,"prev":...,
// "type":T; the last ,"prev":" and ,"type":" are the top-level ones (as in
// supervisor::peek_seq_prev). False if the line is not in that form.
struct record_parts {
  std::string_view kind, type, payload;
};

bool split_parts(std::string_view line, record_parts& out) {
  constexpr std::string_view kind_key = "{\"kind\":\"";
  constexpr std::string_view payload_key = "\",\"payload\":";
  constexpr std::string_view prev_key = ",\"prev\":\"";
  constexpr std::string_view type_key = ",\"type\":\"";
  // verify_log hands over only lines it split and whose hash it checked.
  if (line.size() < supervisor::hash_suffix_size + 2) return false;
  const std::string_view body = line.substr(0, line.size() - supervisor::hash_suffix_size);
  if (body.substr(0, kind_key.size()) != kind_key || body.back() != '"') return false;
  const size_t kind_end = body.find('"', kind_key.size());
  if (kind_end == std::string_view::npos ||
      body.substr(kind_end, payload_key.size()) != payload_key)
    return false;
  const size_t payload_begin = kind_end + payload_key.size();
  const size_t prev = supervisor::rfind_key(body, prev_key);
  const size_t type = supervisor::rfind_key(body, type_key);
  if (prev == std::string_view::npos || type == std::string_view::npos ||
      prev <= payload_begin || type < prev)
    return false;
  out.kind = body.substr(kind_key.size(), kind_end - kind_key.size());
  out.payload = body.substr(payload_begin, prev - payload_begin);
  out.type = body.substr(type + type_key.size(), body.size() - 1 - type - type_key.size());
  // Escapes would need a parser: leave such a record to the slow path.
  return out.kind.find('\\') == std::string_view::npos &&
         out.type.find_first_of("\\\"") == std::string_view::npos;
}

// A payload moved to blobs/, in its canonical text form.
bool is_blob_ref(std::string_view payload) {
  constexpr std::string_view blob_key = "{\"blob\":\"";
  return payload.size() < 128 && payload.substr(0, blob_key.size()) == blob_key;
}

// The digest of a blob reference written exactly as the supervisor writes
// it, {"blob":"<sha>","bytes":<n>} (n in plain digits): what parsing it
// would give blob_text, without the parse. False for any other form.
bool blob_ref_digest(std::string_view payload, std::string_view& sha) {
  constexpr std::string_view blob_key = "{\"blob\":\"";
  constexpr std::string_view bytes_key = "\",\"bytes\":";
  if (payload.substr(0, blob_key.size()) != blob_key || payload.back() != '}') return false;
  const size_t end = payload.find('"', blob_key.size());
  if (end == std::string_view::npos || payload.substr(end, bytes_key.size()) != bytes_key)
    return false;
  sha = payload.substr(blob_key.size(), end - blob_key.size());
  for (char c : sha)  // printable ASCII, no escape: the parsed string is these bytes
    if (c < 0x20 || c > 0x7E || c == '\\') return false;
  const std::string_view digits =
    payload.substr(end + bytes_key.size(), payload.size() - 1 - end - bytes_key.size());
  if (digits.empty() || digits.size() > 19 || (digits.size() > 1 && digits.front() == '0'))
    return false;
  for (char c : digits)
    if (c < '0' || c > '9') return false;
  return true;
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
      // The fast path: the payload's text goes to the replayer unparsed.
      record_parts parts;
      if (!first && split_parts(line, parts)) {
        std::optional<std::string> owned;
        std::optional<std::string_view> text;
        if (is_blob_ref(parts.payload)) {
          std::string problem;
          std::string_view sha;
          if (blob_ref_digest(parts.payload, sha)) {
            text = run_store::blob_view(dir, sha, problem);
          } else {
            owned = run_store::blob_text(dir, json::parse(parts.payload, nullptr, false), problem);
            if (owned) text = *owned;
          }
          if (!problem.empty()) {
            replay.reject(seq, std::string(parts.type), problem,
                          json::parse(parts.payload, nullptr, false));
            stopped = true;
            return;
          }
        }
        if (!replay.feed(seq, parts.kind, parts.type, text ? *text : parts.payload))
          stopped = true;
        return;
      }
      // The slow path: the first record (config.pinned) and odd lines.
      // simdjson first: the same value (config.pinned carries the ruleset).
      json rec;
      if (!messages::json_parse_fast(line, rec)) rec = json::parse(line, nullptr, false);
      if (rec.is_discarded() || !rec.is_object()) {
        replay.reject(seq, "", "the record is not a JSON object");
        stopped = true;
        return;
      }
      auto type_it = rec.find("type");
      const std::string type =
        type_it != rec.end() && type_it->is_string() ? type_it->get<std::string>() : "";
      if (auto problem = run_store::resolve_blob(dir, rec["payload"]); !problem.empty()) {
        replay.reject(seq, type, problem, rec["payload"]);
        stopped = true;
        return;
      }
      if (first) {
        first = false;
        out.drift = config_drift(type == "config.pinned" ? rec["payload"] : json(), casm_version);
        if (!out.drift.empty() && !allow_config_drift) {
          stopped = true;
          return;
        }
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
