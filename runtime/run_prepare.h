// What `casm run` does before the actors start, shared by a single run and
// by a fleet: the plan (template, ruleset, audit options: fixed once, before
// any run exists, so every config error is found first) and, per repository,
// the prepared run (its dir, lock, state.json, pinned config, run_start).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "actors/supervisor/run_store.h"
#include "actors/supervisor/supervisor.h"
#include "messages/data/workflow.h"
#include "runtime/commands.h"
#include "runtime/ruleset_loader.h"
#include "runtime/template_loader.h"

namespace casm::runtime {

struct run_plan {
  loaded_template tmpl;
  messages::audit_options audit;
  loaded_ruleset ruleset;
  messages::routing_setup routing;  // strategy, providers, budget, prices (day: per run)
};

// Loads the template, the audit and the routing configuration of `opt` (not
// its repo).
// Prints each error and returns false on bad input.
bool plan_run(const run_options& opt, run_plan& plan);

struct prepared_run {
  std::string run_id;
  std::filesystem::path run_dir;
  supervisor::supervisor_config scfg;
  messages::run_start start;
  std::optional<supervisor::run_lock> lock;  // held while this process drives the run
};

// Creates runs/<new id>/ for `repo`, takes its lock and writes state.json
// (`running`). Returns "" or the error (then nothing usable was created).
// `before_create`, when set, hears the new run id before its dir exists (a
// fleet notes it there, so a killed fleet never leaves a run it forgot).
std::string prepare_run(const supervisor::run_store& store, const run_plan& plan,
                        const run_options& opt, const std::string& repo, prepared_run& out,
                        const std::function<void(const std::string&)>& before_create = {});

// A fresh ULID for `now_ms` (80 random bits).
std::string new_ulid(int64_t now_ms);

}  // namespace casm::runtime
