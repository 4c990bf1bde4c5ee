// SHA-256 digests, as lower-case hex. Used for the log chain, blob names,
// config pins and finding fingerprints.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace casm::codec {

// One-shot digest of `bytes`.
std::string sha256_hex(std::string_view bytes);

// The same digest as 32 raw bytes.
std::array<uint8_t, 32> sha256_bytes(std::string_view bytes);

// Incremental digest. Not thread-safe; one per thread.
class sha256 {
public:
  sha256();
  ~sha256();
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;
  sha256& update(std::string_view bytes);
  // Returns the hex digest; the object is reset and may be reused.
  std::string finish_hex();
  // The same digest as 32 raw bytes; the object is reset likewise.
  std::array<uint8_t, 32> finish_bytes();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Lower-case hex of raw bytes.
std::string to_hex(std::string_view bytes);

// 64 '0's: the `prev` of the first record of every run log.
inline const std::string& zero_hash() {
  static const std::string z(64, '0');
  return z;
}

}  // namespace casm::codec
