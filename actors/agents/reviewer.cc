#include "actors/agents/reviewer.h"

#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

#include "actors/agents/blob_cache.h"
#include "actors/agents/git_access.h"
#include "messages/codec/json_text.h"
#include "policy/redaction.h"
#include "policy/scanner.h"
#include <set>

namespace casm::agents {

using messages::review_request;
using messages::review_result;

namespace {

// Keeps previews within the template's code_snippets_max_chars, cutting at a
// UTF-8 boundary (previews are display text: valid UTF-8).
void clip_previews(std::vector<messages::finding>& fs, uint32_t max_chars) {
  for (auto& f : fs) {
    if (max_chars == 0) {
      f.preview.clear();
      continue;
    }
    if (f.preview.size() <= max_chars) continue;
    size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(f.preview[cut]) & 0xC0) == 0x80) --cut;
    f.preview.resize(cut);
  }
}

struct shard_scan {
  const review_request& req;
  review_result& res;
  git_repository* repo;
  const policy::scanner& scanner;

  void skip(const std::string& path, const char* reason, uint64_t bytes, std::string detail) {
    res.skipped.push_back({path, reason, bytes, std::move(detail)});
  }

  // Reads one blob; a corrupt or missing object fails this file only.
  bool read_blob(const std::string& path, const std::string& oid_hex_text, blob_ptr& blob,
                 uint64_t size) {
    git_oid oid;
    if (!parse_oid(oid_hex_text, oid) || git_blob_lookup(blob.out(), repo, &oid) != 0) {
      skip(path, "corrupt", size, "object " + oid_hex_text + " cannot be read: " + git_error_text());
      return false;
    }
    return true;
  }

  // A model prompt's code excerpt: numbered lines, any line a secret was
  // found on replaced whole, then every other detected secret masked by
  // policy::redact_text; stops at req.excerpt_bytes.
  void add_excerpt(const std::string& path,
                   const std::vector<std::pair<uint32_t, std::string>>& lines,
                   const std::vector<messages::finding>& found) {
    if (req.excerpt_bytes == 0 || res.excerpt.size() >= req.excerpt_bytes) return;
    std::set<uint32_t> secret_lines;
    for (const auto& f : found)
      if (f.secret && f.path == path) secret_lines.insert(f.line);
    std::string chunk = "=== " + codec::display_text(path) + " ===\n";
    for (const auto& [n, text] : lines) {
      chunk += std::to_string(n) + ": ";
      chunk += secret_lines.count(n) ? std::string("[line masked: a secret was detected here]") : text;
      chunk += "\n";
      if (res.excerpt.size() + chunk.size() > req.excerpt_bytes) break;
    }
    chunk = policy::redact_text(chunk);
    const size_t room = req.excerpt_bytes - res.excerpt.size();
    if (chunk.size() > room) {
      auto nl = chunk.rfind('\n', room);
      chunk.resize(nl == std::string::npos ? 0 : nl + 1);
    }
    res.excerpt += chunk;
  }

  static std::vector<std::pair<uint32_t, std::string>> all_lines(std::string_view content) {
    std::vector<std::pair<uint32_t, std::string>> out;
    size_t pos = 0;
    uint32_t n = 1;
    while (pos < content.size()) {
      size_t nl = content.find('\n', pos);
      size_t end = nl == std::string_view::npos ? content.size() : nl;
      out.emplace_back(n++, std::string(content.substr(pos, end - pos)));
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    return out;
  }

  // Returns whether any of them can be fixed mechanically.
  bool append(std::vector<messages::finding> fs, const std::string& commit = {}) {
    clip_previews(fs, req.preview_chars);
    bool fixable = false;
    for (auto& f : fs) {
      f.commit = commit;
      fixable = fixable || f.fixable;
      res.findings.push_back(std::move(f));
    }
    return fixable;
  }

  // The patch gate and the fixer read a fixable file again: keep its bytes.
  static void keep_for_fixer(const blob_ptr& blob, std::string_view content) {
    blob_cache::instance().remember(*git_blob_id(blob.get()), content);
  }

  void full() {
    policy::scan_options opts;
    opts.max_file_bytes = req.max_file_bytes;
    opts.suppressed_inline = &res.suppressed_inline;
    for (const auto& f : req.files) {
      if (f.size > req.max_file_bytes) {
        opts.file_size = f.size;
        append(scanner.scan(f.path, {}, opts));
        opts.file_size.reset();
        skip(f.path, "oversized", f.size,
             "larger than analyze.max_file_bytes (" + std::to_string(req.max_file_bytes) + ")");
        continue;
      }
      blob_ptr blob;
      if (!read_blob(f.path, f.oid, blob, f.size)) continue;
      std::string_view content(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                               static_cast<size_t>(git_blob_rawsize(blob.get())));
      if (policy::looks_binary(content)) {
        skip(f.path, "binary", content.size(), "");
        continue;
      }
      ++res.files_scanned;
      res.bytes_scanned += content.size();
      res.lines_scanned += policy::count_lines(content);
      auto found = scanner.scan(f.path, content, opts);
      if (req.excerpt_bytes > 0 && res.excerpt.size() < req.excerpt_bytes)
        add_excerpt(f.path, all_lines(content), found);
      if (append(std::move(found))) keep_for_fixer(blob, content);
    }
  }

  // Added lines of `content` at the given line ranges.
  static std::vector<std::pair<uint32_t, std::string>> added_lines(
    std::string_view content, const std::vector<messages::line_range>& ranges) {
    std::vector<std::pair<uint32_t, std::string>> out;
    size_t r = 0, pos = 0;
    uint32_t line = 1;
    while (pos <= content.size() && r < ranges.size()) {
      size_t nl = content.find('\n', pos);
      size_t end = nl == std::string_view::npos ? content.size() : nl;
      while (r < ranges.size() && ranges[r].last < line) ++r;
      if (r < ranges.size() && ranges[r].first <= line)
        out.emplace_back(line, std::string(content.substr(pos, end - pos)));
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
      ++line;
    }
    return out;
  }

  void diff() {
    policy::scan_options opts;
    opts.max_file_bytes = req.max_file_bytes;
    opts.suppressed_inline = &res.suppressed_inline;
    for (const auto& c : req.changes) {
      if (c.status == "deleted" || c.added.empty()) continue;
      if (c.binary) {
        skip(c.path, "binary", c.size, "");
        continue;
      }
      if (c.size > req.max_file_bytes) {
        opts.file_size = c.size;
        append(scanner.scan(c.path, {}, opts));
        opts.file_size.reset();
        skip(c.path, "oversized", c.size,
             "larger than analyze.max_file_bytes (" + std::to_string(req.max_file_bytes) + ")");
        continue;
      }
      blob_ptr blob;
      if (!read_blob(c.path, c.new_oid, blob, c.size)) continue;
      std::string_view content(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                               static_cast<size_t>(git_blob_rawsize(blob.get())));
      if (policy::looks_binary(content)) {
        skip(c.path, "binary", content.size(), "");
        continue;
      }
      auto lines = added_lines(content, c.added);
      ++res.files_scanned;
      for (const auto& l : lines) res.bytes_scanned += l.second.size() + 1;
      res.lines_scanned += lines.size();
      auto found = scanner.scan_added_lines(c.path, lines, opts);
      add_excerpt(c.path, lines, found);
      if (append(std::move(found))) keep_for_fixer(blob, content);
    }
  }

  // Every commit's own additions (against its first parent), like gitleaks:
  // a secret is reported once, at the commit that added it.
  void history() {
    policy::scan_options opts;
    opts.max_file_bytes = req.max_file_bytes;
    opts.suppressed_inline = &res.suppressed_inline;
    for (const auto& id : req.commits) {
      git_oid oid;
      commit_ptr commit;
      if (!parse_oid(id, oid) || git_commit_lookup(commit.out(), repo, &oid) != 0) {
        skip(id, "corrupt", 0, "commit " + id + " cannot be read: " + git_error_text());
        continue;
      }
      tree_ptr tree, parent_tree;
      commit_ptr parent;
      if (git_commit_tree(tree.out(), commit.get()) != 0) {
        skip(id, "corrupt", 0, "the tree of commit " + id + " cannot be read: " + git_error_text());
        continue;
      }
      // A shallow clone's boundary commit has parents we do not have: it is
      // diffed against the empty tree, as a root commit is.
      if (git_commit_parentcount(commit.get()) > 0 &&
          git_commit_parent(parent.out(), commit.get(), 0) == 0)
        git_commit_tree(parent_tree.out(), parent.get());
      git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
      dopts.context_lines = 0;
      diff_ptr diff;
      if (git_diff_tree_to_tree(diff.out(), repo, parent_tree.get(), tree.get(), &dopts) != 0) {
        skip(id, "corrupt", 0, "commit " + id + " cannot be diffed: " + git_error_text());
        continue;
      }
      ++res.commits_scanned;
      const size_t n = git_diff_num_deltas(diff.get());
      for (size_t i = 0; i < n; ++i) {
        const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
        if (d->status == GIT_DELTA_DELETED || d->new_file.mode == GIT_FILEMODE_COMMIT ||
            d->new_file.mode == GIT_FILEMODE_LINK)
          continue;
        const std::string path = d->new_file.path;
        if (d->new_file.size > req.max_file_bytes) continue;  // reported at head, if still there
        patch_ptr patch;
        if (git_patch_from_diff(patch.out(), diff.get(), i) != 0) {
          skip(path, "corrupt", d->new_file.size,
               "in commit " + id + ": " + git_error_text());
          continue;
        }
        if (git_patch_get_delta(patch.get())->flags & GIT_DIFF_FLAG_BINARY) continue;
        std::vector<std::pair<uint32_t, std::string>> lines;
        const size_t hunks = git_patch_num_hunks(patch.get());
        for (size_t h = 0; h < hunks; ++h) {
          size_t count = 0;
          git_patch_get_hunk(nullptr, &count, patch.get(), h);
          for (size_t l = 0; l < count; ++l) {
            const git_diff_line* line = nullptr;
            git_patch_get_line_in_hunk(&line, patch.get(), h, l);
            if (line->origin != GIT_DIFF_LINE_ADDITION) continue;
            std::string text(line->content, line->content_len);
            if (!text.empty() && text.back() == '\n') text.pop_back();
            res.bytes_scanned += text.size() + 1;
            lines.emplace_back(static_cast<uint32_t>(line->new_lineno), std::move(text));
          }
        }
        ++res.files_scanned;
        res.lines_scanned += lines.size();
        append(scanner.scan_added_lines(path, lines, opts), id);
      }
    }
  }
};

}  // namespace

review_result review_shard(const review_request& req) {
  review_result res;
  res.call_id = req.call_id;
  res.shard = req.shard;
  repo_lease repo;
  std::string error;
  if (!open_repository(req.repo_path, repo, error)) {
    res.ok = false;
    res.error = error;
    return res;
  }
  shard_scan scan{req, res, repo.get(), policy::scanner::builtin()};
  if (req.mode == "history")
    scan.history();
  else if (req.mode == "diff")
    scan.diff();
  else
    scan.full();
  res.ok = true;
  return res;
}

protocol::reviewer_actor::behavior_type reviewer_agent(protocol::reviewer_actor::pointer) {
  return {
    [](const review_request& req) { return review_shard(req); },
  };
}

}  // namespace casm::agents
