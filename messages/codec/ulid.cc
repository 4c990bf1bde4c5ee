#include "messages/codec/ulid.h"

#include "messages/codec/digest.h"

#include <charconv>

namespace casm::codec {
namespace {
constexpr char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::string make_ulid(uint64_t unix_ms, const ulid_entropy& entropy) {
  // 128 bits: time (48) then entropy (80), encoded big-endian in 26 chars.
  uint8_t bytes[16];
  for (int i = 0; i < 6; ++i) bytes[i] = uint8_t(unix_ms >> (8 * (5 - i)));
  for (int i = 0; i < 10; ++i) bytes[6 + i] = entropy[i];
  std::string out(26, '0');
  // 130 bits of output; the top 2 are zero.
  for (int c = 25; c >= 0; --c) {
    int bit = (25 - c) * 5;  // bit offset from the least significant end
    uint32_t v = 0;
    for (int b = 0; b < 5; ++b) {
      int pos = bit + b;
      if (pos >= 128) break;
      int byte = 15 - pos / 8;
      if ((bytes[byte] >> (pos % 8)) & 1) v |= 1u << b;
    }
    out[c] = crockford[v];
  }
  return out;
}

bool is_ulid(std::string_view s) {
  if (s.size() != 26 || s[0] < '0' || s[0] > '7') return false;
  for (char c : s) {
    bool ok = false;
    for (char d : std::string_view(crockford)) ok = ok || c == d;
    if (!ok) return false;
  }
  return true;
}

std::string derive_ulid(std::string_view parent, uint64_t seq, std::string_view salt) {
  // Keep the parent's time prefix so children sort with their run; derive the
  // entropy from a digest so the same inputs give the same id on replay.
  // The digest of "<parent>/<seq>/<salt>"; its hex digits, in order, pick
  // the characters (every call id of every run comes through here).
  char digits[24];
  const auto seq_end = std::to_chars(digits, digits + sizeof digits, seq).ptr;
  const std::string_view seq_text(digits, static_cast<size_t>(seq_end - digits));
  const size_t n = parent.size() + 1 + seq_text.size() + 1 + salt.size();
  char small[192];
  std::string large;
  char* m = small;
  if (n > sizeof small) {
    large.resize(n);
    m = large.data();
  }
  char* at = m;
  for (std::string_view part : {parent, std::string_view("/"), seq_text, std::string_view("/"), salt}) {
    part.copy(at, part.size());
    at += part.size();
  }
  const auto d = sha256_bytes(std::string_view(m, n));
  std::string out(parent.substr(0, 10));
  out.reserve(26);
  for (size_t i = 0; out.size() < 26; ++i) {
    const unsigned nibble = i & 1 ? d[i / 2] & 0xF : d[i / 2] >> 4;  // hex digit i
    out += crockford[nibble * 2 % 32 + (i & 1)];
  }
  return out;
}

}  // namespace casm::codec
