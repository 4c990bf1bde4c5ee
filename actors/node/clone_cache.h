// A cache of bare clones, keyed by URL, for repositories named by git URL:
// the origin clones a `--repos` line that is a URL before its run, and a
// node that cannot (or, with --clone-only, may not) open the origin's path
// fetches the repository into its own cache. Objects are content-addressed,
// so a clone that holds the pinned blobs scans exactly what the origin
// pinned; a shard whose blobs cannot be found even after a fetch fails, and
// the origin re-runs it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace casm::node {

// https://, ssh://, git://, file:// or scp-like user@host:path.
bool is_git_url(const std::string& text);

// Makes sure `cache`/<sha256(url)>.git is a bare clone of `url` holding every
// object in `oids` (hex): cloned if absent, fetched if an object is missing.
// Serialized per URL with a lock file, so two workers never clone at once.
// Returns the clone's path, or "" with `error` set. Blocks (network, disk).
std::string ensure_clone(const std::filesystem::path& cache, const std::string& url,
                         const std::vector<std::string>& oids, std::string& error,
                         bool* fetched = nullptr);

}  // namespace casm::node
