// Integration harness: real git repositories in temp dirs, the real `casm`
// binary, its exit code and output.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace casm::itest {

namespace fs = std::filesystem;

struct result {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs argv (no shell) with extra environment; waits for it.
result run_process(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env = {},
                   const fs::path& cwd = {});

class temp_dir {
public:
  explicit temp_dir(const std::string& prefix = "casm-it");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& s) const { return path_ / s; }

private:
  fs::path path_;
};

// A git repository built with the git CLI, with fixed author and dates so
// commit ids are the same on every machine.
class git_repo {
public:
  explicit git_repo(fs::path dir, bool init = true);
  const fs::path& path() const { return dir_; }
  void write(const std::string& rel, const std::string& bytes);
  std::string commit(const std::string& message);  // git add -A; returns the commit id
  result git(const std::vector<std::string>& args) const;

private:
  fs::path dir_;
  int commits_ = 0;
};

// A process left running (a fleet to interrupt, a node to kill): its output
// goes to files. Only this process is ever signalled, by its pid; the
// destructor SIGKILLs and reaps it if it is still running.
class child_process {
public:
  child_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                fs::path out_file, fs::path err_file);
  ~child_process();
  child_process(const child_process&) = delete;
  int pid() const { return pid_; }
  void signal(int sig);
  int wait();  // the exit code (128 + signal when killed)
  bool running();
  // Waits (bounded) until `needle` appears in its stdout (or stderr).
  bool wait_for(const std::string& needle, int max_seconds, bool in_stderr = false);
  std::string out() const;
  std::string err() const;

private:
  int pid_ = -1;
  int code_ = -1;
  fs::path out_, err_;
};

// Runs the casm binary with CASM_HOME=home (over any variables in `env`).
result casm(const fs::path& home, const std::vector<std::string>& args,
            std::map<std::string, std::string> env = {});

std::string slurp(const fs::path& p);
void spit(const fs::path& p, const std::string& bytes);

// The run id from a "run_id: <id>" line of `casm run` output.
std::string run_id_of(const std::string& out);

// Every line of a file.
std::vector<std::string> lines_of(const fs::path& p);

// `doc` is valid under the JSON Schema (draft 2020-12) at `schema`, checked
// with Debian's python3-jsonschema, formats included; a failure lists every
// violation.
testing::AssertionResult valid_under_schema(const fs::path& schema, const fs::path& doc);

// A shipped schema: docs/schemas/<name>.schema.json.
fs::path shipped_schema(const std::string& name);

}  // namespace casm::itest
