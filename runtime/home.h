// Where CASM keeps its runs: --home DIR, else $CASM_HOME, else ./.casm.
#pragma once

#include <filesystem>
#include <string>

namespace casm::runtime {

std::filesystem::path resolve_home(const std::string& flag_value);

}  // namespace casm::runtime
