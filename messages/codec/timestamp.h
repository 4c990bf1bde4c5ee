// RFC 3339 timestamps in UTC with milliseconds: 2026-11-21T23:59:59.123Z.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace casm::codec {

std::string format_timestamp(int64_t unix_ms);
std::optional<int64_t> parse_timestamp(std::string_view ts);
// The current wall clock, in milliseconds. Only the supervisor and the CLI
// read it; the coordinator receives recorded times.
int64_t wall_clock_ms();

}  // namespace casm::codec
