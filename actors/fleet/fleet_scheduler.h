// The fleet scheduler: one per fleet. It admits at most `parallel` runs at
// once (backpressure: the next run starts only when one ends), asks each
// run's supervisor to run, and tells the CLI what happened.
//
// What a run *is* (its dir, lock, pinned config, agents) belongs to the
// runtime, which passes it in as hooks; the scheduler owns only admission.
// It runs detached: the hooks create run dirs and write files, which block,
// and no CAF scheduler thread may wait on the disk.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>

#include <caf/actor.hpp>

#include "messages/data/fleet.h"
#include "messages/protocol/interfaces.h"

namespace casm::fleet {

// A run the runtime created for a row: its supervisor (ask it run_start), or
// why it could not be created.
struct launched_run {
  protocol::supervisor_actor supervisor;
  messages::run_start start;
  std::string error;  // set: no run; the row failed before it started
};

// What a finished row adds to the fleet's totals.
struct row_tally {
  uint64_t findings = 0;
  double cost_usd = 0;
};

struct fleet_hooks {
  // May one more run be admitted? (the fleet budget; true without a cap)
  std::function<bool()> may_admit;
  // Creates the run of row `index` and spawns its actors.
  std::function<launched_run(size_t index)> launch;
  // Row `index` ended: its outcome, or the supervisor's failure (`failure`
  // set), or the launch error (`launch_error` set).
  std::function<row_tally(size_t index, const messages::run_outcome& outcome,
                          const std::string& failure, const std::string& launch_error)>
    finished;
};

struct fleet_config {
  std::deque<size_t> todo;   // rows to run, in order
  size_t parallel = 1;       // at most this many runs at once
  uint64_t done_before = 0;  // rows finished by an earlier process (resume)
  uint64_t findings_before = 0;
  double cost_before = 0;
  caf::actor listener;       // gets fleet_progress, then fleet_done
  fleet_hooks hooks;
};

struct fleet_state {
  static inline const char* name = "casm.fleet";
  fleet_config cfg;
  size_t running = 0;
  uint64_t done = 0;
  uint64_t admitted = 0;
  uint64_t findings = 0;
  double cost_usd = 0;
  bool started = false;
  bool stopped = false;
  bool budget_stopped = false;
  bool finished = false;
};

protocol::fleet_actor::behavior_type
fleet_scheduler(protocol::fleet_actor::stateful_pointer<fleet_state> self, fleet_config cfg);

}  // namespace casm::fleet
