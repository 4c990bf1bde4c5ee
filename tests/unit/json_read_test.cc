// The DOM-free reader (messages/data/fields.h, json_read) against nlohmann's
// from_json on the same text: every message of a recorded audit run, each of
// its payloads with every top-level field made null, absent or of another
// type, random bytes in the string fields, and the rules of json_get written
// out by hand (_b64 twins, {"b64": ...} list elements, missing and null
// fields, unknown keys, duplicate keys). Replay decodes recorded inputs with
// the reader and must decode exactly what from_json decodes. Then
// json_parse_fast (nlohmann's DOM built from a simdjson parse), which explain
// uses, against nlohmann::json::parse.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "messages/data/json_parse.h"
#include "tests/unit/engine_recorder.h"

namespace casm::messages {
namespace {

using nlohmann::json;

// What from_json makes of `text`, as canonical text; or "throws: ...".
template <class T>
std::string via_nlohmann(const std::string& text) {
  try {
    T x;
    from_json(json::parse(text), x);
    return to_json_text(x);
  } catch (const std::exception& e) {
    return std::string("throws: ") + e.what();
  }
}

// Decodes `text` both ways. When the reader takes the text (returns true) the
// two results must be equal; returns whether it took it.
template <class T>
bool same_decoding(const std::string& text, const std::string& what) {
  T fast;
  const bool took = json_read_text(text, fast);
  if (took) {
    EXPECT_EQ(to_json_text(fast), via_nlohmann<T>(text)) << what << "\ntext: " << text;
  }
  return took;
}

// Every variant of an object payload with one top-level field changed: made
// null, removed, or given a value of each other JSON type.
std::vector<std::string> variants(const json& payload) {
  std::vector<std::string> out;
  if (!payload.is_object()) return out;
  const json others[] = {nullptr, true, 7, -3, 2.5, "text", json::array(), json::array({"a", 1}),
                         json::object(), json{{"b64", "AAE="}}};
  for (const auto& [key, value] : payload.items()) {
    json removed = payload;
    removed.erase(key);
    out.push_back(removed.dump());
    for (const auto& o : others) {
      json changed = payload;
      changed[key] = o;
      out.push_back(changed.dump());
    }
  }
  return out;
}

struct counts {
  size_t messages = 0, variants = 0, variants_read = 0;
};

template <class... Ts>
bool check_as(const std::string& type, const json& payload, counts& n) {
  bool seen = false;
  auto one = [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (seen || type != event_type<T>::value) return;
    seen = true;
    ++n.messages;
    // A recorded payload: the reader takes every one of them.
    EXPECT_TRUE(same_decoding<T>(payload.dump(), type)) << type << " was left to nlohmann";
    for (const auto& v : variants(payload)) {
      ++n.variants;
      if (same_decoding<T>(v, type + " variant")) ++n.variants_read;
    }
  };
  (one(std::common_type<Ts>{}), ...);
  return seen;
}

TEST(JsonReadTest, EveryMessageOfARecordedAuditAndEveryFieldVariantDecodesAsFromJson) {
  const auto log = test::record_run(test::audit_start(4), test::audit_agents(60, 3));
  counts n;
  for (const auto& rec : log) {
    const std::string type = rec["type"];
    check_as<run_start, ingest_request, ingest_result, review_request, review_result, fix_request,
             fix_result, validate_request, validate_result, report_request, report_result,
             stage_event, run_outcome, gate_request, gate_result, security_alert, hitl_request,
             run_pause>(type, rec["payload"], n);
  }
  EXPECT_GT(n.messages, 20u);
  EXPECT_GT(n.variants, 1000u);
  // Most variants are read by the reader itself, not left to nlohmann.
  EXPECT_GT(n.variants_read * 2, n.variants);
}

TEST(JsonReadTest, RandomBytesInEveryStringAndStringListRoundTrip) {
  std::mt19937 rng(11);
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
    f.level = static_cast<severity>(rng() % 4);
    f.line = static_cast<uint32_t>(rng());
    const std::string text = to_json_text(f);
    finding back;
    ASSERT_TRUE(json_read_text(text, back)) << text;
    EXPECT_EQ(back.path, f.path);
    EXPECT_EQ(back.message, f.message);
    EXPECT_EQ(back.preview, f.preview);
    EXPECT_EQ(back.commit, f.commit);
    EXPECT_EQ(to_json_text(back), via_nlohmann<finding>(text));

    scope_reduction s;
    for (int k = 0; k < 4; ++k) s.allow_files.push_back(noise());
    s.notes = noise();
    const std::string list_text = to_json_text(s);
    scope_reduction list_back;
    ASSERT_TRUE(json_read_text(list_text, list_back)) << list_text;
    EXPECT_EQ(list_back.allow_files, s.allow_files);
    EXPECT_EQ(to_json_text(list_back), via_nlohmann<scope_reduction>(list_text));
  }
}

TEST(JsonReadTest, TheRulesOfJsonGetByHand) {
  // A string's _b64 twin wins over its text, in either order; a twin that is
  // not a string is ignored; a missing string is "", whatever its default.
  EXPECT_TRUE(same_decoding<finding>(R"({"path":"x?","path_b64":"/w=="})", "twin after"));
  EXPECT_TRUE(same_decoding<finding>(R"({"path_b64":"/w==","path":"x?"})", "twin before"));
  EXPECT_TRUE(same_decoding<finding>(R"({"path":"x","path_b64":5})", "twin not a string"));
  EXPECT_TRUE(same_decoding<finding>(R"({"path":5})", "text not a string"));
  EXPECT_TRUE(same_decoding<finding>(R"({})", "nothing"));
  finding f;
  ASSERT_TRUE(json_read_text(R"({"path_b64":"/w=="})", f));
  EXPECT_EQ(f.path, "\xff");
  // Null and missing fields keep their values; unknown keys are ignored.
  EXPECT_TRUE(same_decoding<finding>(R"({"line":null,"level":null,"unknown":{"a":[1,2]}})",
                                     "null and unknown"));
  // Severity: an unknown name is info, a non-string keeps the value.
  EXPECT_TRUE(same_decoding<finding>(R"({"level":"urgent"})", "unknown severity"));
  EXPECT_TRUE(same_decoding<finding>(R"({"level":3})", "severity not a string"));
  // String lists: {"b64": ...} elements, an object without b64 is "",
  // elements of other types are skipped, a non-list is empty.
  EXPECT_TRUE(same_decoding<scope_reduction>(
    R"({"allow_files":["a",{"b64":"/w=="},{},{"other":1},7,null,["x"]]})", "string list"));
  EXPECT_TRUE(same_decoding<scope_reduction>(R"({"allow_files":"a"})", "not a list"));
  EXPECT_TRUE(same_decoding<scope_reduction>(R"({"allow_files":[{"b64":"/w==","b64":"AA=="}]})",
                                             "b64 twice: the last"));
  // Escapes are unescaped as nlohmann does.
  EXPECT_TRUE(same_decoding<finding>(R"({"message":"a\"b\\c\u00e9\ud83d\ude00\u0000z"})",
                                     "escapes"));
  // Large and negative integers, as nlohmann casts them.
  EXPECT_TRUE(same_decoding<finding>(R"({"line":18446744073709551615})", "uint64 max"));
  EXPECT_TRUE(same_decoding<finding>(R"({"line":-1})", "negative"));
  EXPECT_TRUE(same_decoding<finding>(R"({"line":-0})", "minus zero"));
  // Doubles: integers, signed zeros, the extremes, as nlohmann reads them.
  EXPECT_TRUE(same_decoding<risk_component>(R"({"weight":-0.0,"contribution":-0})", "zeros"));
  EXPECT_TRUE(same_decoding<risk_component>(
    R"({"weight":1.7976931348623157e308,"contribution":5e-324})", "extremes"));
  EXPECT_TRUE(same_decoding<risk_component>(
    R"({"weight":0.1,"contribution":18446744073709551615})", "uint64 in a double"));

  // Paths the reader leaves to nlohmann: it says so rather than guess.
  finding g;
  EXPECT_FALSE(json_read_text(R"({"line":"many"})", g)) << "nlohmann throws";
  EXPECT_FALSE(json_read_text(R"({"line":1.5})", g)) << "a double in an integer";
  EXPECT_FALSE(json_read_text(R"({"line":true})", g)) << "a bool in an integer";
  EXPECT_FALSE(json_read_text(R"({"path":"a","path":"b"})", g)) << "a duplicate key";
  scope_reduction s;
  EXPECT_FALSE(json_read_text(R"({"allow_files":[{"b64":5}]})", s))
    << "nlohmann throws on a b64 that is not a string";
  EXPECT_FALSE(json_read_text(R"([1])", g)) << "not an object";
  EXPECT_FALSE(json_read_text(R"({"path":"a"} x)", g)) << "trailing bytes";
  EXPECT_FALSE(json_read_text("{\"path\":\"\xff\"}", g)) << "not UTF-8";
  EXPECT_FALSE(json_read_text(R"({"line":1)", g)) << "cut short";
}

// Equal values of the same JSON types all the way down (nlohmann's == takes
// the unsigned 1 and the signed 1 as equal).
void expect_same_tree(const json& a, const json& b, const std::string& where) {
  ASSERT_EQ(a.type(), b.type()) << where;
  if (a.is_object()) {
    ASSERT_EQ(a.size(), b.size()) << where;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
      ASSERT_EQ(ia.key(), ib.key()) << where;
      expect_same_tree(*ia, *ib, where + "/" + ia.key());
    }
  } else if (a.is_array()) {
    ASSERT_EQ(a.size(), b.size()) << where;
    for (size_t i = 0; i < a.size(); ++i) expect_same_tree(a[i], b[i], where + "/" + std::to_string(i));
  } else {
    EXPECT_EQ(a, b) << where;
  }
}

TEST(JsonParseFastTest, EveryRecordOfARecordedAuditParsesAsNlohmannParsesIt) {
  const auto log = test::record_run(test::audit_start(4), test::audit_agents(60, 3));
  for (const auto& rec : log) {
    const std::string text = rec.dump();
    json fast;
    ASSERT_TRUE(json_parse_fast(text, fast)) << text.substr(0, 200);
    expect_same_tree(fast, json::parse(text), rec["type"].get<std::string>());
    EXPECT_EQ(fast.dump(), text);
  }
}

TEST(JsonParseFastTest, NumbersDuplicateKeysAndEscapesAsNlohmann) {
  const std::string texts[] = {
    R"({"a":0,"b":-1,"c":9223372036854775807,"d":9223372036854775808,"e":18446744073709551615})",
    R"({"f":-9223372036854775808,"g":1.5,"h":-0.0,"i":1e2,"j":5e-324,"k":1.7976931348623157e308})",
    R"({"z":1,"a":2,"z":3})",
    R"(["\u00e9\ud83d\ude00\u0000\"\\\/\b\f\n\r\t",true,false,null,[],{}])",
    " \t\r\n{\"x\" : [ 1 , 2 ] } \n",
  };
  for (const auto& text : texts) {
    json fast;
    ASSERT_TRUE(json_parse_fast(text, fast)) << text;
    expect_same_tree(fast, json::parse(text), text);
  }
  // Not JSON, or past what simdjson reads: the caller asks nlohmann.
  json out;
  EXPECT_FALSE(json_parse_fast("{\"a\":1} x", out));
  EXPECT_FALSE(json_parse_fast("{\"a\":\"\xff\"}", out));
  EXPECT_FALSE(json_parse_fast("[18446744073709551616]", out));  // nlohmann: a double
  EXPECT_FALSE(json_parse_fast("", out));
}

}  // namespace
}  // namespace casm::messages
