// The fleet scheduler: one per fleet. It admits at most `parallel` runs to
// work at once (backpressure: the next run starts only when one stops
// working), asks each run's supervisor to run, and tells the CLI what
// happened.
//
// A run stops working when its outcome is decided (its supervisor says
// `settling`); it is finished when that outcome is durable and answered.
// In between it only waits on its final flush, a group commit shared with
// the other settling runs, and holds no core, agent or slot. No more than
// 2 x `parallel` runs are ever open (working or settling).
//
// What a run *is* (its dir, lock, pinned config, agents) belongs to the
// runtime, which passes it in as hooks; the scheduler owns only admission.
// It runs detached: the hooks create run dirs and write files, which block,
// and no CAF scheduler thread may wait on the disk.
#pragma once

#include <cstddef>
#include <deque>
#include <set>
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
  // Creates the run of row `index` and spawns its actors; its supervisor
  // tells `scheduler` when it settles (supervisor_config::settling_to).
  std::function<launched_run(size_t index, const protocol::fleet_actor& scheduler)> launch;
  // Row `index` ended: its outcome, or the supervisor's failure (`failure`
  // set), or the launch error (`launch_error` set).
  std::function<row_tally(size_t index, const messages::run_outcome& outcome,
                          const std::string& failure, const std::string& launch_error)>
    finished;
};

struct fleet_config {
  std::deque<size_t> todo;   // rows to run, in order
  size_t parallel = 1;       // at most this many runs working at once
  uint64_t done_before = 0;  // rows finished by an earlier process (resume)
  uint64_t findings_before = 0;
  double cost_before = 0;
  caf::actor listener;       // gets fleet_progress, then fleet_done
  fleet_hooks hooks;
};

struct fleet_state {
  static inline const char* name = "casm.fleet";
  fleet_config cfg;
  std::set<std::string> working;   // run ids admitted, not yet settling
  std::set<std::string> settling;  // outcome decided, final flush pending
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
