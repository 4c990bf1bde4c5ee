// Boots CAF for one casm process: every protocol type registered, the
// scheduler sized for this machine, and, for `casm node` and an origin
// with --nodes, the middleman (BASP) with its heartbeat, over TLS when
// certificates are given (libcaf-openssl).
#pragma once

#include <string>

#include <caf/actor_system_config.hpp>

namespace casm::runtime {

struct net_options {
  bool enabled = false;  // load the middleman
  std::string tls_cert;  // all three, or none: mutual TLS
  std::string tls_key;
  std::string tls_ca;
  bool tls() const { return !tls_cert.empty(); }
};

class casm_config : public caf::actor_system_config {
public:
  casm_config();
  explicit casm_config(const net_options& net);
};

// "host:port" (or "[v6]:port") into its parts; false if it is not one.
bool parse_host_port(const std::string& text, std::string& host, uint16_t& port);

// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& host);

}  // namespace casm::runtime
