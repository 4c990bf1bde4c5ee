#include "messages/codec/digest.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace casm::codec {

struct sha256::impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  impl() {
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1)
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
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
  return to_hex(std::string_view(reinterpret_cast<char*>(md), len));
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(std::string_view(reinterpret_cast<char*>(md), len));
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
