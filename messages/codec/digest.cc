#include "messages/codec/digest.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace casm::codec {

namespace {

// SHA-256 fetched from the provider once: EVP_sha256() makes OpenSSL 3 look
// the algorithm up again at every EVP_Digest/EVP_DigestInit_ex (a few
// percent of `casm replay`, which hashes every record and blob).
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md ? md : EVP_sha256();
}

}  // namespace

struct sha256::impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  impl() {
    if (!ctx || EVP_DigestInit_ex(ctx, sha256_md(), nullptr) != 1)
      throw std::runtime_error("OpenSSL SHA-256 initialisation failed");
  }
  ~impl() { EVP_MD_CTX_free(ctx); }
};

sha256::sha256() : impl_(std::make_unique<impl>()) {}
sha256::~sha256() = default;

sha256& sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size());
  return *this;
}

std::string sha256::finish_hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  EVP_DigestInit_ex(impl_->ctx, sha256_md(), nullptr);
  return to_hex(std::string_view(reinterpret_cast<char*>(md), len));
}

std::array<uint8_t, 32> sha256::finish_bytes() {
  std::array<uint8_t, 32> md{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md.data(), &len);
  EVP_DigestInit_ex(impl_->ctx, sha256_md(), nullptr);
  return md;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, sha256_md(), nullptr);
  return to_hex(std::string_view(reinterpret_cast<char*>(md), len));
}

std::array<uint8_t, 32> sha256_bytes(std::string_view bytes) {
  std::array<uint8_t, 32> md{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, sha256_md(), nullptr);
  return md;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = digits[c >> 4];
    out[2 * i + 1] = digits[c & 0xF];
  }
  return out;
}

}  // namespace casm::codec
