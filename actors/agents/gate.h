// The gate agent: collects the evidence the policy gate scores, from the
// object database only. Incoming mode reads the diff base..head; patch mode
// reads the planned fixes (head's blobs, fixed by the same pure transform as
// the fixer). It runs the ruleset's patterns (Hyperscan) on added lines and
// parses dependency manifests; it decides nothing. Detached: libgit2 blocks.
#pragma once

#include "messages/protocol/interfaces.h"
#include "policy/ruleset.h"

namespace casm::agents {

struct gate_config {
  policy::ruleset rules;
  std::string ruleset_hash;
};

protocol::gate_actor::behavior_type gate_agent(protocol::gate_actor::pointer self,
                                               gate_config config);

messages::gate_result collect_gate_evidence(const messages::gate_request& req,
                                            const gate_config& config);

}  // namespace casm::agents
