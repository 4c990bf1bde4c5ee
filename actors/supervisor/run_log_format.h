// The run log's record format (DESIGN.md, Conventions: The log).
//
// A record line is the canonical JSON of the record without `hash` (keys
// sorted, no spaces), with `,"hash":"<hex>"}` in place of its final `}`, then
// '\n'. hash = sha256(prev_hex + "\n" + canonical line). Verification hashes
// the raw bytes of each line with the hash field cut off; it never
// re-serializes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace casm::supervisor {

// `,"hash":"` + 64 hex + `"}`
constexpr size_t hash_suffix_size = 9 + 64 + 2;

// The fields a writer supplies; seq, run_id and prev are the writer's.
struct record_fields {
  std::string ts;
  std::string_view kind;
  std::string source;
  std::string target;
  std::string type;
  nlohmann::json payload;
  // When set, the payload's canonical text (what payload.dump() gives:
  // sorted keys, no spaces), used as is instead of `payload`.
  std::string payload_text;
};

// Encodes one record. Returns the full line (without the trailing '\n') and
// sets `hash_out` to its hash. The line is what nlohmann's dump() of the
// record object gives (sorted keys, no spaces), written directly. Throws
// nlohmann::json::exception only if a payload string is not UTF-8, which
// codec::put_bytes rules out.
std::string encode_record(uint64_t seq, const std::string& run_id, const record_fields& f,
                          const std::string& prev, std::string& hash_out);

// Splits a line into its canonical body (without the final '}') and hash.
// Returns false if the line does not end with a well-formed hash field.
bool split_record(std::string_view line, std::string_view& body, std::string_view& hash);

// The seq and prev of a line, read from the canonical body without parsing
// the payload. Keys are sorted, so `prev`, `run_id`, `seq` and the rest follow
// `payload`; the last occurrence of each key is the top-level one.
bool peek_seq_prev(std::string_view body, uint64_t& seq, std::string_view& prev);

// The type of a record, and the digest of its payload blob ("" when the
// payload is inline), read from the canonical body without parsing it: the
// body starts `{"kind":"<kind>","payload":` and `type` is its last key.
// False when the body does not have that shape (parse it instead).
bool peek_type_blob(std::string_view body, std::string_view& type, std::string_view& blob_sha);

// The position of the last `key` in `text` (std::string_view::rfind),
// found by scanning back for its first byte (memrchr) rather than comparing
// at every position.
size_t rfind_key(std::string_view text, std::string_view key);

// sha256(prev + "\n" + body + "}")
std::string hash_record(std::string_view prev, std::string_view body);

// hash_record(prev, body) == hex, without building the hex text: `hex` must
// be 64 lower-case hex digits that spell the digest.
bool record_hash_matches(std::string_view prev, std::string_view body, std::string_view hex);

}  // namespace casm::supervisor
