// Runs one run's actors to the end: boots CAF, spawns the agents the run
// needs (none of them is asked anything a resume can answer from the log),
// the supervisor, and waits on the main thread for the outcome.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/supervisor/supervisor.h"
#include "messages/data/workflow.h"

namespace casm::runtime {

struct drive_result {
  messages::run_outcome outcome;
  bool diverged = false;  // a resume whose coordinator no longer matches the log
  std::string failure;    // set with diverged, or when the supervisor failed
};

// A supervisor failure (not a run failure) is written to state.json as
// `failed` unless the resume diverged, which leaves the run untouched.
drive_result drive_run(const supervisor::supervisor_config& scfg, const messages::run_start& start,
                       const std::filesystem::path& home);

// Spawns one run's agents and its supervisor in `sys` (a fleet spawns many
// runs in one actor system). Ask the supervisor run_start to start it.
// `reviewers`, when given, replaces the run's own reviewer agents (the
// shard dispatcher of distributed mode); the run then stops none of them.
protocol::supervisor_actor spawn_run(caf::actor_system& sys, const supervisor::supervisor_config& scfg,
                                     const messages::run_start& start,
                                     const std::filesystem::path& home,
                                     const std::vector<protocol::reviewer_actor>* reviewers = nullptr);

// What to report when the supervisor answered with an error instead of an
// outcome (written to state.json unless a resume diverged).
drive_result supervisor_failed(const supervisor::supervisor_config& scfg, std::string failure);

}  // namespace casm::runtime
