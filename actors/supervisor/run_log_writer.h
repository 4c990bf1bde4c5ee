// Appends records to a run log (events.jsonl), chaining each to the last.
//
// One writer per run: the caller holds the run's lock (run_lock). Each append
// is one write(2) of a whole line, so a crash leaves at most one torn line;
// sync() makes everything appended so far durable (fdatasync). Not
// thread-safe: it belongs to the supervisor that owns the run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "actors/supervisor/run_log_format.h"

namespace casm::supervisor {

struct open_report {
  uint64_t records = 0;           // verified records found
  bool truncated_torn_tail = false;
  uint64_t torn_bytes = 0;
};

class run_log_writer {
public:
  ~run_log_writer();
  run_log_writer(const run_log_writer&) = delete;
  run_log_writer& operator=(const run_log_writer&) = delete;

  // Opens `file`, creating it if needed. An existing log is verified first;
  // a torn last line is truncated (and reported in `report`). A log whose
  // chain does not verify is refused: `error` names the first bad seq.
  static std::unique_ptr<run_log_writer> open(const std::filesystem::path& file,
                                              std::string run_id, open_report* report,
                                              std::string* error);

  // Appends one record; returns its seq. Throws std::system_error on I/O
  // failure (disk full): the run cannot go on without its log.
  uint64_t append(const record_fields& fields);

  // fdatasync: everything appended so far survives a crash.
  void sync();
  // Everything appended so far was made durable by the caller (a durable
  // point's filesystem flush): closing needs no fdatasync of its own.
  void mark_durable() { durable_seq_ = seq_; }

  uint64_t last_seq() const { return seq_; }
  const std::string& last_hash() const { return prev_; }
  uint64_t bytes() const { return bytes_; }

private:
  run_log_writer(int fd, std::string run_id, uint64_t seq, std::string prev, uint64_t bytes);
  int fd_;
  std::string run_id_;
  uint64_t seq_;
  std::string prev_;
  uint64_t bytes_;
  uint64_t durable_seq_;
};

}  // namespace casm::supervisor
