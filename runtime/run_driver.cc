#include "runtime/run_driver.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/agents/fixer.h"
#include "actors/agents/gate.h"
#include "actors/agents/ingest.h"
#include "actors/agents/reporter.h"
#include "actors/agents/reviewer.h"
#include "actors/agents/validator.h"
#include "actors/connectors/connector_actor.h"
#include "actors/node/fix_relay.h"
#include "actors/routing/router_actor.h"
#include "messages/data/vocabulary.h"
#include "runtime/actor_boot.h"

namespace casm::runtime {

namespace ec = messages::exit_code;

std::shared_ptr<routing::accountant_core> process_accountant() {
  static auto core = routing::make_accountant_core();
  return core;
}

namespace {

// The run's budget: opened in the accountant before the coordinator exists
// (no reservation can come first), less what a resumed run already spent
// (recorded), which also counts on its endpoints' day.
void open_budget(routing::accountant_core& core, const supervisor::supervisor_config& scfg,
                 const messages::run_start& start) {
  double cap = start.routing.constraints.max_usd_per_run > 0
                 ? start.routing.constraints.max_usd_per_run
                 : -1.0;
  std::map<std::string, std::string> endpoint_of;  // settle call id -> endpoint
  double spent = 0;
  for (const auto& rec : scfg.feed) {
    const auto& p = rec["payload"];
    const std::string type = rec.value("type", "");
    if (!p.is_object()) continue;
    if (type == "cost.reconcile_requested")
      endpoint_of[p.value("call_id", "")] = p.value("endpoint", "");
    if (type == "cost.reconciled" && p.value("ok", false) && p.contains("actual")) {
      const double usd = p["actual"].value("usd", 0.0);
      spent += usd;
      core.ledger().add_prior_spend(endpoint_of[p.value("call_id", "")], start.routing.day, usd);
    }
  }
  if (cap >= 0) cap = std::max(0.0, cap - spent);
  core.open_run({start.run_id, cap});
}

}  // namespace

protocol::supervisor_actor spawn_run(caf::actor_system& sys, const supervisor::supervisor_config& scfg,
                                     const messages::run_start& start,
                                     const std::filesystem::path& home, const spawn_options& opts) {
  const auto artifacts = supervisor::run_store::artifacts_dir(scfg.run_dir);
  supervisor::agent_set agents;
  agents.ingest = sys.spawn<caf::detached>(agents::ingest_agent);
  agents.reporter = sys.spawn<caf::detached>(agents::reporter_agent, artifacts);
  if (start.audit.enabled) {
    if (opts.dispatcher) {
      // Shared: the dispatcher of --nodes farms shards, fixes and
      // validations out; the run's fix relay writes its patch.diff.
      agents.reviewers.push_back(opts.dispatcher);
      agents.shared_reviewers = true;
      agents.validator = opts.dispatcher;
      agents.shared_validator = true;
      agents.make_fixer = [&sys, farm = protocol::fix_farm_actor{opts.dispatcher}, artifacts] {
        return protocol::fixer_actor{sys.spawn<caf::detached>(node::fix_relay, farm, artifacts)};
      };
    } else {
      for (uint32_t i = 0; i < start.audit.reviewers; ++i)
        agents.reviewers.push_back(sys.spawn<caf::detached>(agents::reviewer_agent));
      agents.make_fixer = [&sys, artifacts] {
        return protocol::fixer_actor{sys.spawn<caf::detached>(agents::fixer_agent, artifacts)};
      };
      agents.make_validator = [&sys, home] {
        return protocol::validator_actor{sys.spawn<caf::detached>(agents::validator_agent, home)};
      };
    }
    agents.make_gate = [&sys, id = start.audit.ruleset_id, text = start.audit.ruleset_text,
                        hash = start.audit.ruleset_hash] {
      agents::gate_config gate;
      std::vector<codec::config_error> errors;
      if (!policy::parse_ruleset(id, text, gate.rules, errors)) return protocol::gate_actor{};
      gate.ruleset_hash = hash;
      return protocol::gate_actor{sys.spawn<caf::detached>(agents::gate_agent, std::move(gate))};
    };
  }
  if (start.routing.enabled) {
    auto core = opts.accountant ? opts.accountant : process_accountant();
    open_budget(*core, scfg, start);
    // A shell over the shared core: the core is the one budget authority.
    auto accountant = routing::spawn_accountant(sys, core);
    agents.router = routing::spawn_router(sys, accountant, start.routing.prices);
    if (!start.routing.constraints.offline) {
      const uint32_t n = std::max<uint32_t>(1, std::min<uint32_t>(4, start.audit.reviewers));
      for (uint32_t i = 0; i < n; ++i)
        agents.connectors.push_back(connectors::spawn_connector(sys, start.routing.prices));
    }
  }
  auto cfg_with_seams = scfg;
  if (const char* log = std::getenv("CASM_TEST_EFFECT_LOG"); log && *log)
    cfg_with_seams.effect_log = log;
  if (const char* kill = std::getenv("CASM_TEST_KILL_AFTER"); kill && *kill)
    cfg_with_seams.kill_after = kill;
  if (const char* off = std::getenv("CASM_BENCH_NO_RECORD"); off && std::string(off) == "1")
    cfg_with_seams.record = false;
  return sys.spawn<caf::detached>(supervisor::supervisor, cfg_with_seams, agents);
}

drive_result supervisor_failed(const supervisor::supervisor_config& scfg, std::string failure) {
  drive_result result;
  result.failure = std::move(failure);
  if (result.failure.find("resume diverged") != std::string::npos) {
    result.diverged = true;
    result.outcome.status = "diverged";
    result.outcome.exit_code = ec::integrity;
    result.outcome.reason = result.failure;
    return result;
  }
  // The supervisor itself failed (e.g. the log could not be written). Record
  // what we can in state.json; the log holds everything up to it.
  std::string why;
  auto st = supervisor::run_store::read_state(scfg.run_dir, &why).value_or(scfg.initial_state);
  st.status = "failed";
  st.exit_code = ec::runtime_failure;
  st.reason = "the run's supervisor failed: " + result.failure;
  st.failure_kind = "internal";
  supervisor::run_store::write_state(scfg.run_dir, st);
  result.outcome.status = "failed";
  result.outcome.exit_code = ec::runtime_failure;
  result.outcome.reason = st.reason;
  result.outcome.failure_kind = "internal";
  return result;
}

drive_result drive_run_in(caf::actor_system& sys, const supervisor::supervisor_config& scfg,
                          const messages::run_start& start, const std::filesystem::path& home,
                          const spawn_options& opts) {
  auto sup = spawn_run(sys, scfg, start, home, opts);
  caf::scoped_actor self{sys};
  drive_result result;
  bool ok = false;
  self->request(sup, caf::infinite, start)
    .receive(
      [&](messages::run_outcome& o) {
        result.outcome = std::move(o);
        ok = true;
      },
      [&](caf::error& err) { result.failure = sys.render(err); });
  if (!ok && result.failure.empty()) result.failure = "the supervisor did not answer";
  return result;
}

drive_result drive_run(const supervisor::supervisor_config& scfg, const messages::run_start& start,
                       const std::filesystem::path& home, const drive_options& opts) {
  std::string failure;
  {
    casm_config cfg;
    caf::actor_system sys{cfg};
    spawn_options so;
    so.accountant = opts.accountant;
    auto result = drive_run_in(sys, scfg, start, home, so);
    if (result.failure.empty()) return result;
    failure = result.failure;
  }
  return supervisor_failed(scfg, failure);
}

}  // namespace casm::runtime
