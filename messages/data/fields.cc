#include "messages/data/fields.h"

namespace casm::messages {

// nlohmann's escaping with ensure_ascii off: the two-character escapes for
// \b \t \n \f \r " and \\, \u00XX (lower-case hex) for the other control
// characters, every other byte as is (the text is valid UTF-8).
void json_write_string(std::string& out, std::string_view utf8) {
  static constexpr char hex[] = "0123456789abcdef";
  out.reserve(out.size() + utf8.size() + 2);
  out += '"';
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(utf8.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
  }
  out.append(utf8.data() + run, utf8.size() - run);
  out += '"';
}

}  // namespace casm::messages
