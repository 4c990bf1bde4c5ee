// A fleet: one run per repository, admitted N at a time by the fleet
// scheduler (actors/fleet/). Plain data: the rows of fleet.json and the
// scheduler's progress messages.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "messages/data/fields.h"

namespace casm::messages {

// One row of fleet.json: one repository of the fleet. A row that has not
// run yet has status "pending" and no run id; `error` is empty unless the
// run failed (then it says why).
struct fleet_row {
  std::string repo;                 // the path as given (bytes)
  std::string run_id;               // "" until the run exists
  std::string status = "pending";   // a run status, or "pending"
  std::map<std::string, uint64_t> findings{{"info", 0}, {"low", 0}, {"medium", 0}, {"high", 0}};
  double cost_usd = 0;
  double duration_s = 0;
  bool has_exit_code = false;
  int exit_code = 0;
  std::string error;
  std::string node;                 // where its scan shards ran ("local" or host:port list)
  uint64_t redispatched = 0;        // tasks (shards, fixes, validations) re-dispatched after a node loss
};

// The scheduler tells the CLI what happened, one message per event.
struct fleet_progress {
  std::string event;       // run_started | run_finished
  uint64_t index = 0;      // the row
  std::string run_id;
  std::string status;
  int exit_code = 0;
  uint64_t done = 0;       // rows finished in this fleet (this process and before)
  uint64_t running = 0;
  uint64_t findings = 0;   // total findings of the finished rows
  double cost_usd = 0;     // total spend of the finished rows
};

// The scheduler is done: nothing runs any more.
struct fleet_done {
  bool stopped = false;         // admission was stopped (SIGINT)
  bool budget_stopped = false;  // admission stopped: the fleet budget is spent
  uint64_t admitted = 0;        // runs started by this process
};

CASM_JSON(fleet_progress, event, index, run_id, status, exit_code, done, running, findings, cost_usd)
CASM_JSON(fleet_done, stopped, budget_stopped, admitted)

}  // namespace casm::messages
