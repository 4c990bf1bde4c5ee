// JSON text for values that may hold arbitrary bytes.
//
// Paths and file contents are bytes, not UTF-8. nlohmann's dump() throws on
// invalid UTF-8, so every string that comes from outside (a path, a ref name,
// an error from libgit2) passes through here before it enters a JSON value.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace casm::codec {

using json = nlohmann::json;

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_utf8(std::string_view bytes);

// A printable, valid UTF-8 rendering of `bytes`. Valid UTF-8 is returned
// unchanged. Otherwise every byte that is not part of a valid sequence becomes
// `\xHH` and every backslash becomes `\\`, so the original is recoverable with
// unescape_bytes().
std::string display_text(std::string_view bytes);

// Inverse of display_text() for strings it escaped.
std::string unescape_bytes(std::string_view text);

// Sets obj[key] to display_text(bytes). When `bytes` is not valid UTF-8 it also
// sets obj[key + "_b64"] to the base64 of the exact bytes (lossless).
void put_bytes(json& obj, const std::string& key, std::string_view bytes);

// Reads back what put_bytes() wrote: the exact bytes.
std::string get_bytes(const json& obj, const std::string& key);

std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);

// The canonical form used for hashing: keys sorted, no spaces.
inline std::string canonical(const json& j) { return j.dump(); }

}  // namespace casm::codec
