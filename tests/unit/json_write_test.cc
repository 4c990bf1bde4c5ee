// The streamed JSON writer (messages/data/fields.h, json_write) against
// nlohmann's dump of the same value: every message of a recorded audit run,
// plus strings built to hit every escape and the _b64 companions. The run log
// and replay rely on the two being byte-identical.
#include <gtest/gtest.h>

#include <random>

#include "tests/unit/engine_recorder.h"

namespace casm::messages {
namespace {

using nlohmann::json;

template <class T>
void expect_same_text(const T& x, const std::string& what) {
  EXPECT_EQ(to_json_text(x), json(x).dump()) << what;
}

// Decodes `payload` as the message type named `type` and compares both
// encodings. True when the type is one of `Ts`.
template <class... Ts>
bool check_as(const std::string& type, const json& payload) {
  bool seen = false;
  auto one = [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (seen || type != event_type<T>::value) return;
    seen = true;
    T x;
    from_json(payload, x);
    expect_same_text(x, type);
  };
  (one(std::common_type<Ts>{}), ...);
  return seen;
}

TEST(JsonWriteTest, EveryMessageOfARecordedAuditIsWrittenAsNlohmannDumpsIt) {
  const auto log = test::record_run(test::audit_start(4), test::audit_agents(60, 3));
  size_t checked = 0;
  for (const auto& rec : log) {
    const std::string type = rec["type"];
    const bool known =
      check_as<run_start, ingest_request, ingest_result, review_request, review_result,
               fix_request, fix_result, validate_request, validate_result, report_request,
               report_result, stage_event, run_outcome, gate_request, gate_result,
               security_alert, hitl_request, run_pause>(type, rec["payload"]);
    if (known) ++checked;
  }
  EXPECT_GT(checked, 20u);
}

TEST(JsonWriteTest, EscapesControlCharactersQuotesAndBackslashesAsNlohmannDoes) {
  std::string every_byte;
  for (int c = 1; c < 128; ++c) every_byte += static_cast<char>(c);
  finding f;
  f.path = "src/\"quoted\"\\dir/é-ü.js";
  f.message = every_byte;
  f.preview = std::string("tab\there\r\nnul") + '\0' + "after";
  f.rule_id = "secrets.aws_access_key";
  f.fingerprint = std::string(64, 'a');
  f.level = severity::high;
  f.line = 4294967295u;
  expect_same_text(f, "control characters");

  // Not UTF-8: the display text, and the exact bytes in a _b64 twin.
  f.path = std::string("bad\xff\xfe/name\x80.c");
  f.commit = "\xc3";
  expect_same_text(f, "invalid UTF-8");
  EXPECT_NE(to_json_text(f).find("\"path_b64\":"), std::string::npos);

  ingest_result in;
  in.files.push_back({});
  in.files.back().path = "ok.txt";
  in.files.push_back({});
  in.files.back().path = "\xff";
  expect_same_text(in, "nested vector of structs");
}

TEST(JsonWriteTest, RandomBytesInEveryStringFieldMatch) {
  std::mt19937 rng(7);
  auto noise = [&] {
    std::string s(rng() % 24, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    return s;
  };
  for (int i = 0; i < 300; ++i) {
    finding f;
    f.path = noise();
    f.message = noise();
    f.preview = noise();
    f.rule_id = noise();
    f.commit = noise();
    expect_same_text(f, "random bytes, round " + std::to_string(i));
  }
}

// json_write_utf8 is is_utf8 then json_write_string, in one pass: the same
// text when valid, nothing written when not. Long strings with the odd byte
// anywhere (before, inside or after runs of eight plain bytes).
TEST(JsonWriteTest, Utf8WriterIsTheCheckThenTheEscape) {
  std::mt19937 rng(11);
  const std::vector<std::string> pieces = {"plain ascii text ", "\xc3\xa9", "\xe2\x82\xac",
                                           "\xf0\x9f\x98\x80", "\"", "\\", "\n", "\x01",
                                           "\x7f", "\xff", "\xc3", "\xed\xa0\x80", "x"};
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    const size_t n = rng() % 12;
    for (size_t k = 0; k < n; ++k) s += pieces[rng() % pieces.size()];
    std::string expected = "prefix";
    const bool valid = codec::is_utf8(s);
    if (valid) json_write_string(expected, s);
    std::string actual = "prefix";
    EXPECT_EQ(json_write_utf8(actual, s), valid) << i;
    EXPECT_EQ(actual, expected) << i;
  }
}

}  // namespace
}  // namespace casm::messages
