// casm doctor: a preflight. Each check says ok, warn or FAIL and how to fix
// it; a FAIL is blocking and makes the exit code 1.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <spawn.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <git2.h>
#include <hs/hs.h>
#include <nlohmann/json.hpp>

#include "messages/data/vocabulary.h"
#include "runtime/actor_boot.h"
#include "runtime/commands.h"
#include "runtime/home.h"
#include "policy/rule_pack.h"
#include "policy/scanner.h"

extern char** environ;

namespace casm::runtime {

using nlohmann::json;

namespace {

struct check {
  std::string name;
  std::string level;  // ok | warn | fail
  std::string detail;
  std::string fix;
};

// Runs argv with stdout/stderr discarded; returns its exit status or -1.
int run_quiet(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

check check_caf() {
  check c{"caf", "ok", "", ""};
  c.detail = "CAF 0.17.6";
  try {
    casm_config cfg;
    caf::actor_system sys{cfg};
    auto echo = sys.spawn([]() -> caf::behavior { return {[](int x) { return x + 1; }}; });
    caf::scoped_actor self{sys};
    int got = 0;
    self->request(echo, std::chrono::seconds(5), 41)
      .receive([&](int x) { got = x; }, [&](caf::error&) {});
    if (got != 42) throw std::runtime_error("no reply from a test actor");
    c.detail += ", actor system started, " + std::to_string(sys.scheduler().num_workers()) +
                " scheduler threads, message round trip ok";
  } catch (const std::exception& ex) {
    c.level = "fail";
    c.detail = std::string("the actor system does not start: ") + ex.what();
    c.fix = "reinstall libcaf-dev (apt-get install --reinstall libcaf-dev)";
  }
  return c;
}

check check_libgit2() {
  int major, minor, rev;
  git_libgit2_version(&major, &minor, &rev);
  check c{"libgit2", "ok", "", ""};
  c.detail = "libgit2 " + std::to_string(major) + "." + std::to_string(minor) + "." +
             std::to_string(rev);
  if (!(git_libgit2_features() & GIT_FEATURE_THREADS)) {
    c.level = "fail";
    c.detail += " built without thread support";
    c.fix = "install Debian's libgit2 (apt-get install libgit2-dev)";
  } else {
    c.detail += " (threads)";
  }
  return c;
}

check check_hyperscan() {
  check c{"hyperscan", "ok", "", ""};
  c.detail = std::string("Hyperscan ") + hs_version();
  if (hs_valid_platform() != HS_SUCCESS) {
    c.level = "fail";
    c.detail += ": this CPU lacks the instructions Hyperscan needs (SSSE3)";
    c.fix = "run casm on an x86-64 CPU with SSSE3, or build against libvectorscan-dev";
    return c;
  }
  std::string error;
  auto s = policy::scanner::compile(policy::builtin_rules(), &error);
  if (!s) {
    c.level = "fail";
    c.detail += ": the built-in rule pack does not compile: " + error;
    c.fix = "reinstall casm; the rule pack is part of the binary";
    return c;
  }
  c.detail += ", platform ok, rule pack of " + std::to_string(policy::builtin_rules().size()) +
              " rules compiles (" + policy::rule_pack_hash().substr(0, 12) + ")";
  return c;
}

check check_home(const global_options& g) {
  auto home = resolve_home(g.home);
  check c{"casm_home", "ok", home.string(), ""};
  std::error_code ec;
  std::filesystem::create_directories(home / "runs", ec);
  auto probe = home / (".doctor." + std::to_string(::getpid()));
  {
    std::ofstream out(probe);
    out << "probe\n";
    if (ec || !out) {
      c.level = "fail";
      c.detail = home.string() + " is not writable";
      c.fix = "choose a writable directory with --home DIR or CASM_HOME=DIR";
      return c;
    }
  }
  std::filesystem::remove(probe, ec);
  c.detail += " (writable)";
  return c;
}

check check_bwrap() {
  check c{"bubblewrap", "ok", "", ""};
  if (run_quiet({"bwrap", "--version"}) != 0) {
    c.level = "warn";
    c.detail = "bwrap not found: validation commands cannot be sandboxed";
    c.fix = "apt-get install bubblewrap";
    return c;
  }
  if (run_quiet({"bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-net", "true"}) != 0) {
    c.level = "warn";
    c.detail = "bwrap is installed but cannot create namespaces here";
    c.fix = "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) "
            "or run as root";
    return c;
  }
  c.detail = "bwrap works (network namespace ok)";
  return c;
}

}  // namespace

int cmd_doctor(const global_options& g, bool as_json) {
  std::vector<check> checks = {check_caf(), check_libgit2(), check_hyperscan(), check_home(g),
                               check_bwrap()};
  bool blocking = false;
  for (const auto& c : checks) blocking = blocking || c.level == "fail";
  if (as_json) {
    json rows = json::array();
    for (const auto& c : checks)
      rows.push_back({{"check", c.name}, {"level", c.level}, {"detail", c.detail}, {"fix", c.fix}});
    std::cout << json{{"ok", !blocking}, {"checks", rows}}.dump(2) << "\n";
  } else {
    for (const auto& c : checks) {
      std::string tag = c.level == "ok" ? "ok  " : c.level == "warn" ? "warn" : "FAIL";
      std::cout << tag << "  " << c.name << ": " << c.detail << "\n";
      if (!c.fix.empty()) std::cout << "      fix: " << c.fix << "\n";
    }
    std::cout << (blocking ? "doctor: blocking problems found\n" : "doctor: ready\n");
  }
  return blocking ? messages::exit_code::runtime_failure : messages::exit_code::ok;
}

}  // namespace casm::runtime
