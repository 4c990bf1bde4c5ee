// Distributed mode (docs/fleet.md, Nodes): the handshake between an origin
// and a `casm node` agent pool, over CAF's middleman (BASP).
#pragma once

#include <cstdint>
#include <string>

#include "messages/data/audit.h"
#include "messages/data/fields.h"

namespace casm::messages {

// The node protocol this build speaks. Bump it whenever a message a node
// exchanges (node_hello, node_welcome, review_request, review_result)
// changes shape; an origin and a node of different protocols refuse each
// other at the handshake with a sentence naming both versions.
constexpr uint32_t node_protocol_version = 2;

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

// A scan shard as sent to a node: the review request, and where the node
// may fetch the repository if it cannot open `req.repo_path` (a git URL;
// empty for a repository given by path).
struct node_task {
  review_request req;
  std::string source_url;
};

// The origin's dispatcher learns that the repository it will see as
// `repo_path` came from `url` (a --repos line that is a URL).
struct node_source {
  std::string repo_path;
  std::string url;
};

CASM_JSON(node_task, req, source_url)
CASM_JSON(node_source, repo_path, url)
CASM_JSON(node_hello, protocol, casm_version, origin)
CASM_JSON(node_welcome, protocol, casm_version, node, workers)

}  // namespace casm::messages
