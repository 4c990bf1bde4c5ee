#include "actors/supervisor/run_log_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "actors/supervisor/run_log_reader.h"
#include "messages/codec/digest.h"

namespace casm::supervisor {

run_log_writer::run_log_writer(int fd, std::string run_id, uint64_t seq, std::string prev,
                               uint64_t bytes)
    : fd_(fd), run_id_(std::move(run_id)), seq_(seq), prev_(std::move(prev)), bytes_(bytes),
      durable_seq_(seq) {}

run_log_writer::~run_log_writer() {
  if (fd_ >= 0) {
    if (seq_ > durable_seq_) ::fdatasync(fd_);
    ::close(fd_);
  }
}

std::unique_ptr<run_log_writer> run_log_writer::open(const std::filesystem::path& file,
                                                     std::string run_id, open_report* report,
                                                     std::string* error) {
  uint64_t seq = 0;
  std::string prev = codec::zero_hash();
  uint64_t valid_bytes = 0;
  bool torn = false;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    auto v = verify_log(file);
    if (!v.ok) {
      if (error) *error = "the run log " + file.string() + " does not verify: " + v.problem;
      return nullptr;
    }
    seq = v.last_seq;
    prev = v.last_hash;
    valid_bytes = v.valid_bytes;
    torn = v.torn_tail;
    if (report) {
      report->records = v.records;
      report->truncated_torn_tail = v.torn_tail;
      report->torn_bytes = v.torn_bytes;
    }
  }
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (error) *error = "cannot open the run log " + file.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  if (torn) {
    // Valid records are never lost: cut exactly after the last good '\n'.
    if (::ftruncate(fd, static_cast<off_t>(valid_bytes)) != 0 || ::fdatasync(fd) != 0) {
      if (error) *error = "cannot truncate the torn tail of " + file.string() + ": " +
                          std::strerror(errno);
      ::close(fd);
      return nullptr;
    }
  }
  return std::unique_ptr<run_log_writer>(
    new run_log_writer(fd, std::move(run_id), seq, std::move(prev), valid_bytes));
}

uint64_t run_log_writer::append(const record_fields& fields) {
  std::string hash;
  std::string line = encode_record(seq_ + 1, run_id_, fields, prev_, hash);
  line += '\n';
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "append to the run log");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  ++seq_;
  prev_ = std::move(hash);
  bytes_ += line.size();
  return seq_;
}

void run_log_writer::sync() {
  if (::fdatasync(fd_) != 0)
    throw std::system_error(errno, std::generic_category(), "sync the run log");
  durable_seq_ = seq_;
}

}  // namespace casm::supervisor
