// Distributed mode (docs/fleet.md, Nodes): the handshake between an origin
// and a `casm node` agent pool, over CAF's middleman (BASP).
#pragma once

#include <cstdint>
#include <string>

#include "messages/data/fields.h"

namespace casm::messages {

// The node protocol this build speaks. Bump it whenever a message a node
// exchanges (node_hello, node_welcome, review_request, review_result)
// changes shape; an origin and a node of different protocols refuse each
// other at the handshake with a sentence naming both versions.
constexpr uint32_t node_protocol_version = 1;

struct node_hello {
  uint32_t protocol = 0;
  std::string casm_version;
  std::string origin;  // who asks (hostname:pid), for the node's log
};

struct node_welcome {
  uint32_t protocol = 0;
  std::string casm_version;
  std::string node;    // the node's host:port as it listens
  uint32_t workers = 0;
};

CASM_JSON(node_hello, protocol, casm_version, origin)
CASM_JSON(node_welcome, protocol, casm_version, node, workers)

}  // namespace casm::messages
