#include "runtime/scanner_cache.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "policy/rule_pack.h"
#include "runtime/home.h"

namespace casm::runtime {

namespace fs = std::filesystem;

fs::path cache_dir(const global_options& g) {
  const char* home_env = std::getenv("CASM_HOME");
  if (!g.home.empty() || (home_env && *home_env)) return resolve_home(g.home) / "cache";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "casm";
  if (const char* home = std::getenv("HOME"); home && *home)
    return fs::path(home) / ".cache" / "casm";
  return {};
}

const policy::scanner& builtin_scanner(const global_options& g) {
  static const policy::scanner s = [&] {
    const auto& rules = policy::builtin_rules();
    const fs::path dir = cache_dir(g);
    const fs::path file = dir.empty() ? fs::path() : dir / ("hs-" + policy::rule_pack_hash() + ".db");
    std::string blob;
    if (!file.empty()) {
      std::ifstream in(file, std::ios::binary);
      std::ostringstream ss;
      if (in && (ss << in.rdbuf())) blob = ss.str();
    }
    std::string error;
    // Registered with for_pack(), so policy::scanner::builtin() (which the
    // reviewer agents use) finds it instead of compiling again.
    if (!blob.empty() && policy::scanner::deserialize(rules, blob, &error))
      if (auto loaded = policy::scanner::for_pack(rules, &error, blob)) return *loaded;
    const policy::scanner& compiled = policy::scanner::builtin();
    if (!file.empty()) {
      std::error_code ec;
      fs::create_directories(dir, ec);
      const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      const std::string fresh = compiled.serialize();
      if (out && (out << fresh) && out.flush()) {
        out.close();
        fs::rename(tmp, file, ec);
      }
      if (ec || !out) fs::remove(tmp, ec);
    }
    return compiled;
  }();
  return s;
}

}  // namespace casm::runtime
