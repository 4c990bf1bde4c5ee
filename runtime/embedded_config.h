// The config/ tree compiled into the binary (cmake/embed.cmake), so `casm`
// finds its shipped templates, rulesets and prices wherever it runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace casm::runtime {

struct embedded_file {
  std::string path;  // relative to config/, e.g. templates/noop/manifest.yaml
  std::string content;
};

const std::vector<embedded_file>& embedded_files();

inline const embedded_file* find_embedded(const std::string& path) {
  for (const auto& f : embedded_files())
    if (f.path == path) return &f;
  return nullptr;
}

}  // namespace casm::runtime
