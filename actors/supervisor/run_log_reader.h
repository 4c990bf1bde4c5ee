// Streams and verifies a run log (events.jsonl) in constant memory.
//
// Read-only: it never modifies the file. A torn tail (a last line without its
// '\n', as a crash mid-append leaves it) is reported, not repaired; only a
// writer truncates it (run_log_writer::open).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace casm::supervisor {

// Reads lines with read() into a reused buffer. Not thread-safe.
class line_reader {
public:
  explicit line_reader(const std::filesystem::path& file);
  ~line_reader();
  line_reader(const line_reader&) = delete;
  line_reader& operator=(const line_reader&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // Returns the next complete line (without '\n'); valid until the next call.
  // Returns nullopt at the end. After the end, torn_tail() holds any bytes
  // after the last '\n'.
  std::optional<std::string_view> next();
  std::string_view torn_tail() const { return tail_; }
  // Byte offset just past the last complete line returned.
  uint64_t offset() const { return offset_; }

private:
  int fd_ = -1;
  // Not a std::string: resizing one zero-fills it, a memset of the whole
  // log per run opened. The thread's spare buffer when it is free (replay
  // and explain open thousands of logs in turn), else one of its own.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  bool borrowed_ = false;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::string_view tail_;
  uint64_t offset_ = 0;
};

struct verify_result {
  bool ok = true;             // every complete record verifies (and matches the head)
  uint64_t records = 0;       // complete, verified records
  uint64_t last_seq = 0;
  std::string last_hash;      // hash of the last verified record (or 64 '0's)
  uint64_t first_bad_seq = 0; // set when !ok
  std::string problem;        // one sentence, when !ok
  bool torn_tail = false;     // a partial last line is present
  uint64_t torn_bytes = 0;
  uint64_t valid_bytes = 0;   // bytes up to and including the last good '\n'
};

struct expected_head {
  uint64_t seq = 0;
  std::string hash;
};

// Verifies the chain of `file`. If `head` is given (from state.json), the log
// must contain that record with that hash: a log cut short (a deleted last
// line) is caught here. `on_record` sees each verified line (body+hash).
verify_result verify_log(const std::filesystem::path& file,
                         const std::optional<expected_head>& head = std::nullopt,
                         const std::function<void(uint64_t seq, std::string_view line)>&
                           on_record = nullptr);

}  // namespace casm::supervisor
