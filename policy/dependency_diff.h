// Dependency changes between two versions of a manifest or lockfile: new
// dependencies, removed ones, major and minor version changes, and changed
// lockfiles. Pure: the caller passes both texts (policy/ reads no files).
//
// Manifests, by file name: package.json (dependencies, devDependencies,
// optionalDependencies, peerDependencies), requirements.txt, go.mod (require
// and replace, in blocks or single lines) and Cargo.toml ([dependencies],
// [dev-dependencies], [build-dependencies], their target.* and workspace
// forms, and [dependencies.<name>] tables). A dependency is identified by
// its name across sections; its spec is the first one found.
//
// Lockfiles (package-lock.json, pnpm-lock.yaml, yarn.lock, Cargo.lock,
// go.sum) yield one lockfile_changed entry per changed file, with a count of
// the packages it adds, removes and changes in `detail`. Transitive
// packages are not listed one by one.
//
// None of these parsers backtracks or evaluates anything; each is a single
// pass over the lines (or nlohmann's JSON parser).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/diff_facts.h"

namespace casm::policy {

enum class manifest_format {
  unknown,
  package_json,
  requirements_txt,
  go_mod,
  cargo_toml,
  package_lock_json,
  pnpm_lock_yaml,
  yarn_lock,
  cargo_lock,
  go_sum,
};

// By the file's name (the last path segment).
manifest_format format_of(std::string_view path);
bool is_lockfile(manifest_format f);

// dependency_change_kind and dependency_change are plain data shared with
// the run log (messages/data/risk.h); re-exported here.
using messages::dependency_change;
using messages::dependency_change_kind;
using messages::parse_dependency_change_kind;
using messages::to_string;

// How a version spec changed, from the first version number in each spec
// (after leading ^ ~ = < > ! v and blanks). The breaking part is every
// component up to and including the first non-zero one: 1.4.2 -> [1],
// 0.3.1 -> [0,3], 0.0.7 -> [0,0,7]; so 0.1 -> 0.2 is major, as in Cargo's
// and npm's caret rules. A spec with no number ("latest", a git URL) that
// changes is major: the source is unknown. A constraint that is dropped
// (spec -> none) is major; one that is added (none -> spec) is minor.
enum class version_change { none, minor, major };
version_change classify_version_change(std::string_view from, std::string_view to);

// The changes in one file, sorted by name then kind. Nothing for an unknown
// format or identical texts.
std::vector<dependency_change> diff_dependencies(const dependency_manifest& manifest);

// Every manifest's changes, sorted by (file, name, kind).
std::vector<dependency_change> diff_dependencies(const std::vector<dependency_manifest>& manifests);

}  // namespace casm::policy
