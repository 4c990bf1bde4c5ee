#include "actors/supervisor/run_log_format.h"

#include <charconv>
#include <cstring>

#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "messages/data/fields.h"

namespace casm::supervisor {

std::string hash_record(std::string_view prev, std::string_view body) {
  thread_local codec::sha256 h;
  h.update(prev).update("\n").update(body).update("}");
  return h.finish_hex();
}

bool record_hash_matches(std::string_view prev, std::string_view body, std::string_view hex) {
  thread_local codec::sha256 h;
  h.update(prev).update("\n").update(body).update("}");
  const std::array<uint8_t, 32> md = h.finish_bytes();
  if (hex.size() != 64) return false;
  static constexpr char digits[] = "0123456789abcdef";
  unsigned diff = 0;
  for (size_t i = 0; i < 32; ++i) {
    diff |= static_cast<unsigned char>(hex[2 * i]) ^ static_cast<unsigned char>(digits[md[i] >> 4]);
    diff |= static_cast<unsigned char>(hex[2 * i + 1]) ^
            static_cast<unsigned char>(digits[md[i] & 0xF]);
  }
  return diff == 0;
}

size_t rfind_key(std::string_view text, std::string_view key) {
  if (key.empty()) return text.size();
  if (text.size() < key.size()) return std::string_view::npos;
  // Candidates are the positions [0, n).
  size_t n = text.size() - key.size() + 1;
  while (n > 0) {
    const void* hit = ::memrchr(text.data(), key.front(), n);
    if (!hit) break;
    const size_t i = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    // The second byte first: most commas of the record's tail start no key
    // of the one looked for.
    if ((key.size() < 2 || text[i + 1] == key[1]) &&
        std::memcmp(text.data() + i, key.data(), key.size()) == 0)
      return i;
    n = i;
  }
  return std::string_view::npos;
}

namespace {

// The record through nlohmann: for fields that are not UTF-8 (never the
// supervisor's), so that they fail exactly as before.
std::string encode_body_slow(uint64_t seq, const std::string& run_id, const record_fields& f,
                             const std::string& prev) {
  nlohmann::json rec = nlohmann::json::object();
  rec["seq"] = seq;
  rec["run_id"] = run_id;
  rec["ts"] = f.ts;
  rec["kind"] = std::string(f.kind);
  rec["source"] = f.source;
  rec["target"] = f.target;
  rec["type"] = f.type;
  rec["payload"] = f.payload_text.empty() ? f.payload : nlohmann::json::parse(f.payload_text);
  rec["prev"] = prev;
  std::string line = rec.dump();  // sorted keys, no spaces: canonical
  line.pop_back();                // drop the final '}'
  return line;
}

void put_string(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  messages::json_write_string(out, value);
}

}  // namespace

std::string encode_record(uint64_t seq, const std::string& run_id, const record_fields& f,
                          const std::string& prev, std::string& hash_out) {
  std::string line;
  if (!codec::is_utf8(run_id) || !codec::is_utf8(f.ts) || !codec::is_utf8(f.kind) ||
      !codec::is_utf8(f.source) || !codec::is_utf8(f.target) || !codec::is_utf8(f.type) ||
      !codec::is_utf8(prev)) {
    line = encode_body_slow(seq, run_id, f, prev);
  } else {
    // The keys in sorted order, as dump() writes them; the payload's text
    // is copied, not rebuilt (a record's payload was a deep copy and a
    // second dump here).
    const std::string dumped = f.payload_text.empty() ? f.payload.dump() : std::string();
    const std::string& payload = f.payload_text.empty() ? dumped : f.payload_text;
    line.reserve(payload.size() + 256);
    put_string(line, "{\"kind\":", f.kind);
    line += ",\"payload\":";
    line += payload;
    put_string(line, ",\"prev\":", prev);
    put_string(line, ",\"run_id\":", run_id);
    line += ",\"seq\":";
    line += std::to_string(seq);
    put_string(line, ",\"source\":", f.source);
    put_string(line, ",\"target\":", f.target);
    put_string(line, ",\"ts\":", f.ts);
    put_string(line, ",\"type\":", f.type);
  }
  hash_out = hash_record(prev, line);
  line += ",\"hash\":\"";
  line += hash_out;
  line += "\"}";
  return line;
}

bool split_record(std::string_view line, std::string_view& body, std::string_view& hash) {
  if (line.size() < hash_suffix_size + 2) return false;
  auto suffix = line.substr(line.size() - hash_suffix_size);
  if (suffix.substr(0, 9) != ",\"hash\":\"" || suffix.substr(suffix.size() - 2) != "\"}")
    return false;
  hash = suffix.substr(9, 64);
  // Without a branch per digit: digits and letters alternate at random, so
  // a short-circuit test mispredicted about every other byte.
  bool hex = true;
  for (char ch : hash) {
    const auto c = static_cast<unsigned char>(ch);
    hex &= (static_cast<unsigned char>(c - '0') < 10) | (static_cast<unsigned char>(c - 'a') < 6);
  }
  if (!hex) return false;
  body = line.substr(0, line.size() - hash_suffix_size);
  return body.size() > 1 && body.front() == '{';
}

bool peek_seq_prev(std::string_view body, uint64_t& seq, std::string_view& prev) {
  constexpr std::string_view prev_key = ",\"prev\":\"";
  constexpr std::string_view seq_key = ",\"seq\":";
  auto p = rfind_key(body, prev_key);
  auto s = rfind_key(body, seq_key);
  if (p == std::string_view::npos || s == std::string_view::npos) return false;
  if (p + prev_key.size() + 64 > body.size()) return false;
  prev = body.substr(p + prev_key.size(), 64);
  auto digits = body.substr(s + seq_key.size());
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  return ec == std::errc() && ptr != digits.data();
}

bool peek_type_blob(std::string_view body, std::string_view& type, std::string_view& blob_sha) {
  constexpr std::string_view type_key = ",\"type\":\"";
  constexpr std::string_view kind_key = "{\"kind\":\"";
  constexpr std::string_view payload_key = "\",\"payload\":";
  constexpr std::string_view blob_key = "{\"blob\":\"";
  constexpr std::string_view bytes_key = "\",\"bytes\":";
  auto t = rfind_key(body, type_key);
  if (t == std::string_view::npos) return false;
  auto value = body.substr(t + type_key.size());
  auto end = value.find('"');
  if (end == std::string_view::npos || value.find('\\') < end) return false;
  type = value.substr(0, end);
  if (body.substr(0, kind_key.size()) != kind_key) return false;
  auto k = body.find('"', kind_key.size());
  if (k == std::string_view::npos || body.substr(k, payload_key.size()) != payload_key) return false;
  auto p = body.substr(k + payload_key.size());
  blob_sha = {};
  if (p.substr(0, blob_key.size()) == blob_key && p.size() > blob_key.size() + 64 &&
      p.substr(blob_key.size() + 64, bytes_key.size()) == bytes_key)
    blob_sha = p.substr(blob_key.size(), 64);
  return true;
}

}  // namespace casm::supervisor
