// The validator agent: materializes head + the fixer's patch in a disposable
// worktree (system temp dir, straight from the object database: no checkout,
// no filters) and runs the allowlisted validation commands there under
// bubblewrap. Detached: it blocks on processes and files.
#pragma once

#include <filesystem>
#include <vector>

#include "messages/protocol/interfaces.h"

namespace casm::agents {

// `casm_home` is hidden from the commands (they cannot read other runs).
protocol::validator_actor::behavior_type
validator_agent(protocol::validator_actor::pointer self, std::filesystem::path casm_home);

messages::validate_result run_validation(const messages::validate_request& req,
                                         const std::filesystem::path& casm_home);
// The same, hiding each of `hidden_paths` from the commands (a node hides
// its home and its clone cache).
messages::validate_result run_validation(const messages::validate_request& req,
                                         const std::vector<std::filesystem::path>& hidden_paths);

}  // namespace casm::agents
