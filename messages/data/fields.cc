#include "messages/data/fields.h"

#include <cstdint>
#include <cstring>

namespace casm::messages {

namespace {

// True when none of the eight bytes in `w` needs an escape: each is at
// least 0x20 and neither '"' nor '\\' (bytes >= 0x80 are copied as is).
// The usual has-zero-byte tests, exact about whether any byte matches.
bool plain8(uint64_t w) {
  constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  const uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  const uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
  const uint64_t quote = (q - ones) & ~q & highs;
  const uint64_t backslash = (b - ones) & ~b & highs;
  return (below_space | quote | backslash) == 0;
}

// The escape of one byte that needs one (a control character, '"' or '\\').
inline void append_escape(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('\\');
  switch (c) {
    case '\b': out.push_back('b'); break;
    case '\t': out.push_back('t'); break;
    case '\n': out.push_back('n'); break;
    case '\f': out.push_back('f'); break;
    case '\r': out.push_back('r'); break;
    case '"': out.push_back('"'); break;
    case '\\': out.push_back('\\'); break;
    default:
      out.append("u00", 3);
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
  }
}

// The quoted, escaped string. With CheckUtf8, false (and `out` as it was)
// when the bytes are not valid UTF-8; without, the caller vouches for them.
template <bool CheckUtf8>
bool write_quoted(std::string& out, std::string_view bytes) {
  constexpr uint64_t highs = 0x8080808080808080ull;
  const size_t mark = out.size();
  out.reserve(out.size() + bytes.size() + 2);
  out += '"';
  size_t run = 0;             // start of the bytes not yet copied
  bool checked = !CheckUtf8;  // the bytes from the first one >= 0x80 on are UTF-8
  for (size_t i = 0; i < bytes.size(); ++i) {
    uint64_t word;
    while (i + 8 <= bytes.size() &&
           (std::memcpy(&word, bytes.data() + i, 8), (checked || (word & highs) == 0) && plain8(word)))
      i += 8;
    if (i == bytes.size()) break;
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x80) {
      // Everything before is ASCII, so i starts a sequence: checking the
      // rest once is checking the whole.
      if (!checked && !codec::is_utf8(bytes.substr(i))) {
        out.resize(mark);
        return false;
      }
      checked = true;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if (i > run) out.append(bytes.data() + run, i - run);
    run = i + 1;
    append_escape(out, c);
  }
  out.append(bytes.data() + run, bytes.size() - run);
  out += '"';
  return true;
}

}  // namespace

// nlohmann's escaping with ensure_ascii off: the two-character escapes for
// \b \t \n \f \r " and \\, \u00XX (lower-case hex) for the other control
// characters, every other byte as is (the text is valid UTF-8).
void json_write_string(std::string& out, std::string_view utf8) {
  write_quoted<false>(out, utf8);
}

bool json_write_utf8(std::string& out, std::string_view bytes) {
  return write_quoted<true>(out, bytes);
}

}  // namespace casm::messages
