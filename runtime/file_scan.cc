#include "runtime/file_scan.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <thread>

namespace casm::runtime {

namespace {

using messages::skipped_file;

// Grows to the largest file read so far and is never zero-filled: a
// std::string would memset each file's size before read() overwrote it.
class read_buffer {
public:
  char* reserve(size_t n) {
    if (n > capacity_) {
      capacity_ = std::max(n, capacity_ * 2);
      data_.reset(new char[capacity_]);
    }
    return data_.get();
  }

private:
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
};

class worker {
public:
  worker(const file_list& files, const policy::scanner& scanner, const file_scan_settings& s)
    : files_(files), scanner_(scanner), settings_(s) {
    // Hyperscan takes a 32-bit length: with no limit, a larger file is still
    // reported as oversized rather than read.
    options_.max_file_bytes = s.max_file_bytes > 0 ? s.max_file_bytes
                                                   : std::numeric_limits<uint32_t>::max() - 1;
    options_.suppressed_inline = &out_.suppressed_inline;
  }

  // The worker's result lives on its own thread's stack until the end, so
  // per-file counters never share a cache line with another worker's.
  file_scan_result run(std::atomic<size_t>& next) {
    for (size_t i = next++; i < files_.size(); i = next++) scan_one(i);
    return std::move(out_);
  }

private:
  void skip(std::string_view path, const char* reason, uint64_t bytes, std::string detail) {
    out_.skipped.push_back(skipped_file{std::string(path), reason, bytes, std::move(detail)});
  }

  void scan_one(size_t i) {
    const std::string_view path = files_.display_path(i);
    if (settings_.allow_paths) {
      if (const policy::glob* g = settings_.allow_paths->first_match(path)) {
        skip(path, "allowlisted", 0, "matched --allow-path " + g->pattern());
        return;
      }
    }
    const int fd = ::open(files_.full_path(i), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      skip(path, "unreadable", 0, std::strerror(errno));
      return;
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      skip(path, "unreadable", 0, std::strerror(errno));
      ::close(fd);
      return;
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > options_.max_file_bytes) {
      ::close(fd);
      policy::scan_options big = options_;
      big.file_size = size;
      append(scanner_.scan(path, {}, big));
      skip(path, "oversized", size,
           "over max_file_bytes (" + std::to_string(options_.max_file_bytes) + ")");
      return;
    }
    // A file that grows between fstat and read is scanned as it was at
    // fstat; one that shrinks, as far as it goes.
    char* data = buffer_.reserve(static_cast<size_t>(size) + 1);
    size_t got = 0;
    while (got < size) {
      const ssize_t n = ::read(fd, data + got, static_cast<size_t>(size) - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        skip(path, "unreadable", size, std::strerror(errno));
        ::close(fd);
        return;
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    ::close(fd);
    out_.bytes_read += got;
    const std::string_view content(data, got);
    if (policy::looks_binary(content)) {
      skip(path, "binary", got, "a NUL byte in the first 8000 bytes");
      return;
    }
    ++out_.files_scanned;
    out_.bytes_scanned += got;
    append(scanner_.scan(path, content, options_));
  }

  void append(std::vector<messages::finding>&& found) {
    if (found.empty()) return;
    std::move(found.begin(), found.end(), std::back_inserter(out_.findings));
  }

  const file_list& files_;
  const policy::scanner& scanner_;
  const file_scan_settings& settings_;
  file_scan_result out_;
  policy::scan_options options_;
  read_buffer buffer_;
};

}  // namespace

file_scan_result scan_files(const file_list& files, const policy::scanner& scanner,
                            const file_scan_settings& settings) {
  const size_t n = std::max<size_t>(1, std::min<size_t>(settings.threads, files.size()));
  std::vector<file_scan_result> parts(n);
  std::vector<std::exception_ptr> errors(n);
  std::atomic<size_t> next{0};
  auto work = [&](size_t t) {
    try {
      parts[t] = worker(files, scanner, settings).run(next);
    } catch (...) {
      errors[t] = std::current_exception();
      next = files.size();  // the others stop at their next file
    }
  };
  {
    std::vector<std::thread> pool;
    for (size_t t = 1; t < n; ++t) pool.emplace_back(work, t);
    work(0);  // the calling thread works too
    for (auto& th : pool) th.join();
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  file_scan_result all = std::move(parts[0]);
  for (size_t t = 1; t < n; ++t) {
    auto& p = parts[t];
    std::move(p.findings.begin(), p.findings.end(), std::back_inserter(all.findings));
    std::move(p.skipped.begin(), p.skipped.end(), std::back_inserter(all.skipped));
    all.files_scanned += p.files_scanned;
    all.bytes_scanned += p.bytes_scanned;
    all.bytes_read += p.bytes_read;
    all.suppressed_inline += p.suppressed_inline;
  }
  return all;
}

}  // namespace casm::runtime
