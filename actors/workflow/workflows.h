// The workflows this build can execute, by `entrypoint.workflow` id, and the
// stages of each in order.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace casm::workflow {

// The stages of `workflow_id`, or nullopt if this build does not know it.
std::optional<std::vector<std::string>> stages_of(const std::string& workflow_id);

// Every known workflow id (for error messages).
std::vector<std::string> known_workflows();

}  // namespace casm::workflow
