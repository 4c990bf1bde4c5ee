// The `casm` command line (CLI11).
#pragma once

namespace casm::runtime {

int run_cli(int argc, char** argv);

}  // namespace casm::runtime
