// Where CASM keeps its runs: --home DIR, else $CASM_HOME, else ./.casm.
#pragma once

#include <filesystem>
#include <string>

namespace casm::runtime {

std::filesystem::path resolve_home(const std::string& flag_value);

// Whether a --template / --ruleset value names a file rather than a shipped
// id: it holds a '/', ends in .yaml, or exists on disk.
bool names_a_file(const std::string& id_or_path);

}  // namespace casm::runtime
