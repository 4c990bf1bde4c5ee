// casm run: one template workflow on one repository.
#include <openssl/rand.h>
#include <unistd.h>

#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <git2.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/agents/ingest.h"
#include "actors/agents/reporter.h"
#include "actors/supervisor/run_store.h"
#include "actors/supervisor/supervisor.h"
#include "messages/codec/json_text.h"
#include "messages/codec/timestamp.h"
#include "messages/codec/ulid.h"
#include "messages/data/vocabulary.h"
#include "runtime/actor_boot.h"
#include "runtime/commands.h"
#include "runtime/home.h"
#include "runtime/template_loader.h"

namespace casm::runtime {

using nlohmann::json;
namespace ec = messages::exit_code;

namespace {

std::string new_run_id(int64_t now_ms) {
  codec::ulid_entropy entropy{};
  if (RAND_bytes(entropy.data(), static_cast<int>(entropy.size())) != 1)
    throw std::runtime_error("no randomness available for the run id");
  return codec::make_ulid(static_cast<uint64_t>(now_ms), entropy);
}

void print_summary(const messages::run_outcome& o, const std::string& run_id,
                   const supervisor::fs::path& run_dir, const run_options& opt,
                   const loaded_template& t) {
  if (opt.json) {
    json j;
    j["run_id"] = run_id;
    j["status"] = o.status;
    j["exit_code"] = o.exit_code;
    j["reason"] = codec::display_text(o.reason);
    j["failure_kind"] = o.failure_kind;
    j["run_dir"] = codec::display_text(run_dir.string());
    json arts = json::array();
    for (const auto& a : o.artifacts)
      arts.push_back({{"name", a.name},
                      {"path", codec::display_text((supervisor::run_store::artifacts_dir(run_dir) / a.name).string())},
                      {"sha256", a.sha256},
                      {"bytes", a.bytes}});
    j["artifacts"] = arts;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "run_id: " << run_id << "\n";
  std::cout << "status: " << o.status << " (exit " << o.exit_code << ")\n";
  std::cout << "template: " << t.manifest.id << "  repo: " << codec::display_text(opt.repo)
            << "\n";
  if (!o.reason.empty()) std::cout << "reason: " << codec::display_text(o.reason) << "\n";
  for (const auto& a : o.artifacts)
    std::cout << "artifact: "
              << codec::display_text((supervisor::run_store::artifacts_dir(run_dir) / a.name).string())
              << "\n";
  std::cout << "explain: casm explain --run-id " << run_id << "\n";
}

}  // namespace

int cmd_run(const global_options& g, const run_options& opt) {
  loaded_template tmpl;
  std::vector<codec::config_error> errors;
  if (!load_template(opt.template_id, tmpl, errors)) {
    for (const auto& e : errors) print_error(e.to_string());
    return ec::bad_input;
  }

  supervisor::run_store store(resolve_home(g.home));
  const int64_t now = codec::wall_clock_ms();
  const std::string run_id = new_run_id(now);
  if (auto err = store.create_run_dir(run_id); !err.empty()) {
    print_error("cannot create the run in " + store.home().string() + ": " + err);
    return ec::runtime_failure;
  }
  const auto run_dir = store.run_dir(run_id);
  std::string holder;
  auto lock = supervisor::run_lock::try_acquire(run_dir, &holder);
  if (!lock) {
    print_error("cannot lock the new run " + run_id + ": " + holder);
    return ec::runtime_failure;
  }

  messages::run_start start;
  start.run_id = run_id;
  start.started_at = codec::format_timestamp(now);
  start.template_id = tmpl.manifest.id;
  start.template_hash = tmpl.hash;
  start.workflow = tmpl.manifest.workflow;
  start.stages = tmpl.stages;
  start.repo = opt.repo;
  start.head_rev = opt.head.empty() ? "HEAD" : opt.head;
  start.base_rev = opt.base;

  supervisor::supervisor_config scfg;
  scfg.run_dir = run_dir;
  scfg.run_id = run_id;
  scfg.pinned = json{{"casm_version", CASM_VERSION},
                     {"caf_version", CASM_CAF_VERSION},
                     {"libgit2_version", LIBGIT2_VERSION},
                     {"template_id", tmpl.manifest.id},
                     {"template_hash", tmpl.hash},
                     {"template_source", codec::display_text(tmpl.source)},
                     {"manifest_version", tmpl.manifest.version},
                     {"workflow", tmpl.manifest.workflow}};
  scfg.initial_state.run_id = run_id;
  scfg.initial_state.status = "running";
  scfg.initial_state.template_id = tmpl.manifest.id;
  scfg.initial_state.repo = opt.repo;
  scfg.initial_state.created_at = start.started_at;
  scfg.initial_state.updated_at = start.started_at;
  scfg.initial_state.pid = ::getpid();
  if (auto err = supervisor::run_store::write_state(run_dir, scfg.initial_state); !err.empty()) {
    print_error("cannot write the state of run " + run_id + ": " + err);
    return ec::runtime_failure;
  }

  messages::run_outcome outcome;
  {
    casm_config cfg;
    caf::actor_system sys{cfg};
    supervisor::agent_set agents;
    agents.ingest = sys.spawn<caf::detached>(agents::ingest_agent);
    agents.reporter = sys.spawn<caf::detached>(agents::reporter_agent,
                                               supervisor::run_store::artifacts_dir(run_dir));
    auto sup = sys.spawn<caf::detached>(supervisor::supervisor, scfg, agents);
    caf::scoped_actor self{sys};
    bool ok = false;
    std::string failure;
    self->request(sup, caf::infinite, start)
      .receive([&](messages::run_outcome& o) { outcome = std::move(o); ok = true; },
               [&](caf::error& err) { failure = sys.render(err); });
    if (!ok) {
      // The supervisor itself failed (e.g. the log could not be written).
      // Record what we can in state.json; the log holds everything up to it.
      std::string why;
      auto st = supervisor::run_store::read_state(run_dir, &why).value_or(scfg.initial_state);
      st.status = "failed";
      st.exit_code = ec::runtime_failure;
      st.reason = "the run's supervisor failed: " + failure;
      st.failure_kind = "internal";
      supervisor::run_store::write_state(run_dir, st);
      outcome.status = "failed";
      outcome.exit_code = ec::runtime_failure;
      outcome.reason = st.reason;
      outcome.failure_kind = "internal";
    }
  }
  if (outcome.exit_code != ec::ok && !outcome.reason.empty())
    print_error(codec::display_text(outcome.reason));
  print_summary(outcome, run_id, run_dir, opt, tmpl);
  return outcome.exit_code;
}

}  // namespace casm::runtime
