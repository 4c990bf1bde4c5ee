#include "actors/agents/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "messages/codec/json_text.h"
#include "policy/redaction.h"

namespace casm::agents {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

constexpr const char* default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr std::string_view metacharacters = ";&|<>`$(){}[]*?!~#\\'\"";
// Between SIGTERM and SIGKILL on timeout.
constexpr auto kill_grace = std::chrono::seconds(2);
// How long output is still drained after the process is reaped: a descendant
// that escaped the process group (unsandboxed only) may keep the pipe open.
constexpr auto drain_grace = std::chrono::milliseconds(500);

constexpr rlim_t data_limit = rlim_t{4}
                              << 30;  // not RLIMIT_AS: V8's WebAssembly reservations exceed it
constexpr rlim_t file_size_limit = rlim_t{1} << 30;

std::string masked_quote(std::string_view bytes) { return "'" + policy::redact_text(bytes) + "'"; }

std::string host_path() {
  const char* p = std::getenv("PATH");
  return p && *p ? p : default_path;
}

// `name` resolved like execvp would, against `path_list`; "" when not found.
// A name with a '/' is taken relative to `cwd`.
std::string find_program(const std::string& name, const std::string& path_list,
                         const fs::path& cwd) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) {
    fs::path p = name[0] == '/' ? fs::path(name) : cwd / name;
    return ::access(p.c_str(), X_OK) == 0 ? p.string() : "";
  }
  size_t start = 0;
  while (start <= path_list.size()) {
    size_t end = path_list.find(':', start);
    if (end == std::string::npos) end = path_list.size();
    std::string dir = path_list.substr(start, end - start);
    if (dir.empty()) dir = ".";
    fs::path candidate = fs::path(dir) / name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
    start = end + 1;
  }
  return "";
}

bool looks_like_credential_name(std::string name) {
  for (auto& c : name)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (const char* word : {"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"})
    if (name.find(word) != std::string::npos) return true;
  return false;
}

std::vector<std::string> sandbox_environment(const sandbox_spec& spec, const fs::path& workdir) {
  std::map<std::string, std::string> env{
      {"PATH", host_path()}, {"HOME", workdir.string()}, {"TMPDIR", "/tmp"}, {"LANG", "C.UTF-8"},
      {"CI", "true"},
  };
  for (const auto& [name, value] : spec.extra_env) {
    if (name.empty() || name.find('=') != std::string::npos ||
        name.find('\0') != std::string::npos || value.find('\0') != std::string::npos)
      continue;
    if (looks_like_credential_name(name)) continue;
    if (policy::redact_text(value) != codec::display_text(value)) continue;
    env[name] = value;
  }
  std::vector<std::string> out;
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

// The flags shared by a real run and the probe.
std::vector<std::string> isolation_arguments(bool allow_network,
                                             const std::vector<fs::path>& hidden) {
  std::vector<std::string> a{"--die-with-parent", "--new-session", "--unshare-all"};
  if (allow_network) a.push_back("--share-net");
  a.insert(a.end(), {"--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                     "--tmpfs", "/tmp"});
  for (const auto& h : hidden) {
    std::error_code ec;
    fs::path p = fs::canonical(h, ec);
    if (ec || p == "/") continue;
    if (fs::is_directory(p, ec))
      a.insert(a.end(), {"--tmpfs", p.string()});
    else
      a.insert(a.end(), {"--ro-bind", "/dev/null", p.string()});
  }
  return a;
}

// Keeps at most `limit` bytes of a stream: all of it when it fits, else its
// first and last halves.
class output_capture {
public:
  explicit output_capture(size_t limit)
      : limit_(std::max<size_t>(limit, 2)),
        head_keep_(limit_ / 2),
        tail_keep_(limit_ - head_keep_) {}

  void append(const char* p, size_t n) {
    total_ += n;
    if (!over_) {
      head_.append(p, n);
      if (head_.size() <= limit_) return;
      over_ = true;
      tail_ = head_.substr(head_.size() - tail_keep_);
      head_.resize(head_keep_);
      return;
    }
    tail_.append(p, n);
    if (tail_.size() > 2 * tail_keep_) tail_.erase(0, tail_.size() - tail_keep_);
  }

  // The masked text and whether anything was left out.
  std::string finish(bool* truncated) const {
    if (!over_) {
      std::string all = policy::redact_text(head_);
      if (all.size() <= limit_) {
        *truncated = false;
        return all;
      }
      // Masking or escaping made it longer; it holds no secret any more, so
      // it may be cut anywhere safe for display.
      std::string head = cut_head(all.substr(0, head_keep_));
      std::string tail =
          cut_tail(all.substr(all.size() - tail_keep_), all[all.size() - tail_keep_ - 1]);
      *truncated = true;
      return join(head, all.size() - head.size() - tail.size(), tail);
    }
    // Cut the raw bytes at line ends (or token ends) BEFORE masking, so a cut
    // never splits a secret into a prefix the rules no longer recognise.
    const size_t tail_from = tail_.size() - std::min(tail_.size(), tail_keep_);
    const char before = tail_from > 0 ? tail_[tail_from - 1] : ' ';
    std::string raw_head = cut_head(head_);
    std::string raw_tail = cut_tail(tail_.substr(tail_from), before);
    uint64_t omitted = total_ - raw_head.size() - raw_tail.size();
    std::string head = policy::redact_text(raw_head);
    std::string tail = policy::redact_text(raw_tail);
    if (head.size() > head_keep_) {
      std::string h = cut_head(head.substr(0, head_keep_));
      omitted += head.size() - h.size();
      head = std::move(h);
    }
    if (tail.size() > tail_keep_) {
      std::string t =
          cut_tail(tail.substr(tail.size() - tail_keep_), tail[tail.size() - tail_keep_ - 1]);
      omitted += tail.size() - t.size();
      tail = std::move(t);
    }
    *truncated = true;
    return join(head, omitted, tail);
  }

private:
  static bool blank(char c) { return c == ' ' || c == '\t'; }

  // `s` up to its last line end; else up to its last blank; else nothing.
  static std::string cut_head(const std::string& s) {
    size_t nl = s.rfind('\n');
    if (nl != std::string::npos) return s.substr(0, nl + 1);
    for (size_t i = s.size(); i > 0; --i)
      if (blank(s[i - 1])) return s.substr(0, i);
    return "";
  }

  // `s` from after its first line end (unless `before`, the byte preceding
  // it in the stream, already ends a line); else from its first blank.
  static std::string cut_tail(const std::string& s, char before) {
    if (before == '\n') return s;
    size_t nl = s.find('\n');
    if (nl != std::string::npos) return s.substr(nl + 1);
    for (size_t i = 0; i < s.size(); ++i)
      if (blank(s[i])) return s.substr(i);
    return "";
  }

  static std::string join(std::string head, uint64_t omitted, const std::string& tail) {
    if (!head.empty() && head.back() != '\n') head += '\n';
    head += "[casm: output truncated: " + std::to_string(omitted) + " bytes omitted]\n";
    head += tail;
    return head;
  }

  size_t limit_, head_keep_, tail_keep_;
  std::string head_, tail_;
  uint64_t total_ = 0;
  bool over_ = false;
};

struct process_result {
  bool started = false;
  int start_errno = 0;
  int wait_status = 0;
  bool timed_out = false;
  double duration_s = 0;
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// In the child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(const char* program, char* const argv[], char* const envp[],
                             const char* cwd, int devnull, int out_fd, int err_pipe) {
  ::setpgid(0, 0);
  ::dup2(devnull, 0);
  ::dup2(out_fd, 1);
  ::dup2(out_fd, 2);
  // A disposition of SIG_IGN survives exec (a parent ignoring SIGPIPE would
  // make `yes | head` spin); handlers are reset first, then unblocked.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct rlimit rl;
  rl.rlim_cur = rl.rlim_max = data_limit;
  ::setrlimit(RLIMIT_DATA, &rl);
  rl.rlim_cur = rl.rlim_max = file_size_limit;
  ::setrlimit(RLIMIT_FSIZE, &rl);
  rl.rlim_cur = rl.rlim_max = 0;
  ::setrlimit(RLIMIT_CORE, &rl);
  int err = 0;
  if (cwd && ::chdir(cwd) != 0) err = errno;
  if (err == 0) {
    // Descriptors other threads opened without O_CLOEXEC (a run lock, a log)
    // must not reach the command. Everything above 2 goes, but the error pipe
    // (itself close-on-exec).
    if (err_pipe > 3) ::syscall(SYS_close_range, 3u, static_cast<unsigned>(err_pipe - 1), 0u);
    if (::syscall(SYS_close_range, static_cast<unsigned>(err_pipe + 1), ~0u, 0u) != 0) {
      for (int fd = err_pipe + 1; fd < 65536; ++fd) ::close(fd);
      for (int fd = 3; fd < err_pipe; ++fd) ::close(fd);
    }
    ::execve(program, argv, envp);
    err = errno;
  }
  ssize_t ignored = ::write(err_pipe, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

// Runs `program` with `argv` and `env` in its own process group, feeding its
// merged stdout/stderr to `capture` (or /dev/null), killing the group at
// `timeout`. Never blocks past timeout + kill_grace + drain_grace, unless the
// kernel cannot reap a SIGKILLed process.
process_result run_process(const std::string& program, const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, const fs::path& cwd,
                           std::chrono::milliseconds timeout, output_capture* capture) {
  process_result r;
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  const std::string cwd_text = cwd.string();

  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int out[2] = {-1, -1}, errp[2] = {-1, -1};
  if (devnull < 0 || (capture && ::pipe2(out, O_CLOEXEC) != 0) || ::pipe2(errp, O_CLOEXEC) != 0) {
    r.start_errno = errno;
    close_fd(devnull);
    close_fd(out[0]);
    close_fd(out[1]);
    return r;
  }
  const int child_out = capture ? out[1] : devnull;
  const auto started = clock_type::now();
  pid_t pid = ::fork();
  if (pid == 0)
    exec_child(program.c_str(), cargv.data(), cenv.data(),
               cwd_text.empty() ? nullptr : cwd_text.c_str(), devnull, child_out, errp[1]);
  const int fork_errno = errno;
  close_fd(devnull);
  close_fd(out[1]);
  close_fd(errp[1]);
  if (pid < 0) {
    r.start_errno = fork_errno;
    close_fd(out[0]);
    close_fd(errp[0]);
    return r;
  }
  ::setpgid(pid, pid);  // also in the child: whichever runs first

  int child_errno = 0;
  ssize_t n;
  do n = ::read(errp[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close_fd(errp[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    close_fd(out[0]);
    r.start_errno = child_errno;
    return r;
  }
  r.started = true;

  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (out[0] >= 0) ::fcntl(out[0], F_SETFL, ::fcntl(out[0], F_GETFL) | O_NONBLOCK);
  char buf[65536];
  auto read_available = [&]() {
    while (out[0] >= 0) {
      ssize_t got = ::read(out[0], buf, sizeof buf);
      if (got > 0) {
        capture->append(buf, static_cast<size_t>(got));
        continue;
      }
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      close_fd(out[0]);  // EOF or error
    }
  };

  enum class phase { running, terminating, killed } ph = phase::running;
  const auto deadline = started + timeout;
  auto kill_at = clock_type::time_point::max();
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    auto now = clock_type::now();
    if (ph == phase::running && now >= deadline) {
      ::kill(-pid, SIGTERM);
      r.timed_out = true;
      ph = phase::terminating;
      kill_at = now + kill_grace;
    }
    if (ph == phase::terminating && now >= kill_at) {
      ::kill(-pid, SIGKILL);
      ph = phase::killed;
    }
    auto wake = ph == phase::running       ? deadline
                : ph == phase::terminating ? kill_at
                                           : now + std::chrono::milliseconds(100);
    // Without a pidfd an exit is only seen by polling waitpid.
    if (pidfd < 0) wake = std::min(wake, now + std::chrono::milliseconds(20));
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
    pollfd fds[2];
    nfds_t nfds = 0;
    if (out[0] >= 0) fds[nfds++] = {out[0], POLLIN, 0};
    if (pidfd >= 0) fds[nfds++] = {pidfd, POLLIN, 0};
    ::poll(fds, nfds, static_cast<int>(std::clamp<long long>(wait_ms + 1, 0, 1000)));
    read_available();
  }
  r.duration_s = std::chrono::duration<double>(clock_type::now() - started).count();
  r.wait_status = status;
  close_fd(pidfd);
  // Whatever is left of the group (unsandboxed runs) goes with its leader.
  ::kill(-pid, SIGKILL);
  const auto drain_until = clock_type::now() + drain_grace;
  while (out[0] >= 0) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(drain_until - clock_type::now())
            .count();
    if (left <= 0) break;
    pollfd fd{out[0], POLLIN, 0};
    ::poll(&fd, 1, static_cast<int>(left));
    read_available();
  }
  close_fd(out[0]);
  return r;
}

bool probe(const std::string& bwrap) {
  std::vector<std::string> argv{bwrap};
  auto iso = isolation_arguments(false, {});
  argv.insert(argv.end(), iso.begin(), iso.end());
  argv.insert(argv.end(), {"--chdir", "/", "--", "true"});
  std::vector<std::string> env{"PATH=" + host_path(), "LANG=C.UTF-8"};
  process_result r = run_process(bwrap, argv, env, "/", std::chrono::seconds(10), nullptr);
  return r.started && !r.timed_out && WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) == 0;
}

// The resolved bwrap binary when it can build a sandbox here, else "".
// Probed once per program.
std::string usable_bwrap(const std::string& program) {
  static std::mutex mu;
  static std::map<std::string, std::string> cache;
  const std::string name = program.empty() ? "bwrap" : program;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  std::string path = find_program(name, host_path(), "/");
  if (!path.empty() && !probe(path)) path.clear();
  cache[name] = path;
  return path;
}

// The index of the first byte a shell would interpret, or npos.
size_t first_metacharacter(std::string_view command) {
  for (size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != ' ' && c != '\t') || u == 0x7f) return i;
    if (metacharacters.find(c) != std::string_view::npos) return i;
  }
  return std::string_view::npos;
}

std::string describe_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", u);
    return std::string("the control byte ") + hex;
  }
  return std::string("the shell metacharacter '") + c + "'";
}

}  // namespace

bool has_shell_metacharacters(std::string_view command) {
  return first_metacharacter(command) != std::string_view::npos;
}

std::vector<std::string> split_command(std::string_view command) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < command.size()) {
    while (i < command.size() && (command[i] == ' ' || command[i] == '\t')) ++i;
    size_t j = i;
    while (j < command.size() && command[j] != ' ' && command[j] != '\t') ++j;
    if (j > i) out.emplace_back(command.substr(i, j - i));
    i = j;
  }
  return out;
}

bool bwrap_available() { return !usable_bwrap("").empty(); }

std::vector<std::string> bwrap_arguments(const sandbox_spec& spec, const fs::path& workdir) {
  std::vector<std::string> a = isolation_arguments(spec.allow_network, spec.hidden_paths);
  a.insert(a.end(),
           {"--bind", workdir.string(), workdir.string(), "--chdir", workdir.string(), "--"});
  return a;
}

command_outcome run_validation_command(const sandbox_spec& spec) {
  command_outcome o;
  o.command = policy::redact_text(spec.command);
  const std::string shown = "'" + o.command + "'";
  auto stop = [&](std::string status, std::string kind, std::string reason) {
    o.status = std::move(status);
    o.failure_kind = std::move(kind);
    o.reason = std::move(reason);
    return o;
  };

  if (split_command(spec.command).empty())
    return stop("refused", "policy_rejected",
                "the validation command is empty, so nothing was run");
  if (size_t at = first_metacharacter(spec.command); at != std::string_view::npos)
    return stop("refused", "policy_rejected",
                "the command " + shown + " contains " + describe_byte(spec.command[at]) +
                    " and CASM runs commands without a shell, so it was not run");
  if (std::find(spec.allow_commands.begin(), spec.allow_commands.end(), spec.command) ==
      spec.allow_commands.end())
    return stop("refused", "policy_rejected",
                "the command " + shown +
                    " is not in runtime.sandbox.allow_commands (an exact match is required), so "
                    "it was not run");
  if (spec.mode != "strict" && spec.mode != "permissive")
    return stop("refused", "policy_rejected",
                "runtime.sandbox.mode " + masked_quote(spec.mode) +
                    " is neither strict nor permissive, so " + shown + " was not run");

  std::error_code ec;
  const fs::path workdir = fs::canonical(spec.workdir, ec);
  if (ec || !fs::is_directory(workdir, ec))
    return stop("sandbox_unavailable", "sandbox_unavailable",
                "the worktree " + masked_quote(spec.workdir.string()) +
                    " is not a directory, so the sandbox for " + shown + " cannot be built");

  const std::string bwrap = usable_bwrap(spec.bwrap_program);
  if (bwrap.empty() && spec.mode == "strict")
    return stop("sandbox_unavailable", "sandbox_unavailable",
                "bubblewrap (bwrap) cannot build a sandbox on this machine and "
                "runtime.sandbox.mode is strict, so " +
                    shown + " was not run");

  const std::vector<std::string> words = split_command(spec.command);
  const std::vector<std::string> env = sandbox_environment(spec, workdir);
  std::string path_list = host_path();
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) path_list = e.substr(5);
  if (find_program(words[0], path_list, workdir).empty()) {
    o.exit_code = 127;
    return stop("failed", "validation_command",
                "the program " + masked_quote(words[0]) + " of " + shown +
                    " was not found on PATH or in the worktree");
  }

  std::string program;
  std::vector<std::string> argv;
  if (!bwrap.empty()) {
    program = bwrap;
    argv.push_back(bwrap);
    auto args = bwrap_arguments(spec, workdir);
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), words.begin(), words.end());
    o.sandboxed = true;
    o.network = spec.allow_network;
  } else {
    program = find_program(words[0], path_list, workdir);
    argv = words;
    o.sandboxed = false;
    o.network = true;
  }

  output_capture capture(spec.max_output_bytes);
  const auto timeout = std::chrono::seconds(std::max(1, spec.timeout_seconds));
  process_result r = run_process(program, argv, env, workdir, timeout, &capture);
  o.duration_s = r.duration_s;
  o.output = capture.finish(&o.truncated);
  if (!r.started)
    return stop("failed", "validation_command",
                "the command " + shown + " could not be started: " + std::strerror(r.start_errno));
  if (WIFEXITED(r.wait_status))
    o.exit_code = WEXITSTATUS(r.wait_status);
  else if (WIFSIGNALED(r.wait_status))
    o.exit_code = 128 + WTERMSIG(r.wait_status);
  if (r.timed_out)
    return stop("timed_out", "validation_command",
                "the command " + shown + " ran longer than " + std::to_string(timeout.count()) +
                    " s and was killed");
  if (o.exit_code == 0) {
    o.status = "passed";
    return o;
  }
  if (WIFSIGNALED(r.wait_status))
    return stop("failed", "validation_command",
                "the command " + shown + " was killed by signal " +
                    std::to_string(WTERMSIG(r.wait_status)));
  return stop("failed", "validation_command",
              "the command " + shown + " exited with code " + std::to_string(o.exit_code));
}

}  // namespace casm::agents
