// Config drift: how a run's pinned config (its config.pinned record) differs
// from this build and from the config files as they are now. Replay refuses
// to compare under drift unless asked (DESIGN.md, The run log: "Replay under
// different config says exactly what differs").
//
// Read-only: it reads the pinned template and ruleset files (or the embedded
// ones) and never writes.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace casm::runtime {

struct config_difference {
  std::string what;     // casm_version | config_pinned | template | rule_pack | ruleset
  std::string name;     // the template or ruleset id; empty otherwise
  std::string source;   // where the current one was looked for; empty otherwise
  std::string pinned;   // the pinned version or sha256
  std::string current;  // the current one; empty if it cannot be loaded
  std::string message;  // one sentence naming exactly what differs
};

// Compares `pinned` (a config.pinned payload) with `casm_version` (this
// build's) and the current template, rule pack and ruleset. Empty: no drift.
// The CAF and libgit2 versions are not compared: replay runs neither.
std::vector<config_difference> config_drift(const nlohmann::json& pinned,
                                            const std::string& casm_version);

nlohmann::json to_json(const config_difference& d);

}  // namespace casm::runtime
