#include "runtime/cli.h"

int main(int argc, char** argv) { return casm::runtime::run_cli(argc, argv); }
