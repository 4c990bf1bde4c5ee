// A compact structural diff of two JSON documents: where they differ, as JSON
// pointers (RFC 6901) with the value on each side. Replay prints it when a
// replayed message differs from the recorded one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace casm::codec {

struct json_difference {
  std::string pointer;                    // "" is the whole document
  std::optional<nlohmann::json> expected;  // nullopt: the member or element is absent
  std::optional<nlohmann::json> actual;
};

// The differences between `expected` and `actual`, depth first, object members
// in key order, array elements by index (an extra element is one difference).
// Numbers compare by value (0 == 0u == 0.0). Stops after `limit` differences.
std::vector<json_difference> json_diff(const nlohmann::json& expected,
                                       const nlohmann::json& actual, size_t limit = 32);

// [{"pointer", "expected"?, "actual"?}]: an absent side is left out.
nlohmann::json to_json(const std::vector<json_difference>& diff);

}  // namespace casm::codec
