// casm node --listen HOST:PORT: a worker node. It publishes a typed agent
// pool (actors/node/node_pool.cc) on CAF's middleman and serves scan shards
// for origins until SIGINT or SIGTERM. It runs code for whoever connects,
// so it trusts no stranger: loopback only, unless mutual TLS is configured
// (or --insecure says the network is trusted).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/node/node_pool.h"
#include "messages/data/node.h"
#include "messages/data/vocabulary.h"
#include "runtime/actor_boot.h"
#include "runtime/commands.h"
#include "runtime/home.h"

namespace casm::runtime {

namespace ec = messages::exit_code;

bool check_tls_files(const net_options& net, const char* who) {
  const int given = !net.tls_cert.empty() + !net.tls_key.empty() + !net.tls_ca.empty();
  if (given != 0 && given != 3) {
    print_error(std::string(who) +
                ": mutual TLS needs all of --tls-cert, --tls-key and --tls-ca (got " +
                std::to_string(given) + " of 3)");
    return false;
  }
  for (const auto* f : {&net.tls_cert, &net.tls_key, &net.tls_ca}) {
    std::error_code e;
    if (!f->empty() && !std::filesystem::is_regular_file(*f, e)) {
      print_error(std::string(who) + ": TLS file '" + *f + "' cannot be read");
      return false;
    }
  }
  return true;
}

int cmd_node(const global_options& g, const node_options& o) {
  std::string host;
  uint16_t port = 0;
  if (!parse_host_port(o.listen, host, port)) {
    print_error("--listen '" + o.listen + "' is not HOST:PORT (e.g. 127.0.0.1:7411)");
    return ec::bad_input;
  }
  net_options net;
  net.enabled = true;
  net.tls_cert = o.tls_cert;
  net.tls_key = o.tls_key;
  net.tls_ca = o.tls_ca;
  if (!check_tls_files(net, "casm node")) return ec::bad_input;
  if (!is_loopback(host) && !net.tls() && !o.insecure) {
    print_error("refusing to listen on " + o.listen +
                " without TLS: a node runs work for whoever connects; give --tls-cert, "
                "--tls-key and --tls-ca (mutual TLS), listen on 127.0.0.1, or pass --insecure "
                "on a network you trust");
    return ec::bad_input;
  }

  // Signals are taken by sigwait on the main thread only.
  sigset_t stop_set;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_set, nullptr);

  casm_config cfg(net);
  caf::actor_system sys{cfg};
  node::node_pool_config pc;
  pc.casm_version = CASM_VERSION;
  pc.workers = static_cast<uint32_t>(o.workers > 0 ? o.workers
                                                   : std::max(1u, std::thread::hardware_concurrency()));
  // Test seam: a node that speaks another protocol, to test the refusal.
  if (const char* v = std::getenv("CASM_TEST_NODE_PROTOCOL"); v && *v)
    pc.protocol = static_cast<uint32_t>(std::strtoul(v, nullptr, 10));
  if (const char* v = std::getenv("CASM_TEST_NODE_SHARD_DELAY_MS"); v && *v)
    pc.test_delay_ms = static_cast<uint32_t>(std::strtoul(v, nullptr, 10));
  pc.name = o.listen;
  pc.clone_cache = o.clone_cache.empty() ? resolve_home(g.home) / "cache" / "clones"
                                         : std::filesystem::absolute(o.clone_cache);
  pc.clone_only = o.clone_only;
  pc.casm_home = resolve_home(g.home);
  auto pool = sys.spawn(node::node_pool, pc);
  // publish blocks (it binds): the main thread may.
  caf::expected<uint16_t> bound =
    net.tls() ? caf::openssl::publish(pool, port, host.c_str(), true)
              : sys.middleman().publish(pool, port, host.c_str(), true);
  if (!bound) {
    print_error("cannot listen on " + o.listen + ": " + sys.render(bound.error()));
    caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
    return ec::runtime_failure;
  }
  const std::string name = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                           std::to_string(*bound);
  pc.name = name;
  std::cout << "node listening on " << name << " (casm node protocol " << pc.protocol << ", "
            << pc.workers << " workers, " << (net.tls() ? "mutual TLS" : "plain TCP") << ", pid "
            << ::getpid() << ")\n"
            << std::flush;
  int sig = 0;
  sigwait(&stop_set, &sig);
  std::cout << "node " << name << ": stopping (signal " << sig << ")\n" << std::flush;
  // The middleman holds a published actor until it is unpublished; only
  // then can the pool and its detached workers go, and the system end.
  // (caf/openssl/unpublish.hpp of 0.17.6 does not compile: ask the OpenSSL
  // manager's middleman actor directly.)
  if (net.tls()) {
    caf::scoped_actor self{sys};
    self->request(sys.openssl_manager().actor_handle(), std::chrono::seconds(5),
                  caf::unpublish_atom::value, pool.address(), *bound)
      .receive([] {}, [](caf::error&) {});
  } else {
    sys.middleman().unpublish(pool, *bound);
  }
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
  // The actor system's destructor joins every detached worker; CAF 0.17 may
  // keep a worker that replied to a remote origin referenced (its address
  // went over the wire), and the join then never returns. A node keeps no
  // state (no log, no file), so after a grace period it leaves anyway.
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    std::fflush(nullptr);
    std::_Exit(ec::ok);
  }).detach();
  return ec::ok;
}

}  // namespace casm::runtime
