#include "tests/integration/harness.h"

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace casm::itest {

namespace {

// `argv` and this process's environment with `env` over it, as execvpe()
// wants them. Built before fork(): the child only execs.
class exec_vectors {
public:
  exec_vectors(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env)
      : argv_(argv) {
    std::map<std::string, std::string> merged;
    for (char** e = environ; *e; ++e) {
      std::string kv(*e);
      auto eq = kv.find('=');
      if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : env) merged[k] = v;
    for (const auto& [k, v] : merged) env_.push_back(k + "=" + v);
    for (auto& s : env_) envp_.push_back(s.data());
    envp_.push_back(nullptr);
    for (auto& a : argv_) args_.push_back(a.data());
    args_.push_back(nullptr);
  }
  exec_vectors(const exec_vectors&) = delete;
  char* const* args() { return args_.data(); }
  char* const* envp() { return envp_.data(); }

private:
  std::vector<std::string> argv_, env_;
  std::vector<char*> args_, envp_;
};

}  // namespace


result run_process(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env, const fs::path& cwd) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe");
  exec_vectors ev(argv, env);

  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    execvpe(ev.args()[0], ev.args(), ev.envp());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  result r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

child_process::child_process(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& env, fs::path out_file,
                             fs::path err_file)
    : out_(std::move(out_file)), err_(std::move(err_file)) {
  exec_vectors ev(argv, env);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    int o = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int devnull = open("/dev/null", O_RDONLY);
    if (o < 0 || e < 0 || devnull < 0) _exit(127);
    dup2(o, 1);
    dup2(e, 2);
    dup2(devnull, 0);
    execvpe(ev.args()[0], ev.args(), ev.envp());
    _exit(127);
  }
}

child_process::~child_process() {
  if (pid_ > 0 && code_ < 0) {
    kill(pid_, SIGKILL);
    wait();
  }
}

void child_process::signal(int sig) {
  if (pid_ > 0 && code_ < 0) kill(pid_, sig);
}

int child_process::wait() {
  if (code_ >= 0) return code_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return code_;
}

bool child_process::running() {
  if (code_ >= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

bool child_process::wait_for(const std::string& needle, int max_seconds, bool in_stderr) {
  for (int i = 0; i < max_seconds * 20; ++i) {
    if ((in_stderr ? err() : out()).find(needle) != std::string::npos) return true;
    if (!running()) return (in_stderr ? err() : out()).find(needle) != std::string::npos;
    usleep(50 * 1000);
  }
  return false;
}

std::string child_process::out() const { return slurp(out_); }
std::string child_process::err() const { return slurp(err_); }

temp_dir::temp_dir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {
const std::map<std::string, std::string>& git_env() {
  static const std::map<std::string, std::string> env = {
    {"GIT_AUTHOR_NAME", "CASM Test"},        {"GIT_AUTHOR_EMAIL", "test@casm.invalid"},
    {"GIT_COMMITTER_NAME", "CASM Test"},     {"GIT_COMMITTER_EMAIL", "test@casm.invalid"},
    {"GIT_CONFIG_NOSYSTEM", "1"},            {"GIT_CONFIG_GLOBAL", "/dev/null"},
  };
  return env;
}
}  // namespace

git_repo::git_repo(fs::path dir, bool init) : dir_(std::move(dir)) {
  fs::create_directories(dir_);
  if (init) {
    auto r = git({"init", "-q", "-b", "main", "."});
    if (r.code != 0) throw std::runtime_error("git init failed: " + r.err);
  }
}

result git_repo::git(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"git", "-C", dir_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto env = git_env();
  return run_process(argv, env);
}

void git_repo::write(const std::string& rel, const std::string& bytes) {
  auto p = dir_ / rel;
  fs::create_directories(p.parent_path());
  spit(p, bytes);
}

std::string git_repo::commit(const std::string& message) {
  ++commits_;
  auto env = git_env();
  // Fixed dates make commit ids reproducible.
  std::string date = "2026-01-0" + std::to_string(1 + commits_ % 9) + "T12:00:00Z";
  env["GIT_AUTHOR_DATE"] = date;
  env["GIT_COMMITTER_DATE"] = date;
  auto add = run_process({"git", "-C", dir_.string(), "add", "-A"}, env);
  if (add.code != 0) throw std::runtime_error("git add failed: " + add.err);
  auto c = run_process({"git", "-C", dir_.string(), "commit", "-q", "--allow-empty", "-m", message},
                       env);
  if (c.code != 0) throw std::runtime_error("git commit failed: " + c.err);
  auto head = git({"rev-parse", "HEAD"});
  std::string id = head.out;
  while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
  return id;
}

result casm(const fs::path& home, const std::vector<std::string>& args,
            std::map<std::string, std::string> env) {
  std::vector<std::string> argv = {CASM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  env["CASM_HOME"] = home.string();
  return run_process(argv, env);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string run_id_of(const std::string& out) {
  auto pos = out.find("run_id: ");
  if (pos == std::string::npos) return {};
  return out.substr(pos + 8, 26);
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::vector<std::string> lines;
  std::string all = slurp(p), cur;
  std::istringstream in(all);
  while (std::getline(in, cur)) lines.push_back(cur);
  return lines;
}

testing::AssertionResult valid_under_schema(const fs::path& schema, const fs::path& doc) {
  const std::string script =
    "import jsonschema,json,sys\n"
    "schema=json.load(open(sys.argv[1]))\n"
    "jsonschema.Draft202012Validator.check_schema(schema)\n"
    "v=jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())\n"
    "errors=list(v.iter_errors(json.load(open(sys.argv[2]))))\n"
    "for e in errors: print(list(e.absolute_path), e.message)\n"
    "sys.exit(1 if errors else 0)\n";
  auto r = run_process({"/usr/bin/python3", "-c", script, schema.string(), doc.string()});
  if (r.code == 0) return testing::AssertionSuccess();
  return testing::AssertionFailure() << doc << ": exit " << r.code << "\n" << r.out << r.err;
}

fs::path shipped_schema(const std::string& name) {
  return fs::path(CASM_SOURCE_DIR) / "docs" / "schemas" / (name + ".schema.json");
}

}  // namespace casm::itest
