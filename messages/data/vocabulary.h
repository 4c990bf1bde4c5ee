// The fixed vocabularies every part of CASM agrees on (DESIGN.md,
// Conventions): run statuses, exit codes, severities, event kinds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace casm::messages {

enum class run_status {
  running,
  pending_hitl,
  denied,
  expired,
  blocked,
  budget_stopped,
  failed,
  interrupted,
  succeeded,
};

std::string_view to_string(run_status s);
std::optional<run_status> parse_run_status(std::string_view s);
// A terminal status never changes again (resume refuses it).
bool is_terminal(run_status s);

// One table for every command (DESIGN.md, Exit codes).
namespace exit_code {
constexpr int ok = 0;
constexpr int runtime_failure = 1;
constexpr int bad_input = 2;
constexpr int gated = 3;
constexpr int blocked = 4;
constexpr int budget = 5;
constexpr int integrity = 6;
constexpr int interrupted = 130;
}  // namespace exit_code

enum class severity { info, low, medium, high };
std::string_view to_string(severity s);
std::optional<severity> parse_severity(std::string_view s);

// Event kinds in the run log.
//  - meta:   the supervisor's own records (config pins, lifecycle)
//  - input:  a message delivered into the coordinator
//  - output: a message emitted by the coordinator
namespace event_kind {
constexpr std::string_view meta = "meta";
constexpr std::string_view input = "input";
constexpr std::string_view output = "output";
}  // namespace event_kind

}  // namespace casm::messages
