// Distributed mode (docs/fleet.md, Nodes): the handshake between an origin
// and a `casm node` agent pool, over CAF's middleman (BASP).
#pragma once

#include <cstdint>
#include <string>

#include "messages/data/audit.h"
#include "messages/data/fields.h"

namespace casm::messages {

// The node protocol this build speaks. Bump it whenever a message a node
// exchanges (node_hello, node_welcome, the node_*task and node_*reply
// messages and the requests and results they carry) changes shape; an
// origin and a node of different protocols refuse each other at the
// handshake with a sentence naming both versions.
//   2: scan shards (node_task -> review_result)
//   3: also fixes (node_fix_task -> node_fix_reply) and validations
//      (node_validate_task -> node_validate_reply); fix_result and
//      validate_result carry node and redispatches
constexpr uint32_t node_protocol_version = 3;

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

// A fix as sent to a node: the node computes the patch in its object
// database (in memory: nothing is written to the repository) and sends the
// patch text back; the origin writes artifacts/patch.diff. --write-branch
// fixes never go to a node (the branch belongs in the origin's repository).
struct node_fix_task {
  fix_request req;
  std::string source_url;
};

struct node_fix_reply {
  fix_result result;
  std::string patch;     // artifacts/patch.diff's text (secret lines masked)
  std::string declined;  // set when the node could not reach the repository
};

// A validation as sent to a node: it materializes head + the patch in a
// worktree of its own temp dir and runs the commands in its sandbox.
struct node_validate_task {
  validate_request req;
  std::string source_url;
};

struct node_validate_reply {
  validate_result result;
  std::string declined;  // set when the node could not reach the repository
};

// The origin's dispatcher learns that the repository it will see as
// `repo_path` came from `url` (a --repos line that is a URL).
struct node_source {
  std::string repo_path;
  std::string url;
};

CASM_JSON(node_task, req, source_url)
CASM_JSON(node_source, repo_path, url)
CASM_JSON(node_fix_task, req, source_url)
CASM_JSON(node_fix_reply, result, patch, declined)
CASM_JSON(node_validate_task, req, source_url)
CASM_JSON(node_validate_reply, result, declined)
CASM_JSON(node_hello, protocol, casm_version, origin)
CASM_JSON(node_welcome, protocol, casm_version, node, workers)

}  // namespace casm::messages
