#include "actors/workflow/workflows.h"

#include <map>

namespace casm::workflow {
namespace {
const std::map<std::string, std::vector<std::string>>& table() {
  static const std::map<std::string, std::vector<std::string>> t = {
    {"noop_v1", {"ingest", "report"}},
    {"repo_auditor_v1",
     {"ingest", "gate", "analyze", "plan", "policy", "apply", "validate", "report"}},
  };
  return t;
}
}  // namespace

std::optional<std::vector<std::string>> stages_of(const std::string& workflow_id) {
  auto it = table().find(workflow_id);
  if (it == table().end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> known_workflows() {
  std::vector<std::string> ids;
  for (auto& [k, v] : table()) ids.push_back(k);
  return ids;
}

}  // namespace casm::workflow
