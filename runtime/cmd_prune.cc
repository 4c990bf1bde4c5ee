// casm runs prune: deletes whole run dirs so that a run store does not grow
// without bound (LangGraph's checkpoint tables do). It never touches a run
// that a live process holds, or one waiting for a human, unless asked.
#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/supervisor/run_store.h"
#include "messages/codec/json_text.h"
#include "messages/codec/timestamp.h"
#include "messages/data/vocabulary.h"
#include "runtime/commands.h"
#include "runtime/home.h"

namespace casm::runtime {

using nlohmann::json;
using supervisor::run_store;
namespace ec = messages::exit_code;

namespace {

uint64_t dir_bytes(const supervisor::fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = supervisor::fs::recursive_directory_iterator(dir, ec);
       !ec && it != supervisor::fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec)) n += it->file_size(ec);
  return n;
}

}  // namespace

int cmd_prune(const global_options& g, const prune_options& o) {
  if (o.keep < 0 && o.older_than_days < 0 && o.status.empty()) {
    print_error("say what to prune: --keep N, --older-than DAYS and/or --status S");
    return ec::bad_input;
  }
  if (!o.status.empty() && !messages::parse_run_status(o.status)) {
    print_error("unknown status '" + o.status + "'");
    return ec::bad_input;
  }
  run_store store(resolve_home(g.home));
  const auto ids = store.list_runs();  // oldest first (ULIDs sort by time)
  const int64_t now = codec::wall_clock_ms();
  json pruned = json::array(), kept = json::array();
  uint64_t freed = 0;
  const size_t n = ids.size();
  for (size_t i = 0; i < n; ++i) {
    const auto dir = store.run_dir(ids[i]);
    std::string err;
    auto st = run_store::read_state(dir, &err);
    const std::string status = st ? st->status : "unknown";
    auto keep_because = [&](const std::string& why) {
      kept.push_back({{"run_id", ids[i]}, {"status", status}, {"why", why}});
    };
    // Selection: every given criterion must hold.
    if (o.keep >= 0 && n - i <= static_cast<size_t>(o.keep)) continue;  // among the newest N
    if (!o.status.empty() && status != o.status) continue;
    if (o.older_than_days >= 0) {
      auto created = st ? codec::parse_timestamp(st->created_at) : std::nullopt;
      if (!created || now - *created < static_cast<int64_t>(o.older_than_days * 86400000.0)) continue;
    }
    // Protection: these need an explicit flag.
    if (supervisor::run_lock::is_held(dir) && !o.include_locked) {
      keep_because("a live process holds it (--include-locked to delete anyway)");
      continue;
    }
    if (status == "pending_hitl" && !o.include_pending) {
      keep_because("it waits for a human decision (--include-pending to delete anyway)");
      continue;
    }
    const uint64_t bytes = dir_bytes(dir);
    if (!o.dry_run) {
      std::error_code ec2;
      supervisor::fs::remove_all(dir, ec2);
      if (ec2) {
        keep_because("cannot delete: " + ec2.message());
        continue;
      }
    }
    freed += bytes;
    pruned.push_back({{"run_id", ids[i]}, {"status", status}, {"bytes", bytes}});
  }
  if (o.json) {
    std::cout << json{{"dry_run", o.dry_run}, {"pruned", pruned}, {"kept", kept}, {"freed_bytes", freed}}
                   .dump(2)
              << "\n";
    return ec::ok;
  }
  for (const auto& p : pruned)
    std::cout << (o.dry_run ? "would prune " : "pruned ") << p["run_id"].get<std::string>() << " ("
              << p["status"].get<std::string>() << ", " << p["bytes"].get<uint64_t>() << " bytes)\n";
  for (const auto& k : kept)
    std::cout << "kept " << k["run_id"].get<std::string>() << ": " << k["why"].get<std::string>() << "\n";
  char mib[32];
  std::snprintf(mib, sizeof mib, "%.2f", freed / 1048576.0);
  std::cout << (o.dry_run ? "would free " : "freed ") << mib << " MiB in " << pruned.size()
            << " runs\n";
  return ec::ok;
}

}  // namespace casm::runtime
