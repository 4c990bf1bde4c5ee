#include "runtime/node_connect.h"

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "messages/data/node.h"
#include "runtime/actor_boot.h"

namespace casm::runtime {

std::string connect_nodes(caf::actor_system& sys, const std::vector<std::string>& nodes, bool tls,
                          uint32_t local_workers, const std::filesystem::path& home, node_link& out) {
  node::dispatcher_config dc;
  dc.local_workers = local_workers;
  dc.local.casm_version = CASM_VERSION;
  dc.local.casm_home = home;
  dc.local.clone_cache = home / "cache" / "clones";
  caf::scoped_actor self{sys};
  for (const auto& spec : nodes) {
    std::string host;
    uint16_t port = 0;
    if (!parse_host_port(spec, host, port) || port == 0)
      return "--nodes entry '" + spec + "' is not HOST:PORT";
    caf::expected<protocol::node_pool_actor> pool =
      tls ? caf::openssl::remote_actor<protocol::node_pool_actor>(sys, host, port)
                : sys.middleman().remote_actor<protocol::node_pool_actor>(host, port);
    if (!pool) {
      if (pool.error() == caf::sec::unexpected_actor_messaging_interface)
        return "node " + spec + " publishes another agent-pool interface: it runs a casm of another "
               "node protocol (this casm " CASM_VERSION " speaks protocol " +
               std::to_string(messages::node_protocol_version) + "); run the same casm on both";
      std::string hint;
      if (pool.error() == caf::sec::disconnect_during_handshake)
        hint = tls ? " (the node refused this origin's certificate, or speaks plain TCP)"
                         : " (the node may require mutual TLS: give --tls-cert, --tls-key and --tls-ca)";
      return "cannot reach node " + spec + ": " + sys.render(pool.error()) + hint;
    }
    messages::node_hello hello;
    hello.protocol = messages::node_protocol_version;
    hello.casm_version = CASM_VERSION;
    char hn[256] = {0};
    ::gethostname(hn, sizeof hn - 1);
    hello.origin = std::string(hn) + ":" + std::to_string(::getpid());
    std::string problem;
    self->request(*pool, std::chrono::seconds(10), hello)
      .receive(
        [&](messages::node_welcome& w) {
          if (w.protocol != messages::node_protocol_version)
            problem = "node " + spec + " speaks casm node protocol " + std::to_string(w.protocol) +
                      " (casm " + w.casm_version + "), this casm " CASM_VERSION " speaks protocol " +
                      std::to_string(messages::node_protocol_version) + "; run the same casm on both";
        },
        [&](caf::error& e) { problem = "node " + spec + " did not answer the handshake: " + sys.render(e); });
    if (!problem.empty()) return problem;
    dc.nodes.push_back({spec, *pool});
    out.nodes.push_back(spec);
  }
  out.dispatcher = sys.spawn(node::shard_dispatcher, std::move(dc));
  return "";
}

}  // namespace casm::runtime
