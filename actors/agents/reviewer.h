// A reviewer agent: reads the blobs of its shard from the object database
// (never the working tree, so results are pinned to the commit) and scans
// them with the rule pack. Detached: libgit2 blocks. Each reviewer owns its
// own repository handle, so shards read in parallel.
#pragma once

#include "messages/protocol/interfaces.h"

namespace casm::agents {

protocol::reviewer_actor::behavior_type reviewer_agent(protocol::reviewer_actor::pointer self);

// The work itself, callable without an actor (bench, tests).
messages::review_result review_shard(const messages::review_request& req);

}  // namespace casm::agents
