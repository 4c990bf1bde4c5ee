// The validator's effect: one allowlisted command run in the disposable
// worktree under bubblewrap, without a shell.
//
// What the sandbox is (DESIGN.md, Validation commands; notes-peers.md, CPOS
// sandbox): the host root read-only, fresh /dev, /proc and /tmp, the worktree
// the only writable place, no network, every namespace unshared, every
// capability dropped, no new privileges, a minimal environment that never
// carries API keys, rlimits (data 4 GiB, file size 1 GiB, no core), a
// timeout that kills the whole process tree, and output that is masked
// (policy::redact_text) and bounded before it leaves this function.
//
// run_validation_command() BLOCKS for up to timeout_seconds (+2 s): call it
// from a detached actor. It is thread-safe; it forks, so the caller's other
// threads must not hold locks the child needs (it only calls async-signal-safe
// functions between fork and exec).
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace casm::agents {

struct sandbox_spec {
  std::string command;                      // as written in the manifest, e.g. "npm test"
  std::vector<std::string> allow_commands;  // runtime.sandbox.allow_commands: exact match
  std::filesystem::path workdir;            // the worktree; the only writable place
  bool allow_network = false;
  // strict: without a working bubblewrap the command is not run
  // (sandbox_unavailable). permissive: it runs unsandboxed, marked
  // sandboxed=false, network=true.
  std::string mode = "strict";
  int timeout_seconds = 900;
  size_t max_output_bytes = 64 * 1024;
  // Merged over the minimal environment (PATH, HOME=workdir, TMPDIR=/tmp,
  // LANG=C.UTF-8, CI=true). A name that looks like a credential (*KEY*,
  // *TOKEN*, *SECRET*, *PASSWORD*, ...) or a value holding a secret is
  // dropped.
  std::map<std::string, std::string> extra_env;
  // Host paths hidden from the command (an empty tmpfs over a directory,
  // /dev/null over a file), e.g. $CASM_HOME. Missing paths are ignored.
  std::vector<std::filesystem::path> hidden_paths;
  // The bubblewrap binary; empty means `bwrap` on PATH. Tests point it
  // elsewhere to see the no-sandbox paths.
  std::string bwrap_program;
};

struct command_outcome {
  std::string command;  // masked (redact_text)
  // passed | failed | timed_out | refused | sandbox_unavailable
  std::string status;
  int exit_code = -1;  // 128+N when killed by signal N; -1 when not run
  double duration_s = 0;
  bool sandboxed = false;
  bool network = false;  // whether the command could reach a network
  // stdout and stderr interleaved, secrets masked, valid UTF-8. Over
  // max_output_bytes, the head and the tail are kept, cut at line ends, with
  // "[casm: output truncated: N bytes omitted]" between them.
  std::string output;
  bool truncated = false;
  std::string reason;        // one sentence, unless passed
  std::string failure_kind;  // "" | validation_command | sandbox_unavailable | policy_rejected
};

// True when `command` holds a byte a shell would interpret, or a control
// byte: ; & | < > ` $ ( ) { } [ ] * ? ! ~ # \ ' " and any byte below 0x20
// other than space and tab, or 0x7f. CASM never runs a shell, so such a
// command would not mean what it says.
bool has_shell_metacharacters(std::string_view command);

// `command` split on spaces and tabs. Callers refuse metacharacters first.
std::vector<std::string> split_command(std::string_view command);

// Whether `bwrap` (on PATH) can build the sandbox here: probed once with the
// same isolation flags as a real run, then cached.
bool bwrap_available();

// The bwrap argument vector for `spec` (without the program itself), up to
// and including "--". Exposed for tests and for the docs.
std::vector<std::string> bwrap_arguments(const sandbox_spec& spec,
                                         const std::filesystem::path& workdir);

// Runs spec.command if it is allowlisted and free of metacharacters. BLOCKING.
command_outcome run_validation_command(const sandbox_spec& spec);

}  // namespace casm::agents
