// The built-in scanner, loaded from an on-disk cache of its serialized
// Hyperscan database when one fits (DESIGN.md, Speed notes): compiling the
// pack costs ~30 ms, as much as scanning all of /usr/include, while
// deserializing costs well under 1 ms.
//
// The cache file is `hs-<pack hash>.db` in cache_dir(). A file for another
// pack, another Hyperscan or another CPU fails to deserialize; the pack is
// then compiled and the file rewritten (via rename, so readers never see
// half a file). Any cache I/O error only costs the compile.
#pragma once

#include <filesystem>
#include <string>

#include "policy/scanner.h"
#include "runtime/commands.h"

namespace casm::runtime {

// `<home>/cache` when --home or $CASM_HOME is set; else
// `$XDG_CACHE_HOME/casm`, else `$HOME/.cache/casm`; empty when none is
// known. Never the default ./.casm: `casm scan .` must not write into the
// tree it scans.
std::filesystem::path cache_dir(const global_options& g);

const policy::scanner& builtin_scanner(const global_options& g);

}  // namespace casm::runtime
