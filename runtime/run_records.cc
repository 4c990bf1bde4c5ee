#include "runtime/run_records.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

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

namespace {

// An artifact a record announces (a report's set, a fix's patch.diff) that
// is not on disk as the record says: "" or the problem.
std::string unflushed_artifact(const supervisor::fs::path& dir, const json& rec) {
  const std::string type = rec.value("type", "");
  const auto& p = rec["payload"];
  std::vector<std::pair<std::string, std::string>> named;  // file, sha256
  if (type == "report.completed" && p.contains("artifacts") && p["artifacts"].is_array())
    for (const auto& a : p["artifacts"]) named.emplace_back(a.value("name", ""), a.value("sha256", ""));
  if (type == "fix.completed" && p.value("ok", false) && !p.value("patch_sha256", std::string()).empty())
    named.emplace_back("patch.diff", p.value("patch_sha256", ""));
  for (const auto& [name, sha] : named) {
    auto text = supervisor::read_file(run_store::artifacts_dir(dir) / name);
    if (!text) return "artifact " + name + " is missing";
    if (codec::sha256_hex(*text) != sha) return "artifact " + name + " does not match its digest";
  }
  return {};
}

}  // namespace

std::optional<run_records> load_run(const std::string& home_flag, const std::string& run_id,
                                    int& exit_code, bool cut_lost_tail) {
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
  uint64_t offset = 0;  // of the current line in the log
  auto v = supervisor::verify_log(
    run_store::log_file(out.dir), supervisor::expected_head{st->head_seq, st->head_hash},
    [&](uint64_t seq, std::string_view line) {
      const uint64_t at = offset;
      offset += line.size() + 1;
      if (out.lost.from_seq) {
        const json rec = json::parse(line);
        const auto& p = rec["payload"];
        if (p.is_object() && p.size() == 2 && p.contains("blob") && p["blob"].is_string())
          out.lost.blobs.push_back(p["blob"]);
        return;
      }
      json rec = json::parse(line);
      std::string problem = run_store::resolve_blob(out.dir, rec["payload"]);
      if (problem.empty() && cut_lost_tail && seq > st->head_seq) problem = unflushed_artifact(out.dir, rec);
      if (!problem.empty() && cut_lost_tail && seq > st->head_seq) {
        out.lost = {seq, at, problem, {}};
        const auto& p = rec["payload"];  // still the reference if its blob failed
        if (p.is_object() && p.contains("blob") && p["blob"].is_string()) out.lost.blobs.push_back(p["blob"]);
        return;
      }
      if (!problem.empty() && blob_problem.empty())
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

std::string cut_lost_tail_of(const run_records& r) {
  if (!r.lost.from_seq) return {};
  const auto file = run_store::log_file(r.dir);
  if (::truncate(file.c_str(), static_cast<off_t>(r.lost.log_bytes)) != 0)
    return "cannot truncate " + file.string() + ": " + std::strerror(errno);
  for (const auto& sha : r.lost.blobs) {
    std::string problem;
    if (!run_store::blob_text(r.dir, json{{"blob", sha}, {"bytes", 0}}, problem)) {
      std::error_code ec;
      std::filesystem::remove(run_store::blobs_dir(r.dir) / sha, ec);
    }
  }
  return {};
}

const json* last_payload(const run_records& r, const std::string& type) {
  for (auto it = r.records.rbegin(); it != r.records.rend(); ++it)
    if (it->value("type", "") == type) return &(*it)["payload"];
  return nullptr;
}

}  // namespace casm::runtime
