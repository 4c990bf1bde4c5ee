// The run store: $CASM_HOME/runs/<run_id>/{events.jsonl,state.json,blobs/,
// artifacts/} and the one-writer lock of each run.
//
// Several casm processes may share one $CASM_HOME: run dirs are created
// exclusively, state.json is replaced atomically, and a process that drives a
// run holds an exclusive flock on it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace casm::supervisor {

namespace fs = std::filesystem;

// state.json. The head (seq, hash) is updated at every sync point, so a log
// cut short is detectable.
struct run_state {
  std::string run_id;
  std::string status;  // a run_status name
  std::string template_id;
  std::string repo;    // bytes, as given
  std::string created_at;
  std::string updated_at;
  uint64_t head_seq = 0;
  std::string head_hash;
  int exit_code = -1;  // -1 while running
  std::string reason;
  std::string failure_kind;
  int64_t pid = 0;     // the last process that drove the run (information only)
};

void to_json(nlohmann::json& j, const run_state& s);
void from_json(const nlohmann::json& j, run_state& s);

// Writes `bytes` to `file` atomically: temp file, fsync, rename, fsync dir.
// Returns an empty string on success, else the error.
std::string write_file_atomic(const fs::path& file, const std::string& bytes);

// Without any fsync: durable only after a later sync_filesystem(), the run's
// next durable point (commit_state). A new file is written in place; an
// existing one is replaced (temp file, rename), so it is never seen half
// replaced. A SIGKILL during the write of a new file may leave it partial,
// but no record names it yet: a blob is named only once put_blob returned,
// an artifact only in the record of the stage that wrote it, and a resume
// redoes that stage, which replaces the file. Blobs and artifacts are
// written so; a record that names one and lies past the durable head is
// checked against it on resume (runtime/run_records.h, lost tail).
std::string write_file_unsynced(const fs::path& file, const std::string& bytes);

// Makes everything written so far to the filesystem holding `path` durable
// (syncfs: one flush for a batch of files instead of an fsync and a
// directory fsync per file). Group commit: callers that arrive while a
// flush runs share the next one, so the runs of a fleet finishing together
// pay for one. Returns an empty string on success, else the error.
std::string sync_filesystem(const fs::path& path);

// Reads a whole file; nullopt if it cannot be read.
std::optional<std::string> read_file(const fs::path& file);

class run_store {
public:
  explicit run_store(fs::path home) : home_(std::move(home)) {}

  const fs::path& home() const { return home_; }
  fs::path runs_dir() const { return home_ / "runs"; }
  fs::path run_dir(const std::string& run_id) const { return runs_dir() / run_id; }
  static fs::path log_file(const fs::path& run_dir) { return run_dir / "events.jsonl"; }
  static fs::path state_file(const fs::path& run_dir) { return run_dir / "state.json"; }
  static fs::path blobs_dir(const fs::path& run_dir) { return run_dir / "blobs"; }
  static fs::path artifacts_dir(const fs::path& run_dir) { return run_dir / "artifacts"; }

  // Creates runs/<id>/ with blobs/ and artifacts/. Fails if it exists.
  std::string create_run_dir(const std::string& run_id) const;

  bool run_exists(const std::string& run_id) const;

  // Run ids, sorted (ULIDs sort by start time).
  std::vector<std::string> list_runs() const;

  static std::optional<run_state> read_state(const fs::path& run_dir, std::string* error);
  // Replaces state.json: temp file, fsync, rename, fsync dir. `durable`
  // false skips the syncs (a new run's first state: nothing it names needs
  // to survive a power cut until the run's first durable point).
  static std::string write_state(const fs::path& run_dir, const run_state& s, bool durable = true);
  // A durable point: everything written to the run so far (log, blobs,
  // artifacts) and then the new state.json are durable when it returns. One
  // group-committed sync_filesystem() plus a directory fsync for the rename.
  static std::string commit_state(const fs::path& run_dir, const run_state& s);

  // Stores `bytes` as blobs/<sha256> (content-addressed; idempotent), not
  // synced: the next durable point makes it durable with the record that
  // names it. Returns the digest, or throws std::system_error.
  static std::string put_blob(const fs::path& run_dir, const std::string& bytes);
  static std::optional<std::string> get_blob(const fs::path& run_dir, const std::string& sha);

  // The text of the blob a payload refers to ({"blob": sha, "bytes": n}),
  // checked against its name. nullopt with `problem` empty: `payload` is no
  // blob reference. nullopt with `problem` set: missing or changed.
  static std::optional<std::string> blob_text(const fs::path& run_dir,
                                              const nlohmann::json& payload,
                                              std::string& problem);
  // The text of blob `sha` (a reference already taken apart), checked
  // against its name, in a buffer of the thread's that the next call reuses
  // (replay reads two or three blobs per run, of thousands of runs);
  // nullopt with `problem` set when missing or changed.
  static std::optional<std::string_view> blob_view(const fs::path& run_dir, std::string_view sha,
                                                   std::string& problem);
  // Replaces a blob reference by the parsed blob; returns the problem or "".
  static std::string resolve_blob(const fs::path& run_dir, nlohmann::json& payload);

private:
  fs::path home_;
};

// The exclusive lock of a run dir (flock on runs/<id>/lock). Released when
// destroyed or when the process dies, so a crashed run has no holder.
class run_lock {
public:
  ~run_lock();
  run_lock(run_lock&& other) noexcept;
  run_lock& operator=(run_lock&&) = delete;
  run_lock(const run_lock&) = delete;

  // Takes the lock without waiting. On failure `holder` says who holds it
  // (the pid written in the lock file) or why it could not be taken.
  static std::optional<run_lock> try_acquire(const fs::path& run_dir, std::string* holder);

  // True if a live process holds the lock. Never creates or modifies files.
  static bool is_held(const fs::path& run_dir);

private:
  explicit run_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace casm::supervisor
