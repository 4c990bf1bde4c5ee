// The ingest agent: opens the repository with libgit2 and pins the run's
// commits. It runs detached (libgit2 blocks). It reads the object database
// only: no checkout, so no hook, filter or smudge command can ever run.
#pragma once

#include "messages/protocol/interfaces.h"

namespace casm::agents {

protocol::ingest_actor::behavior_type ingest_agent(protocol::ingest_actor::pointer self);

// The work itself, callable without an actor (tests, bench).
messages::ingest_result ingest_repository(const messages::ingest_request& req);

}  // namespace casm::agents
