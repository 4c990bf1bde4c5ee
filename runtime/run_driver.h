// Runs one run's actors to the end: boots CAF, spawns the agents the run
// needs (none of them is asked anything a resume can answer from the log),
// the supervisor, and waits on the main thread for the outcome.
#pragma once

#include <filesystem>
#include <string>

#include <memory>

#include "actors/routing/accountant.h"
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
// The budget authority the run reserves through. Null: a core of this
// process (made once, no fleet cap), so every run of a process shares it.
// A fleet passes its own core, made with make_accountant_core({fleet cap}).
struct drive_options {
  std::shared_ptr<routing::accountant_core> accountant;
};

// The process's default accountant core (no fleet cap).
std::shared_ptr<routing::accountant_core> process_accountant();

drive_result drive_run(const supervisor::supervisor_config& scfg, const messages::run_start& start,
                       const std::filesystem::path& home, const drive_options& opts = {});

}  // namespace casm::runtime
