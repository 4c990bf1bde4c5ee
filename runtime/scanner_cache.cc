#include "runtime/scanner_cache.h"

#include <cstdlib>

#include "actors/supervisor/run_store.h"
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

void install_scanner_cache(const global_options& g) {
  const fs::path dir = cache_dir(g);
  if (dir.empty()) return;
  auto file_of = [dir](const std::string& hash) { return dir / ("hs-" + hash + ".db"); };
  policy::scanner::pack_store store;
  store.load = [file_of](const std::string& hash) {
    return supervisor::read_file(file_of(hash)).value_or(std::string());
  };
  store.save = [dir, file_of](const std::string& hash, const std::string& serialized) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!ec) supervisor::write_file_atomic(file_of(hash), serialized);  // a failure costs a compile
  };
  policy::scanner::set_pack_store(std::move(store));
}

}  // namespace casm::runtime
