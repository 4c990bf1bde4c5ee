#include "actors/workflow/audit_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <memory>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "policy/glob.h"

namespace casm::workflow {

namespace {

// Compiled once per pattern list and thread (policy::compiled_glob_set):
// the engine plans with the same lists run after run.
std::shared_ptr<const policy::glob_set> compile_or_empty(const std::vector<std::string>& patterns) {
  std::string error;
  // Patterns were validated when the config was loaded; a bad one here
  // matches nothing rather than everything.
  auto set = policy::compiled_glob_set(patterns, &error);
  if (set) return set;
  static const auto none = std::make_shared<const policy::glob_set>();
  return none;
}

// Greedy balance by bytes: deterministic for the same input. Sorts pointers
// and copies each item once, into its shard (key_of returns a reference: a
// copy per comparison was a tenth of `casm replay`'s time).
template <class Item, class Size, class Key>
std::vector<std::vector<Item>> balance(std::vector<const Item*> items, size_t shards,
                                       Size size_of, Key key_of) {
  std::stable_sort(items.begin(), items.end(), [&](const Item* a, const Item* b) {
    if (size_of(*a) != size_of(*b)) return size_of(*a) > size_of(*b);
    return key_of(*a) < key_of(*b);
  });
  std::vector<std::vector<const Item*>> picked(shards);
  for (auto& p : picked) p.reserve(items.size() / shards + 1);
  std::vector<uint64_t> load(shards, 0);
  for (const Item* it : items) {
    size_t best = 0;
    for (size_t s = 1; s < shards; ++s)
      if (load[s] < load[best]) best = s;
    load[best] += size_of(*it) + 1;
    picked[best].push_back(it);
  }
  std::vector<std::vector<Item>> out(shards);
  for (size_t s = 0; s < shards; ++s) {
    std::sort(picked[s].begin(), picked[s].end(),
              [&](const Item* a, const Item* b) { return key_of(*a) < key_of(*b); });
    out[s].reserve(picked[s].size());
    for (const Item* it : picked[s]) out[s].push_back(*it);
  }
  return out;
}

}  // namespace

std::vector<review_request> make_review_shards(const ingest_result& in,
                                               const audit_options& options,
                                               const std::function<std::string()>& next_call_id,
                                               std::vector<messages::skipped_file>& allowlisted) {
  const auto allow_set = compile_or_empty(options.allow_paths);
  const policy::glob_set& allow = *allow_set;
  const size_t want = std::max<uint32_t>(1, options.reviewers);
  std::vector<review_request> shards;
  auto make = [&](size_t n) {
    shards.resize(n);
    for (size_t i = 0; i < n; ++i) {
      shards[i].call_id = next_call_id();
      shards[i].shard = static_cast<uint32_t>(i);
      shards[i].repo_path = in.repo_path;
      shards[i].mode = in.mode;
      shards[i].max_file_bytes = options.max_file_bytes;
      shards[i].preview_chars = options.preview_chars;
    }
  };
  if (in.mode == "history") {
    const size_t n = std::max<size_t>(1, std::min(want, in.commits.size()));
    make(n);
    for (size_t i = 0; i < in.commits.size(); ++i) shards[i % n].commits.push_back(in.commits[i]);
    return shards;
  }
  if (in.mode == "diff") {
    std::vector<const messages::changed_file*> keep;
    keep.reserve(in.changes.size());
    for (const auto& c : in.changes) {
      if (!allow.empty() && allow.matches(c.path))
        allowlisted.push_back({c.path, "allowlisted", c.size, "matches analyze.allowlist.paths"});
      else
        keep.push_back(&c);
    }
    const size_t n = std::max<size_t>(1, std::min(want, keep.size()));
    auto parts = balance(std::move(keep), n,
                         [](const messages::changed_file& c) { return c.size; },
                         [](const messages::changed_file& c) -> const std::string& { return c.path; });
    make(n);
    for (size_t i = 0; i < n; ++i) shards[i].changes = std::move(parts[i]);
    return shards;
  }
  std::vector<const messages::file_entry*> keep;
  keep.reserve(in.files.size());
  for (const auto& f : in.files) {
    if (!allow.empty() && allow.matches(f.path))
      allowlisted.push_back({f.path, "allowlisted", f.size, "matches analyze.allowlist.paths"});
    else
      keep.push_back(&f);
  }
  const size_t n = std::max<size_t>(1, std::min(want, keep.size()));
  auto parts = balance(std::move(keep), n, [](const messages::file_entry& f) { return f.size; },
                       [](const messages::file_entry& f) -> const std::string& { return f.path; });
  make(n);
  for (size_t i = 0; i < n; ++i) shards[i].files = std::move(parts[i]);
  return shards;
}

merged_review merge_reviews(const std::vector<review_result>& results,
                            const audit_options& options) {
  merged_review m;
  const std::set<std::string> allow(options.allow_fingerprints.begin(),
                                    options.allow_fingerprints.end());
  const std::set<std::string> baseline(options.baseline_fingerprints.begin(),
                                       options.baseline_fingerprints.end());
  for (const auto& r : results) {
    m.scope.files_scanned += r.files_scanned;
    m.scope.bytes_scanned += r.bytes_scanned;
    m.scope.commits_scanned += r.commits_scanned;
    m.scope.suppressed_inline += r.suppressed_inline;
    m.scope.skipped.insert(m.scope.skipped.end(), r.skipped.begin(), r.skipped.end());
    for (const auto& f : r.findings) {
      if (allow.count(f.fingerprint)) {
        ++m.scope.suppressed_allowlist;
      } else if (baseline.count(f.fingerprint)) {
        ++m.scope.suppressed_baseline;
      } else {
        m.findings.push_back(f);
      }
    }
  }
  std::sort(m.findings.begin(), m.findings.end(), [](const finding& a, const finding& b) {
    return std::tie(a.path, a.line, a.column, a.rule_id, a.commit) <
           std::tie(b.path, b.line, b.column, b.rule_id, b.commit);
  });
  std::sort(m.scope.skipped.begin(), m.scope.skipped.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  return m;
}

fix_plan plan_fixes(const std::vector<finding>& findings, const ingest_result& in,
                    const audit_options& options) {
  fix_plan plan;
  const auto sensitive_set = compile_or_empty(options.sensitive_paths);
  const auto deps_set = compile_or_empty(options.dependency_files);
  const policy::glob_set &sensitive = *sensitive_set, &deps = *deps_set;
  std::map<std::string, std::set<uint32_t>> secret_lines;
  for (const auto& f : findings)
    if (f.secret && f.commit.empty()) secret_lines[f.path].insert(f.line);

  // The findings the fixer may take, in order; the others become suggestions.
  std::vector<const finding*> fixable;
  for (const auto& f : findings) {
    if (!f.fixable || !f.commit.empty()) continue;  // history findings are in the past
    auto note = [&](const char* why) { plan.suggestions.push_back({f.path, f.rule_id, f.line, why}); };
    if (!options.fixer_enabled) { note("fixer_disabled"); continue; }
    if (!sensitive.empty() && sensitive.matches(f.path)) { note("sensitive_path"); continue; }
    if (!deps.empty() && deps.matches(f.path)) { note("dependency_file"); continue; }
    auto secrets = secret_lines.find(f.path);
    if (secrets != secret_lines.end() && secrets->second.count(f.line)) { note("secret_line"); continue; }
    fixable.push_back(&f);
  }

  // Where each of their head blobs is (full audit: files; diff audit: new
  // side; the last listing of a path wins). Only those paths are looked up:
  // a listing has every file of the repo, a plan a few.
  struct blob_ref {
    const std::string* oid = nullptr;
    uint32_t mode = 0;
  };
  // FNV-1a: a path is short, and a hash the library deems slow makes a
  // small map compare every key on every lookup instead.
  struct path_hash {
    size_t operator()(std::string_view s) const {
      uint64_t h = 14695981039346656037ull;
      for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      return static_cast<size_t>(h);
    }
  };
  std::unordered_map<std::string_view, blob_ref, path_hash> blob_of;
  for (const finding* f : fixable) blob_of.emplace(f->path, blob_ref{});
  if (!blob_of.empty()) {
    for (const auto& f : in.files)
      if (auto it = blob_of.find(f.path); it != blob_of.end()) it->second = {&f.oid, f.mode};
    for (const auto& c : in.changes)
      if (c.status != "deleted")
        if (auto it = blob_of.find(c.path); it != blob_of.end()) it->second = {&c.new_oid, 0100644};
  }

  std::map<std::string, fix_file> files;
  for (const finding* fp : fixable) {
    const finding& f = *fp;
    const blob_ref& blob = blob_of.at(f.path);
    if (!blob.oid) continue;
    auto& ff = files[f.path];
    ff.path = f.path;
    ff.oid = *blob.oid;
    ff.mode = blob.mode;
    if (f.rule_id == "final_newline.missing") {
      ff.add_final_newline = true;
    } else {
      ff.strip_lines.push_back(f.line);
    }
    ++plan.planned_lines;
  }
  for (auto& [path, ff] : files) {
    std::sort(ff.strip_lines.begin(), ff.strip_lines.end());
    ff.strip_lines.erase(std::unique(ff.strip_lines.begin(), ff.strip_lines.end()),
                         ff.strip_lines.end());
    const auto& secrets = secret_lines[path];
    ff.secret_lines.assign(secrets.begin(), secrets.end());
    plan.files.push_back(std::move(ff));
  }
  return plan;
}

std::vector<std::string> validation_commands(const ingest_result& in,
                                             const audit_options& options) {
  if (options.manifest_version == "0.2" && !options.validate_commands.empty())
    return options.validate_commands;
  std::vector<std::string> out;
  if (!in.has_package_json) return out;
  auto allowed = [&](const std::string& c) {
    return std::find(options.allow_commands.begin(), options.allow_commands.end(), c) !=
           options.allow_commands.end();
  };
  auto has_script = [&](const char* s) {
    return std::find(in.package_scripts.begin(), in.package_scripts.end(), s) !=
           in.package_scripts.end();
  };
  const bool pnpm = in.has_pnpm_lock;
  if (has_script("test")) {
    std::string c = pnpm ? "pnpm -s test" : "npm test";
    if (allowed(c)) out.push_back(c);
  }
  if (has_script("lint")) {
    std::string c = pnpm ? "pnpm -s lint" : "npm run lint";
    if (allowed(c)) out.push_back(c);
  }
  return out;
}

bool fails_on(const std::vector<finding>& findings, const std::string& fail_on, size_t* count) {
  auto threshold = messages::parse_severity(fail_on);
  size_t n = 0;
  if (threshold)
    for (const auto& f : findings)
      if (f.level >= *threshold) ++n;
  if (count) *count = n;
  return n > 0;
}

messages::model_usage offline_review_usage(const review_request& req, const review_result& res) {
  messages::model_usage u;
  u.task_id = req.call_id;
  u.task_type = "review";
  u.provider = "other";
  u.model = "casm-offline";
  u.input_tokens = (res.bytes_scanned + 3) / 4;
  u.output_tokens = 24 * res.findings.size();
  u.cost_usd = 0;
  u.truth = "simulated";
  return u;
}

}  // namespace casm::workflow
