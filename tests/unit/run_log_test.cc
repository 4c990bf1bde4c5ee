// The run log: writer, reader, chain verification, tamper detection, torn
// tails (in the manner of LevelDB's log_test and corruption_test).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <vector>

#include "actors/supervisor/run_log_format.h"
#include "actors/supervisor/run_log_reader.h"
#include "actors/supervisor/run_log_writer.h"
#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "tests/unit/test_util.h"

namespace casm::supervisor {
namespace {

using nlohmann::json;

record_fields make_fields(int i) {
  return record_fields{"2026-01-01T00:00:00.000Z", "input", "ingest", "coordinator",
                       "test.event", json{{"i", i}, {"text", "value " + std::to_string(i)}}};
}

std::filesystem::path write_log(const test::temp_dir& dir, int n) {
  auto file = dir.path() / "events.jsonl";
  std::string error;
  auto w = run_log_writer::open(file, "RUN", nullptr, &error);
  EXPECT_TRUE(w) << error;
  for (int i = 1; i <= n; ++i) w->append(make_fields(i));
  w->sync();
  return file;
}

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::vector<std::string> out;
  std::string all = test::slurp(file);
  size_t start = 0;
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i] == '\n') {
      out.push_back(all.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

void write_lines(const std::filesystem::path& file, const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  test::spit(file, all);
}

TEST(RunLogFormat, CanonicalLineAndHashFollowTheConvention) {
  std::string hash;
  std::string line = encode_record(1, "RUN", make_fields(1), codec::zero_hash(), hash);
  // The record is canonical JSON with the hash field appended last.
  auto rec = json::parse(line);
  EXPECT_EQ(rec["seq"], 1);
  EXPECT_EQ(rec["prev"], codec::zero_hash());
  EXPECT_EQ(rec["hash"], hash);
  json without = rec;
  without.erase("hash");
  const std::string canonical = without.dump();
  EXPECT_EQ(line.substr(0, canonical.size() - 1), canonical.substr(0, canonical.size() - 1));
  EXPECT_EQ(hash, codec::sha256_hex(codec::zero_hash() + "\n" + canonical));
}

// encode_record writes the line directly; it must be byte for byte what
// nlohmann's dump() of the record object gives, whether the payload comes as
// a value or as its canonical text, for fields that need escaping too.
TEST(RunLogFormat, TheDirectLineIsExactlyTheDumpOfTheRecord) {
  std::vector<json> payloads = {
    json::object(), json::array(), json{{"i", 1}}, json{{"blob", std::string(64, 'b')}, {"bytes", 5000}},
    json{{"quote", "a \"q\" \\ / \n\t\u0001 \u00e9 \u4e2d \U0001F600"}, {"n", -3}, {"x", 0.1}, {"big", 18446744073709551615ull}},
    json{{"z", nullptr}, {"a", {true, false, 1.5e300, json::array({json::object()})}}}};
  int i = 0;
  for (const auto& p : payloads) {
    record_fields f{"2026-01-01T00:00:00.000Z", "output", "co\"ord", "sup\\ervisor\n",
                    "type." + std::to_string(i++), p};
    json rec = json::object();
    rec["seq"] = 42;
    rec["run_id"] = "RUN";
    rec["ts"] = f.ts;
    rec["kind"] = std::string(f.kind);
    rec["source"] = f.source;
    rec["target"] = f.target;
    rec["type"] = f.type;
    rec["payload"] = p;
    rec["prev"] = std::string(64, 'c');
    std::string expected = rec.dump();
    expected.pop_back();
    std::string hash1, hash2;
    const std::string from_value = encode_record(42, "RUN", f, std::string(64, 'c'), hash1);
    f.payload = nullptr;
    f.payload_text = p.dump();
    const std::string from_text = encode_record(42, "RUN", f, std::string(64, 'c'), hash2);
    EXPECT_EQ(from_value.substr(0, expected.size()), expected) << p.dump();
    EXPECT_EQ(from_value.size(), expected.size() + hash_suffix_size);
    EXPECT_EQ(from_text, from_value);
    EXPECT_EQ(hash1, hash2);
  }
}

TEST(RunLogFormat, PeekFindsTopLevelSeqAndPrevDespiteNestedKeys) {
  record_fields f = make_fields(1);
  f.payload = json{{"prev", std::string(64, 'f')}, {"seq", 99}};
  std::string hash;
  std::string line = encode_record(7, "RUN", f, std::string(64, 'a'), hash);
  std::string_view body, h;
  ASSERT_TRUE(split_record(line, body, h));
  uint64_t seq = 0;
  std::string_view prev;
  ASSERT_TRUE(peek_seq_prev(body, seq, prev));
  EXPECT_EQ(seq, 7u);
  EXPECT_EQ(prev, std::string(64, 'a'));
}

TEST(RunLogFormat, PeekTypeAndBlobReadTheTopLevelOnly) {
  std::string hash;
  std::string_view body, h, type, blob;
  // A blob reference: its digest is found.
  record_fields f = make_fields(1);
  f.type = "review.completed";
  f.payload = json{{"blob", std::string(64, 'b')}, {"bytes", 1234}};
  std::string line = encode_record(3, "RUN", f, std::string(64, 'a'), hash);
  ASSERT_TRUE(split_record(line, body, h));
  ASSERT_TRUE(peek_type_blob(body, type, blob));
  EXPECT_EQ(type, "review.completed");
  EXPECT_EQ(blob, std::string(64, 'b'));
  // An inline payload that nests the same keys: not a blob, and the
  // record's own type wins.
  f.type = "stage.transition";
  f.payload = json{{"x", {{"payload", {{"blob", std::string(64, 'c')}, {"bytes", 1}}}}},
                   {"type", "decoy"}};
  line = encode_record(4, "RUN", f, std::string(64, 'a'), hash);
  ASSERT_TRUE(split_record(line, body, h));
  ASSERT_TRUE(peek_type_blob(body, type, blob));
  EXPECT_EQ(type, "stage.transition");
  EXPECT_TRUE(blob.empty());
}

TEST(RunLogWriter, AppendsChainedRecordsThatVerify) {
  test::temp_dir dir;
  auto file = write_log(dir, 50);
  auto v = verify_log(file);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 50u);
  EXPECT_EQ(v.last_seq, 50u);
  EXPECT_FALSE(v.torn_tail);
  // Each prev is the previous line's hash.
  auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 50u);
  for (size_t i = 1; i < lines.size(); ++i)
    EXPECT_EQ(json::parse(lines[i])["prev"], json::parse(lines[i - 1])["hash"]);
  EXPECT_EQ(json::parse(lines.back())["hash"], v.last_hash);
}

TEST(RunLogWriter, ReopenContinuesTheChain) {
  test::temp_dir dir;
  auto file = write_log(dir, 3);
  std::string error;
  open_report report;
  auto w = run_log_writer::open(file, "RUN", &report, &error);
  ASSERT_TRUE(w) << error;
  EXPECT_EQ(report.records, 3u);
  EXPECT_EQ(w->append(make_fields(4)), 4u);
  w.reset();
  auto v = verify_log(file);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 4u);
}

TEST(RunLogWriter, EmptyLogVerifies) {
  test::temp_dir dir;
  auto file = write_log(dir, 0);
  auto v = verify_log(file);
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.records, 0u);
  EXPECT_EQ(v.last_hash, codec::zero_hash());
}

TEST(RunLogWriter, NonUtf8PayloadBytesSurviveAsEscapes) {
  test::temp_dir dir;
  auto file = dir.path() / "events.jsonl";
  std::string error;
  auto w = run_log_writer::open(file, "RUN", nullptr, &error);
  ASSERT_TRUE(w);
  json p;
  codec::put_bytes(p, "path", std::string("dir/\xff\xfe.txt"));
  w->append(record_fields{"t", "input", "a", "b", "x", p});
  w.reset();
  auto v = verify_log(file);
  ASSERT_TRUE(v.ok) << v.problem;
  auto rec = json::parse(lines_of(file)[0]);
  EXPECT_EQ(codec::get_bytes(rec["payload"], "path"), std::string("dir/\xff\xfe.txt"));
}

// --- tampering --------------------------------------------------------------

TEST(RunLogTamper, FlippedByteInAnyRecordNamesThatSeq) {
  test::temp_dir dir;
  auto file = write_log(dir, 10);
  const auto original = lines_of(file);
  for (size_t target = 0; target < original.size(); ++target) {
    for (size_t pos : {size_t{2}, original[target].size() / 2, original[target].size() - 3}) {
      auto lines = original;
      lines[target][pos] ^= 0x01;
      write_lines(file, lines);
      auto v = verify_log(file);
      EXPECT_FALSE(v.ok) << "record " << target << " byte " << pos;
      EXPECT_EQ(v.first_bad_seq, target + 1) << v.problem;
    }
  }
}

TEST(RunLogTamper, DeletedMiddleLineIsCaught) {
  test::temp_dir dir;
  auto file = write_log(dir, 10);
  auto lines = lines_of(file);
  lines.erase(lines.begin() + 4);  // seq 5
  write_lines(file, lines);
  auto v = verify_log(file);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 5u) << v.problem;
}

TEST(RunLogTamper, DeletedFirstLineIsCaught) {
  test::temp_dir dir;
  auto file = write_log(dir, 5);
  auto lines = lines_of(file);
  lines.erase(lines.begin());
  write_lines(file, lines);
  auto v = verify_log(file);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 1u);
}

TEST(RunLogTamper, DeletedLastLineIsCaughtAgainstTheHead) {
  test::temp_dir dir;
  auto file = write_log(dir, 10);
  auto full = verify_log(file);
  expected_head head{full.last_seq, full.last_hash};
  auto lines = lines_of(file);
  lines.pop_back();
  write_lines(file, lines);
  // The chain itself is intact, so only the head in state.json can tell.
  EXPECT_TRUE(verify_log(file).ok);
  auto v = verify_log(file, head);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 10u) << v.problem;
}

TEST(RunLogTamper, ReorderedLinesAreCaught) {
  test::temp_dir dir;
  auto file = write_log(dir, 10);
  auto lines = lines_of(file);
  std::swap(lines[5], lines[6]);  // seq 6 and 7
  write_lines(file, lines);
  auto v = verify_log(file);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 6u) << v.problem;
}

TEST(RunLogTamper, RewrittenRecordWithRecomputedHashBreaksTheNextLink) {
  test::temp_dir dir;
  auto file = write_log(dir, 5);
  auto lines = lines_of(file);
  // Forge seq 3 with a valid own hash: the chain breaks at seq 4.
  auto rec = json::parse(lines[2]);
  record_fields f = make_fields(333);
  std::string hash;
  lines[2] = encode_record(3, "RUN", f, rec["prev"], hash);
  write_lines(file, lines);
  auto v = verify_log(file);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 4u) << v.problem;
}

TEST(RunLogTamper, HeadHashMismatchIsCaught) {
  test::temp_dir dir;
  auto file = write_log(dir, 4);
  auto v = verify_log(file, expected_head{4, std::string(64, 'e')});
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 4u);
}

// --- torn tails (crash mid-append) ------------------------------------------

TEST(RunLogTornTail, IsReportedButTheRecordsBeforeItVerify) {
  test::temp_dir dir;
  auto file = write_log(dir, 6);
  auto bytes = test::slurp(file);
  auto lines = lines_of(file);
  test::spit(file, bytes + lines[2].substr(0, 40));  // a partial 7th line
  auto v = verify_log(file);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 6u);
  EXPECT_TRUE(v.torn_tail);
  EXPECT_EQ(v.torn_bytes, 40u);
  // Reading never repairs: the file is unchanged.
  EXPECT_EQ(test::slurp(file), bytes + lines[2].substr(0, 40));
}

TEST(RunLogTornTail, WriterTruncatesItAndContinuesTheChain) {
  test::temp_dir dir;
  auto file = write_log(dir, 6);
  auto bytes = test::slurp(file);
  test::spit(file, bytes + "{\"kind\":\"inp");
  std::string error;
  open_report report;
  auto w = run_log_writer::open(file, "RUN", &report, &error);
  ASSERT_TRUE(w) << error;
  EXPECT_TRUE(report.truncated_torn_tail);
  EXPECT_EQ(report.records, 6u);
  EXPECT_EQ(w->append(make_fields(7)), 7u);
  w.reset();
  auto v = verify_log(file);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 7u);
  EXPECT_FALSE(v.torn_tail);
  EXPECT_EQ(test::slurp(file).substr(0, bytes.size()), bytes);  // nothing valid lost
}

TEST(RunLogTornTail, EveryCutPointKeepsAllCompleteRecords) {
  test::temp_dir dir;
  auto file = write_log(dir, 4);
  const auto bytes = test::slurp(file);
  const auto lines = lines_of(file);
  size_t boundary = 0;
  uint64_t complete = 0;
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    if (complete < lines.size() && cut >= boundary + lines[complete].size() + 1) {
      boundary += lines[complete].size() + 1;
      ++complete;
    }
    test::spit(file, bytes.substr(0, cut));
    auto v = verify_log(file);
    ASSERT_TRUE(v.ok) << "cut at " << cut << ": " << v.problem;
    EXPECT_EQ(v.records, complete) << "cut at " << cut;
    EXPECT_EQ(v.torn_tail, cut != boundary) << "cut at " << cut;
  }
}

TEST(RunLogWriter, RefusesToAppendToATamperedLog) {
  test::temp_dir dir;
  auto file = write_log(dir, 3);
  auto lines = lines_of(file);
  lines[1][20] ^= 0x01;
  write_lines(file, lines);
  std::string error;
  auto w = run_log_writer::open(file, "RUN", nullptr, &error);
  EXPECT_FALSE(w);
  EXPECT_NE(error.find("seq 2"), std::string::npos) << error;
}

}  // namespace
}  // namespace casm::supervisor
