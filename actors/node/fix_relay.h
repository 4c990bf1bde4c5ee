// A run's fixer in distributed mode: the supervisor sees a fixer agent
// (same typed interface); the relay asks the origin's dispatcher for the
// patch (computed on a node, or on the origin after a loss), writes it to
// this run's artifacts/patch.diff and answers the fix_result, which carries
// where the patch was made and any re-dispatch. One per run, detached (the
// patch file is written here, and a --write-branch fix, which must land in
// the origin's repository, is made here with the local fixer).
#pragma once

#include <filesystem>

#include "messages/protocol/interfaces.h"

namespace casm::node {

protocol::fixer_actor::behavior_type fix_relay(protocol::fixer_actor::pointer self,
                                               protocol::fix_farm_actor farm,
                                               std::filesystem::path artifacts_dir);

}  // namespace casm::node
