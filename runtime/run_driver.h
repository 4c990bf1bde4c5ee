// Runs one run's actors to the end: boots CAF, spawns the agents the run
// needs (none of them is asked anything a resume can answer from the log),
// the supervisor, and waits on the main thread for the outcome. A fleet
// spawns many runs in one actor system with spawn_run().
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/node/shard_dispatcher.h"
#include "actors/routing/accountant.h"
#include "actors/supervisor/supervisor.h"
#include "messages/data/workflow.h"

namespace casm::runtime {

struct drive_result {
  messages::run_outcome outcome;
  bool diverged = false;  // a resume whose coordinator no longer matches the log
  std::string failure;    // set with diverged, or when the supervisor failed
};

// The budget authority the run reserves through. Null: a core of this
// process (made once, no fleet cap), so every run of a process shares it.
// A fleet passes its own core, made with make_accountant_core({fleet cap}).
struct drive_options {
  std::shared_ptr<routing::accountant_core> accountant;
};

// The process's default accountant core (no fleet cap).
std::shared_ptr<routing::accountant_core> process_accountant();

// A supervisor failure (not a run failure) is written to state.json as
// `failed` unless the resume diverged, which leaves the run untouched.
drive_result drive_run(const supervisor::supervisor_config& scfg, const messages::run_start& start,
                       const std::filesystem::path& home, const drive_options& opts = {});

struct spawn_options {
  // Distributed mode (--nodes): the origin's dispatcher replaces the run's
  // reviewers and validator, and a fix relay over it its fixer; the run
  // then stops neither the dispatcher nor anything it started.
  node::dispatcher_actor dispatcher;
  // As drive_options::accountant; the run's budget is opened in it here.
  std::shared_ptr<routing::accountant_core> accountant;
};

// Spawns one run's agents and its supervisor in `sys`. Ask the supervisor
// run_start to start it.
protocol::supervisor_actor spawn_run(caf::actor_system& sys, const supervisor::supervisor_config& scfg,
                                     const messages::run_start& start,
                                     const std::filesystem::path& home,
                                     const spawn_options& opts = {});

// Drives one run to the end in a system booted by the caller (casm run
// --repo --nodes boots the middleman and connects to the nodes first).
// On a supervisor failure only `failure` is set: call supervisor_failed()
// once the system is down (the supervisor has then left the run dir).
drive_result drive_run_in(caf::actor_system& sys, const supervisor::supervisor_config& scfg,
                          const messages::run_start& start, const std::filesystem::path& home,
                          const spawn_options& opts);

// What to report when the supervisor answered with an error instead of an
// outcome (written to state.json unless a resume diverged).
drive_result supervisor_failed(const supervisor::supervisor_config& scfg, std::string failure);

}  // namespace casm::runtime
