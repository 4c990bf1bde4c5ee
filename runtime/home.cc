#include "runtime/home.h"

#include <cstdlib>

namespace casm::runtime {

std::filesystem::path resolve_home(const std::string& flag_value) {
  if (!flag_value.empty()) return std::filesystem::absolute(flag_value);
  if (const char* env = std::getenv("CASM_HOME"); env && *env)
    return std::filesystem::absolute(env);
  return std::filesystem::absolute(".casm");
}

}  // namespace casm::runtime
