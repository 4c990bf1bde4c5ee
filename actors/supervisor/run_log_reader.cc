#include "actors/supervisor/run_log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "actors/supervisor/run_log_format.h"
#include "messages/codec/digest.h"

namespace casm::supervisor {

namespace {

// The buffer the last line_reader of this thread left behind, if any.
struct spare_buffer {
  std::unique_ptr<char[]> buf;
  size_t cap = 0;
  bool lent = false;
};
thread_local spare_buffer spare;

}  // namespace

line_reader::line_reader(const std::filesystem::path& file) {
  fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  // The whole file when it is small (most logs are: no 1 MiB buffer to
  // clear per run when explain or replay reads thousands of runs), else
  // 1 MiB; next() grows it for a longer line.
  size_t size = size_t{1} << 20;
  struct stat st;
  if (fd_ >= 0 && ::fstat(fd_, &st) == 0 && st.st_size >= 0 &&
      static_cast<uint64_t>(st.st_size) < size - 1)
    size = std::max<size_t>(static_cast<size_t>(st.st_size) + 1, 4096);
  if (!spare.lent) {
    spare.lent = true;
    borrowed_ = true;
    if (spare.cap < size) {
      spare.buf.reset();  // not kept: a larger one replaces it
      spare.buf.reset(new char[size]);
      spare.cap = size;
    }
    buf_ = std::move(spare.buf);
    cap_ = spare.cap;
  } else {
    buf_.reset(new char[size]);
    cap_ = size;
  }
}

line_reader::~line_reader() {
  if (fd_ >= 0) ::close(fd_);
  if (borrowed_) {
    // Returned, unless it grew past 2 MiB for a long line (not kept).
    if (cap_ <= (size_t{2} << 20)) {
      spare.buf = std::move(buf_);
      spare.cap = cap_;
    } else {
      spare.cap = 0;
    }
    spare.lent = false;
  }
}

std::optional<std::string_view> line_reader::next() {
  if (fd_ < 0) return std::nullopt;
  for (;;) {
    char* const data = buf_.get();
    auto* nl = static_cast<char*>(std::memchr(data + begin_, '\n', end_ - begin_));
    if (nl) {
      size_t len = static_cast<size_t>(nl - (data + begin_));
      std::string_view line(data + begin_, len);
      begin_ += len + 1;
      offset_ += len + 1;
      return line;
    }
    if (eof_) {
      tail_ = std::string_view(data + begin_, end_ - begin_);
      return std::nullopt;
    }
    // Compact, grow if one line fills the buffer, then refill.
    if (begin_ > 0) {
      std::memmove(data, data + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == cap_) {
      std::unique_ptr<char[]> bigger(new char[cap_ * 2]);
      std::memcpy(bigger.get(), buf_.get(), end_);
      buf_ = std::move(bigger);
      cap_ *= 2;
    }
    ssize_t n = ::read(fd_, buf_.get() + end_, cap_ - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      eof_ = true;
    } else if (n == 0) {
      eof_ = true;
    } else {
      end_ += static_cast<size_t>(n);
    }
  }
}

verify_result verify_log(const std::filesystem::path& file,
                         const std::optional<expected_head>& head,
                         const std::function<void(uint64_t, std::string_view)>& on_record) {
  verify_result r;
  r.last_hash = codec::zero_hash();
  line_reader in(file);
  if (!in.is_open()) {
    r.ok = false;
    r.first_bad_seq = 1;
    r.problem = "the log " + file.string() + " cannot be opened: " + std::strerror(errno);
    return r;
  }
  auto fail = [&](uint64_t seq, std::string why) {
    r.ok = false;
    r.first_bad_seq = seq;
    r.problem = "seq " + std::to_string(seq) + ": " + std::move(why);
  };
  uint64_t expect = 1;
  while (auto line = in.next()) {
    std::string_view body, hash;
    if (!split_record(*line, body, hash)) {
      fail(expect, "the record is malformed (no valid hash field)");
      return r;
    }
    uint64_t seq = 0;
    std::string_view prev;
    if (!peek_seq_prev(body, seq, prev)) {
      fail(expect, "the record is malformed (no seq or prev field)");
      return r;
    }
    if (!record_hash_matches(r.last_hash, body, hash)) {
      if (seq != expect)
        fail(expect, "missing or out of order (found seq " + std::to_string(seq) + " here)");
      else if (prev != r.last_hash)
        fail(expect, "prev does not match the hash of seq " + std::to_string(expect - 1) +
                       " (a record before it was removed or changed)");
      else
        fail(expect, "the record's bytes do not match its hash (it was modified)");
      return r;
    }
    if (seq != expect) {
      fail(expect, "missing or out of order (found seq " + std::to_string(seq) + " here)");
      return r;
    }
    if (on_record) on_record(seq, *line);
    r.last_hash.assign(hash);  // in place: no string made and freed per record
    r.last_seq = seq;
    r.records = seq;
    r.valid_bytes = in.offset();
    ++expect;
  }
  if (!in.torn_tail().empty()) {
    r.torn_tail = true;
    r.torn_bytes = in.torn_tail().size();
  }
  if (head && head->seq > 0) {
    if (r.last_seq < head->seq) {
      fail(r.last_seq + 1, "missing: state.json records head seq " + std::to_string(head->seq) +
                             " but the log ends at seq " + std::to_string(r.last_seq) +
                             " (records were deleted from the end)");
      return r;
    }
    // The head must be a verified record of this chain. Records after it are
    // an unconfirmed tail (appended after the last sync point), still valid.
    bool found = false;
    if (r.last_seq == head->seq) {
      found = r.last_hash == head->hash;
    } else {
      line_reader in2(file);
      while (auto line = in2.next()) {
        std::string_view body, hash;
        uint64_t seq = 0;
        std::string_view prev;
        if (split_record(*line, body, hash) && peek_seq_prev(body, seq, prev) &&
            seq == head->seq) {
          found = hash == head->hash;
          break;
        }
      }
    }
    if (!found) {
      fail(head->seq, "the record's hash differs from the head hash in state.json");
      return r;
    }
  }
  return r;
}

}  // namespace casm::supervisor
