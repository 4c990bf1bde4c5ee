#include "messages/data/vocabulary.h"

#include <array>
#include <utility>

namespace casm::messages {
namespace {
constexpr std::array<std::pair<run_status, std::string_view>, 9> status_names{{
  {run_status::running, "running"},
  {run_status::pending_hitl, "pending_hitl"},
  {run_status::denied, "denied"},
  {run_status::expired, "expired"},
  {run_status::blocked, "blocked"},
  {run_status::budget_stopped, "budget_stopped"},
  {run_status::failed, "failed"},
  {run_status::interrupted, "interrupted"},
  {run_status::succeeded, "succeeded"},
}};
constexpr std::array<std::pair<severity, std::string_view>, 4> severity_names{{
  {severity::info, "info"},
  {severity::low, "low"},
  {severity::medium, "medium"},
  {severity::high, "high"},
}};
}  // namespace

std::string_view to_string(run_status s) {
  for (auto& [k, v] : status_names)
    if (k == s) return v;
  return "unknown";
}

std::optional<run_status> parse_run_status(std::string_view s) {
  for (auto& [k, v] : status_names)
    if (v == s) return k;
  return std::nullopt;
}

bool is_terminal(run_status s) {
  return s == run_status::denied || s == run_status::expired || s == run_status::blocked ||
         s == run_status::budget_stopped || s == run_status::failed ||
         s == run_status::succeeded;
}

std::string_view to_string(severity s) {
  for (auto& [k, v] : severity_names)
    if (k == s) return v;
  return "info";
}

std::optional<severity> parse_severity(std::string_view s) {
  for (auto& [k, v] : severity_names)
    if (v == s) return k;
  return std::nullopt;
}

}  // namespace casm::messages
