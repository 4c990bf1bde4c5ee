// The `casm` commands. Each returns the process exit code (DESIGN.md, Exit
// codes) and writes results to stdout, errors to stderr as one sentence.
#pragma once

#include <string>

namespace casm::runtime {

struct global_options {
  std::string home;  // --home
  std::string log_level = "warn";
};

struct run_options {
  std::string template_id = "noop";
  std::string repo;
  std::string head = "HEAD";
  std::string base;
  bool json = false;
};

struct run_ref_options {
  std::string run_id;
  bool json = false;
};

int cmd_run(const global_options& g, const run_options& o);
int cmd_explain(const global_options& g, const run_ref_options& o);
int cmd_verify_log(const global_options& g, const run_ref_options& o);
int cmd_runs(const global_options& g, bool json);
int cmd_doctor(const global_options& g, bool json);

// "casm: error: <sentence>" on stderr.
void print_error(const std::string& sentence);

}  // namespace casm::runtime
