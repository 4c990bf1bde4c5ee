#include "runtime/actor_boot.h"

#include <arpa/inet.h>

#include <chrono>
#include <thread>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "messages/protocol/registry.h"

namespace casm::runtime {

casm_config::casm_config() {
  protocol::register_message_types(*this);
  // Blocking work runs in detached actors, so the scheduler needs only one
  // worker per core.
  set("scheduler.max-threads", static_cast<size_t>(std::max(2u, std::thread::hardware_concurrency())));
}

casm_config::casm_config(const net_options& net) : casm_config() {
  if (!net.enabled) return;
  load<caf::io::middleman>();
  // BASP's own heartbeat is off by default (DESIGN.md); with it on, a
  // connection that stays silent is closed by CAF, and the dispatcher's
  // per-node ping detects a lost node within a few seconds either way.
  set("middleman.heartbeat-interval", caf::timespan{std::chrono::seconds(1)});
  set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(6)});
  // Only casm processes may connect to each other.
  set("middleman.app-identifiers", std::vector<std::string>{"casm"});
  if (net.tls()) {
    load<caf::openssl::manager>();
    openssl_certificate = net.tls_cert;
    openssl_key = net.tls_key;
    openssl_cafile = net.tls_ca;
  }
}

bool parse_host_port(const std::string& text, std::string& host, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return false;
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string p = text.substr(colon + 1);
  if (p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5) return false;
  unsigned long v = std::stoul(p);
  if (v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return !host.empty();
}

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr a{};
  if (inet_pton(AF_INET, host.c_str(), &a) == 1) return (ntohl(a.s_addr) >> 24) == 127;
  return false;
}

}  // namespace casm::runtime
