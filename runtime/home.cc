#include "runtime/home.h"

#include <cstdlib>

namespace casm::runtime {

std::filesystem::path resolve_home(const std::string& flag_value) {
  if (!flag_value.empty()) return std::filesystem::absolute(flag_value);
  if (const char* env = std::getenv("CASM_HOME"); env && *env)
    return std::filesystem::absolute(env);
  return std::filesystem::absolute(".casm");
}

bool names_a_file(const std::string& id_or_path) {
  std::error_code ec;
  return id_or_path.find('/') != std::string::npos ||
         (id_or_path.size() > 5 && id_or_path.compare(id_or_path.size() - 5, 5, ".yaml") == 0) ||
         std::filesystem::exists(id_or_path, ec);
}

}  // namespace casm::runtime
