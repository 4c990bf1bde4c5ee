#include <gtest/gtest.h>

#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "messages/codec/timestamp.h"
#include "messages/codec/ulid.h"

namespace casm::codec {
namespace {

TEST(Codec, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha256 h;
  EXPECT_EQ(h.update("a").update("bc").finish_hex(), sha256_hex("abc"));
  EXPECT_EQ(h.update("abc").finish_hex(), sha256_hex("abc"));  // reusable
}

TEST(Codec, UlidMatchesTheSpecExample) {
  // The ULID spec's example time 1469918176385 encodes as 01ARYZ6S41.
  ulid_entropy zero{};
  auto id = make_ulid(1469918176385ull, zero);
  EXPECT_EQ(id.substr(0, 10), "01ARYZ6S41");
  EXPECT_EQ(id.substr(10), "0000000000000000");
  EXPECT_TRUE(is_ulid(id));
  ulid_entropy ones;
  ones.fill(0xFF);
  EXPECT_EQ(make_ulid(0, ones), "0000000000ZZZZZZZZZZZZZZZZ");
  EXPECT_FALSE(is_ulid("not-a-ulid"));
}

TEST(Codec, DerivedUlidsAreDeterministicAndDistinct) {
  auto a = derive_ulid("01ARYZ6S410000000000000000", 1, "call");
  EXPECT_EQ(a, derive_ulid("01ARYZ6S410000000000000000", 1, "call"));
  EXPECT_NE(a, derive_ulid("01ARYZ6S410000000000000000", 2, "call"));
  EXPECT_TRUE(is_ulid(a));
  EXPECT_EQ(a.substr(0, 10), "01ARYZ6S41");
}

// Recorded runs hold these ids, so the derivation is fixed: the hex digits
// of sha256("<parent>/<seq>/<salt>") pick the characters (values computed
// independently, with Python's hashlib).
TEST(Codec, DerivedUlidsArePinned) {
  EXPECT_EQ(derive_ulid("01ARYZ6S410000000000000000", 1, "call"), "01ARYZ6S412Q81PBW16S8FMV2F");
  EXPECT_EQ(derive_ulid("01ARYZ6S410000000000000000", 18446744073709551615ull, "decision"),
            "01ARYZ6S41TSEBP74K8ZPNCSRV");
  EXPECT_EQ(derive_ulid("01KDZ" + std::string(300, 'x'), 7, "policy/patch"),
            "01KDZxxxxxEZAQ83WFYXWSY76H");
  EXPECT_EQ(derive_ulid("short", 3, "hitl"), "short69EVTBP9MZM5YQWNRB2FT");
  EXPECT_EQ(to_hex(std::string_view(reinterpret_cast<const char*>(sha256_bytes("abc").data()), 32)),
            sha256_hex("abc"));
}

TEST(Codec, NonUtf8BytesRoundTripLosslessly) {
  const std::string bytes("caf\xc3\xa9/\xff\xfe\\x41.txt", 16);
  EXPECT_FALSE(is_utf8(bytes));
  const std::string shown = display_text(bytes);
  EXPECT_TRUE(is_utf8(shown));
  EXPECT_EQ(shown, "caf\xc3\xa9/\\xff\\xfe\\\\x41.txt");
  EXPECT_EQ(unescape_bytes(shown), bytes);
  json j;
  put_bytes(j, "path", bytes);
  EXPECT_TRUE(j.contains("path_b64"));
  EXPECT_NO_THROW(j.dump());
  EXPECT_EQ(get_bytes(json::parse(j.dump()), "path"), bytes);
  json k;
  put_bytes(k, "path", "plain.txt");
  EXPECT_FALSE(k.contains("path_b64"));
  EXPECT_EQ(display_text("plain\\x"), "plain\\x");  // valid UTF-8 is untouched
}

TEST(Codec, Utf8ValidationRejectsOverlongsAndSurrogates) {
  EXPECT_TRUE(is_utf8("\xe2\x82\xac"));           // euro sign
  EXPECT_FALSE(is_utf8("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));          // surrogate
  EXPECT_FALSE(is_utf8("\xe2\x82"));              // truncated
  EXPECT_TRUE(is_utf8("\xf0\x9f\x98\x80"));       // emoji
}

TEST(Codec, Base64RoundTrip) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_EQ(base64_encode("abc"), "YWJj");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
}

TEST(Codec, TimestampsRoundTrip) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(1795304921123), "2026-11-21T23:48:41.123Z");
  EXPECT_EQ(parse_timestamp("2026-11-21T23:48:41.123Z"), 1795304921123);
  EXPECT_FALSE(parse_timestamp("yesterday"));
}

}  // namespace
}  // namespace casm::codec
