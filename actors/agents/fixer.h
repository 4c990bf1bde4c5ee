// The fixer agent: turns the planned mechanical fixes into
// artifacts/patch.diff and applies them in the object database. It never
// touches the user's checkout: no HEAD, index or working-tree change.
//  - Without --write-branch, new objects go to an in-memory object backend
//    (libgit2 mempack) and vanish with the request: the repository is not
//    written at all.
//  - With --write-branch, blobs, a tree and a commit are written and
//    refs/heads/casm/<run_id> points at the commit.
// Detached: libgit2 and file writes block.
#pragma once

#include <filesystem>

#include "messages/protocol/interfaces.h"

namespace casm::agents {

protocol::fixer_actor::behavior_type fixer_agent(protocol::fixer_actor::pointer self,
                                                 std::filesystem::path artifacts_dir);

messages::fix_result apply_fixes(const messages::fix_request& req,
                                 const std::filesystem::path& artifacts_dir);

}  // namespace casm::agents
