// The parallel read-and-scan of a file_list for `casm scan`.
//
// Workers take the next file from a shared atomic index, read() it whole
// into a buffer each worker reuses (DESIGN.md, Scanning speed facts: read()
// beats mmap 2x on many small files) and scan it with the given scanner.
// Each worker keeps its own findings and counts; they are merged once at the
// end, so the hot path takes no lock.
#pragma once

#include <cstdint>
#include <vector>

#include "messages/data/finding.h"
#include "policy/glob.h"
#include "policy/scanner.h"
#include "runtime/file_walk.h"

namespace casm::runtime {

struct file_scan_settings {
  uint64_t max_file_bytes = 1 << 20;  // 0: no limit
  const policy::glob_set* allow_paths = nullptr;  // matching files are not read
  unsigned threads = 1;
};

struct file_scan_result {
  std::vector<messages::finding> findings;    // unordered
  std::vector<messages::skipped_file> skipped;  // unordered
  uint64_t files_scanned = 0;  // text files whose content was scanned
  uint64_t bytes_scanned = 0;  // their bytes
  uint64_t bytes_read = 0;     // every byte read, binary files included
  uint64_t suppressed_inline = 0;
};

// A file that cannot be read becomes a skipped entry with reason
// `unreadable` and the scan goes on. Throws only what the scanner throws
// (Hyperscan out of memory), after every worker has stopped.
file_scan_result scan_files(const file_list& files, const policy::scanner& scanner,
                            const file_scan_settings& settings);

}  // namespace casm::runtime
