#include "runtime/run_driver.h"

#include <cstdlib>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/agents/fixer.h"
#include "actors/agents/gate.h"
#include "actors/agents/ingest.h"
#include "actors/agents/reporter.h"
#include "actors/agents/reviewer.h"
#include "actors/agents/validator.h"
#include "messages/data/vocabulary.h"
#include "runtime/actor_boot.h"

namespace casm::runtime {

namespace ec = messages::exit_code;

protocol::supervisor_actor spawn_run(caf::actor_system& sys, const supervisor::supervisor_config& scfg,
                                     const messages::run_start& start,
                                     const std::filesystem::path& home,
                                     const std::vector<protocol::reviewer_actor>* reviewers) {
  const auto artifacts = supervisor::run_store::artifacts_dir(scfg.run_dir);
  supervisor::agent_set agents;
  agents.ingest = sys.spawn<caf::detached>(agents::ingest_agent);
  agents.reporter = sys.spawn<caf::detached>(agents::reporter_agent, artifacts);
  if (start.audit.enabled) {
    if (reviewers && !reviewers->empty())
    {
      agents.reviewers = *reviewers;  // shared: the shard dispatcher of --nodes
      agents.shared_reviewers = true;
    }
    else
      for (uint32_t i = 0; i < start.audit.reviewers; ++i)
        agents.reviewers.push_back(sys.spawn<caf::detached>(agents::reviewer_agent));
    agents.fixer = sys.spawn<caf::detached>(agents::fixer_agent, artifacts);
    agents.validator = sys.spawn<caf::detached>(agents::validator_agent, home);
    agents::gate_config gate;
    std::vector<codec::config_error> errors;
    if (policy::parse_ruleset(start.audit.ruleset_id, start.audit.ruleset_text, gate.rules, errors)) {
      gate.ruleset_hash = start.audit.ruleset_hash;
      agents.gate = sys.spawn<caf::detached>(agents::gate_agent, std::move(gate));
    }
  }
  auto cfg_with_seams = scfg;
  if (const char* log = std::getenv("CASM_TEST_EFFECT_LOG"); log && *log)
    cfg_with_seams.effect_log = log;
  if (const char* kill = std::getenv("CASM_TEST_KILL_AFTER"); kill && *kill)
    cfg_with_seams.kill_after = kill;
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

drive_result drive_run(const supervisor::supervisor_config& scfg, const messages::run_start& start,
                       const std::filesystem::path& home) {
  std::string failure;
  {
    casm_config cfg;
    caf::actor_system sys{cfg};
    auto sup = spawn_run(sys, scfg, start, home);
    caf::scoped_actor self{sys};
    drive_result result;
    bool ok = false;
    self->request(sup, caf::infinite, start)
      .receive(
        [&](messages::run_outcome& o) {
          result.outcome = std::move(o);
          ok = true;
        },
        [&](caf::error& err) { failure = sys.render(err); });
    if (ok) return result;
  }
  return supervisor_failed(scfg, failure);
}

}  // namespace casm::runtime
