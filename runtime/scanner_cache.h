// The on-disk cache of compiled Hyperscan rule packs (DESIGN.md, Speed
// notes): compiling the built-in pack costs ~30 ms, as much as scanning all
// of /usr/include, and a ruleset's diff-heuristics pack ~20 ms, while
// deserializing either costs well under 1 ms.
//
// One file per pack, `hs-<pack hash>.db` in cache_dir(). A file for another
// pack, another Hyperscan or another CPU fails to deserialize; the pack is
// then compiled and the file rewritten atomically (readers never see half a
// file). Any cache I/O error only costs the compile.
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

// Makes every policy::scanner::for_pack() of this process load from and
// save to cache_dir(g). Call once, before the first scanner is built.
void install_scanner_cache(const global_options& g);

}  // namespace casm::runtime
