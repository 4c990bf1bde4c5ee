// ULIDs: 48-bit millisecond time + 80 bits of randomness, Crockford base32.
// Pure: the caller supplies the time and the random bytes (both recorded).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace casm::codec {

using ulid_entropy = std::array<uint8_t, 10>;

std::string make_ulid(uint64_t unix_ms, const ulid_entropy& entropy);

// True for a 26-character Crockford base32 string whose first char is 0-7.
bool is_ulid(std::string_view s);

// A ULID derived from a parent id and a sequence number, for child ids that
// must be the same on every replay (task ids, call ids, decision ids).
std::string derive_ulid(std::string_view parent_ulid, uint64_t seq, std::string_view salt = {});

}  // namespace casm::codec
