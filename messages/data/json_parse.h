// nlohmann::json::parse(text), through simdjson: its DOM is built from a
// simdjson parse instead of nlohmann's own lexer (2-3x faster on run-log
// records). For the readers of records that want a nlohmann value
// (`casm explain`'s story).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace casm::messages {

// Sets `out` to the value nlohmann::json::parse(text) gives: the same
// objects (a duplicate key keeps the last value), strings, and numbers of
// the same type (an integer >= 0 is unsigned, a negative one signed, any
// other a double) and value. One exception nobody writes: "-0" is read as
// the unsigned 0, which nlohmann reads as the signed 0 (equal, same text).
// False, with `out` unspecified, when simdjson rejects the text (invalid
// JSON; also a number nlohmann would still read as a double, such as an
// integer past 64 bits, or nesting deeper than 1024): parse it with nlohmann.
bool json_parse_fast(std::string_view text, nlohmann::json& out);

}  // namespace casm::messages
