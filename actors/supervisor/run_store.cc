#include "actors/supervisor/run_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "messages/codec/digest.h"
#include "messages/codec/json_text.h"
#include "messages/data/json_parse.h"

namespace casm::supervisor {

using nlohmann::json;

void to_json(json& j, const run_state& s) {
  j = json::object();
  j["run_id"] = s.run_id;
  j["status"] = s.status;
  j["template_id"] = s.template_id;
  codec::put_bytes(j, "repo", s.repo);
  j["created_at"] = s.created_at;
  j["updated_at"] = s.updated_at;
  j["head"] = json{{"seq", s.head_seq}, {"hash", s.head_hash}};
  j["exit_code"] = s.exit_code < 0 ? json(nullptr) : json(s.exit_code);
  codec::put_bytes(j, "reason", s.reason);
  j["failure_kind"] = s.failure_kind;
  j["pid"] = s.pid;
}

void from_json(const json& j, run_state& s) {
  s.run_id = j.value("run_id", "");
  s.status = j.value("status", "");
  s.template_id = j.value("template_id", "");
  s.repo = codec::get_bytes(j, "repo");
  s.created_at = j.value("created_at", "");
  s.updated_at = j.value("updated_at", "");
  if (auto h = j.find("head"); h != j.end() && h->is_object()) {
    s.head_seq = h->value("seq", uint64_t{0});
    s.head_hash = h->value("hash", "");
  }
  s.exit_code = j.contains("exit_code") && j["exit_code"].is_number_integer()
                  ? j["exit_code"].get<int>()
                  : -1;
  s.reason = codec::get_bytes(j, "reason");
  s.failure_kind = j.value("failure_kind", "");
  s.pid = j.value("pid", int64_t{0});
}

namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

bool write_all(int fd, const std::string& bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

namespace {

// How a replacement is made durable: not at all; the temp file fsynced
// itself; or the whole filesystem flushed (group commit) before the rename.
enum class flush { none, file, filesystem };

// `new_in_place`: a file that does not exist yet is written in place (only
// for files no reader opens before a record names them: blobs, artifacts).
std::string replace_file(const fs::path& file, const std::string& bytes, flush how,
                         bool new_in_place = false) {
  if (how == flush::none && new_in_place) {
    // A new file is written in place: no temp file, no rename (a run writes
    // ~10 blobs and artifacts, each new). Only an existing file is replaced.
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      if (!write_all(fd, bytes)) {
        auto err = errno_text("cannot write " + file.string());
        ::close(fd);
        ::unlink(file.c_str());
        return err;
      }
      ::close(fd);
      return {};
    }
    if (errno != EEXIST) return errno_text("cannot create " + file.string());
  }
  fs::path tmp = file;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_text("cannot create " + tmp.string());
  if (!write_all(fd, bytes) || (how == flush::file && ::fsync(fd) != 0)) {
    auto err = errno_text("cannot write " + tmp.string());
    ::close(fd);
    ::unlink(tmp.c_str());
    return err;
  }
  ::close(fd);
  if (how == flush::filesystem) {
    if (auto err = sync_filesystem(file.parent_path()); !err.empty()) {
      ::unlink(tmp.c_str());
      return err;
    }
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    auto err = errno_text("cannot rename " + tmp.string() + " to " + file.string());
    ::unlink(tmp.c_str());
    return err;
  }
  if (how != flush::none) fsync_dir(file.parent_path());
  return {};
}

}  // namespace

std::string write_file_atomic(const fs::path& file, const std::string& bytes) {
  return replace_file(file, bytes, flush::file);
}

std::string write_file_unsynced(const fs::path& file, const std::string& bytes) {
  return replace_file(file, bytes, flush::none, true);
}

namespace {

std::string syncfs_of(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_text("cannot open " + path.string() + " to sync it");
  const int rc = ::syncfs(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    errno = err;
    return errno_text("cannot sync the filesystem of " + path.string());
  }
  return {};
}

// One per filesystem (device). `arrived` counts callers; a flush that starts
// after caller k arrived covers k, so `covered` only grows to the arrival
// count seen when a flush started.
struct group_commit {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t arrived = 0;
  uint64_t covered = 0;
  bool flushing = false;
  // A failed flush is final: after a writeback error nothing written before
  // it can be called durable, so it and every later caller get the error.
  uint64_t failed_from = 0;
  std::string failure;
};

}  // namespace

std::string sync_filesystem(const fs::path& path) {
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0) return errno_text("cannot stat " + path.string() + " to sync it");
  static std::mutex groups_mu;
  static std::map<dev_t, std::unique_ptr<group_commit>> groups;
  group_commit* g = nullptr;
  {
    std::lock_guard<std::mutex> lock(groups_mu);
    auto& slot = groups[sb.st_dev];
    if (!slot) slot = std::make_unique<group_commit>();
    g = slot.get();
  }
  std::unique_lock<std::mutex> lock(g->mu);
  const uint64_t mine = ++g->arrived;
  while (g->covered < mine) {
    if (g->flushing) {
      g->cv.wait(lock);
      continue;
    }
    g->flushing = true;
    const uint64_t from = g->covered + 1, upto = g->arrived;
    lock.unlock();
    std::string err = syncfs_of(path);
    lock.lock();
    g->flushing = false;
    g->covered = upto;
    if (!err.empty() && g->failure.empty()) {
      g->failed_from = from;
      g->failure = err;
    }
    g->cv.notify_all();
  }
  if (!g->failure.empty() && mine >= g->failed_from) return g->failure;
  return {};
}

std::optional<std::string> read_file(const fs::path& file) {
  // open/fstat/read: one copy, no stream (explain reads a blob for each big
  // record of thousands of runs).
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st;
  std::string out;
  // One byte more than the file, so that the read that meets its end needs no room.
  out.resize(::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 0);
  size_t have = 0;
  for (;;) {
    if (have == out.size()) out.resize(out.size() + 65536);  // grew, or size unknown
    const ssize_t n = ::read(fd, out.data() + have, out.size() - have);
    if (n > 0) have += static_cast<size_t>(n);
    else if (n < 0 && errno == EINTR) continue;
    else break;
  }
  ::close(fd);
  out.resize(have);
  return out;
}

std::string run_store::create_run_dir(const std::string& run_id) const {
  std::error_code ec;
  fs::create_directories(runs_dir(), ec);
  if (ec) return "cannot create " + runs_dir().string() + ": " + ec.message();
  auto dir = run_dir(run_id);
  if (::mkdir(dir.c_str(), 0755) != 0) return errno_text("cannot create " + dir.string());
  fs::create_directory(blobs_dir(dir), ec);
  if (!ec) fs::create_directory(artifacts_dir(dir), ec);
  if (ec) return "cannot create the run dir " + dir.string() + ": " + ec.message();
  return {};
}

bool run_store::run_exists(const std::string& run_id) const {
  if (run_id.empty() || run_id.find('/') != std::string::npos || run_id == "." || run_id == "..")
    return false;
  std::error_code ec;
  return fs::is_directory(run_dir(run_id), ec);
}

std::vector<std::string> run_store::list_runs() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (auto it = fs::directory_iterator(runs_dir(), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec)) ids.push_back(it->path().filename().string());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::optional<run_state> run_store::read_state(const fs::path& run_dir, std::string* error) {
  auto text = read_file(state_file(run_dir));
  if (!text) {
    if (error) *error = "cannot read " + state_file(run_dir).string();
    return std::nullopt;
  }
  try {
    // simdjson first (the same value; replay and explain read the state of
    // every run), nlohmann for the error text.
    json parsed;
    if (!messages::json_parse_fast(*text, parsed)) parsed = json::parse(*text);
    return parsed.get<run_state>();
  } catch (const std::exception& ex) {
    if (error) *error = state_file(run_dir).string() + " is not valid JSON: " + ex.what();
    return std::nullopt;
  }
}

std::string run_store::write_state(const fs::path& run_dir, const run_state& s, bool durable) {
  const std::string text = json(s).dump(2) + "\n";
  return durable ? write_file_atomic(state_file(run_dir), text)
                 : replace_file(state_file(run_dir), text, flush::none);
}

std::string run_store::commit_state(const fs::path& run_dir, const run_state& s) {
  // The log, blobs and artifacts written so far and the new state in one
  // flush; only then may state.json name the new head.
  return replace_file(state_file(run_dir), json(s).dump(2) + "\n", flush::filesystem);
}

std::string run_store::put_blob(const fs::path& run_dir, const std::string& bytes) {
  auto sha = codec::sha256_hex(bytes);
  auto file = blobs_dir(run_dir) / sha;
  // Already there (the same payload twice): kept only if it is whole. A
  // blob is not synced on its own, so one left by a power loss may be torn.
  if (auto have = read_file(file); have && have->size() == bytes.size() && codec::sha256_hex(*have) == sha)
    return sha;
  auto err = write_file_unsynced(file, bytes);
  if (!err.empty()) throw std::system_error(EIO, std::generic_category(), err);
  return sha;
}

std::optional<std::string> run_store::get_blob(const fs::path& run_dir, const std::string& sha) {
  return read_file(blobs_dir(run_dir) / sha);
}

std::optional<std::string> run_store::blob_text(const fs::path& run_dir, const json& payload,
                                                std::string& problem) {
  if (!payload.is_object() || payload.size() != 2 || !payload.contains("blob") ||
      !payload["blob"].is_string())
    return std::nullopt;
  const std::string sha = payload["blob"];
  auto bytes = get_blob(run_dir, sha);
  if (!bytes) problem = "blob " + sha + " is missing";
  else if (codec::sha256_hex(*bytes) != sha) problem = "blob " + sha + " does not match its digest";
  if (!problem.empty()) return std::nullopt;
  return bytes;
}

std::optional<std::string_view> run_store::blob_view(const fs::path& run_dir,
                                                     std::string_view sha, std::string& problem) {
  // Not a std::string: resizing one zero-fills it.
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t cap = 0;
  const fs::path file = blobs_dir(run_dir) / sha;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    problem = "blob " + std::string(sha) + " is missing";
    return std::nullopt;
  }
  struct stat st;
  // One byte more than the file, so that the read that meets its end needs no room.
  const size_t known = ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  const size_t want = known > 0 ? known + 1 : 65536;
  // Grown to fit; a big one left by an earlier large blob is given back.
  if (cap < want || (cap > (size_t{8} << 20) && want < cap / 4)) {
    buf.reset();
    buf.reset(new char[want]);
    cap = want;
  }
  size_t have = 0;
  for (;;) {
    // A blob never changes once written (its name is its digest): all of
    // the size fstat gave is all of it, no read to meet the end.
    if (known > 0 && have == known) break;
    if (have == cap) {  // grew, or size unknown
      std::unique_ptr<char[]> bigger(new char[cap + 65536]);
      std::memcpy(bigger.get(), buf.get(), have);
      buf = std::move(bigger);
      cap += 65536;
    }
    const ssize_t n = ::read(fd, buf.get() + have, cap - have);
    if (n > 0) have += static_cast<size_t>(n);
    else if (n < 0 && errno == EINTR) continue;
    else break;
  }
  ::close(fd);
  const std::string_view bytes(buf.get(), have);
  if (codec::sha256_hex(bytes) != sha) {
    problem = "blob " + std::string(sha) + " does not match its digest";
    return std::nullopt;
  }
  return bytes;
}

std::string run_store::resolve_blob(const fs::path& run_dir, json& payload) {
  std::string problem;
  auto text = blob_text(run_dir, payload, problem);
  if (!text) return problem;
  json resolved;
  if (!messages::json_parse_fast(*text, resolved))
    resolved = json::parse(*text, nullptr, false);
  if (resolved.is_discarded()) return "blob " + payload.value("blob", "") + " is not JSON";
  payload = std::move(resolved);
  return {};
}

run_lock::~run_lock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

run_lock::run_lock(run_lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

std::optional<run_lock> run_lock::try_acquire(const fs::path& run_dir, std::string* holder) {
  auto file = run_dir / "lock";
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (holder) *holder = errno_text("cannot open " + file.string());
    return std::nullopt;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (holder) {
      auto pid = read_file(file).value_or("");
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      *holder = pid.empty() ? "another process" : "process " + pid;
    }
    ::close(fd);
    return std::nullopt;
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] auto n = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return run_lock(fd);
}

bool run_lock::is_held(const fs::path& run_dir) {
  int fd = ::open((run_dir / "lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // closing releases a shared lock we may have taken
  return held;
}

}  // namespace casm::supervisor
