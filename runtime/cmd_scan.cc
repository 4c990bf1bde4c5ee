// `casm scan PATH...`: the rule pack over plain files, no git and no actor
// system, for pre-commit hooks and CI. Findings go to stdout as text,
// issues.json or SARIF; errors to stderr as one sentence.
//
// Suppression happens in this order, each step counted in the audit scope:
// --allow-path (the file is not read), `casm:allow` comments (the scanner),
// --allow-fingerprint, then --baseline. --write-baseline records what is
// left before the baseline step, so a rerun with that baseline is quiet.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "messages/codec/json_text.h"
#include "messages/data/vocabulary.h"
#include "policy/glob.h"
#include "runtime/commands.h"
#include "runtime/file_scan.h"
#include "runtime/file_walk.h"
#include "policy/scanner.h"
#include "telemetry/baseline.h"
#include "telemetry/issues_writer.h"

namespace casm::runtime {

namespace {

namespace ex = messages::exit_code;
using messages::finding;
using messages::severity;
using clock_type = std::chrono::steady_clock;

std::string quoted(const std::string& path) { return "'" + codec::display_text(path) + "'"; }

bool verbose(const global_options& g) {
  return g.log_level == "info" || g.log_level == "debug" || g.log_level == "trace";
}

bool warnings_on(const global_options& g) {
  return g.log_level != "error" && g.log_level != "off";
}

// Reads a whole small file (a baseline). False with `error` set on failure.
bool read_text_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// Writes via a temporary file and rename, so an interrupted write never
// leaves half a baseline behind.
bool write_text_file(const std::string& path, const std::string& text, std::string& error) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) {
      error = std::strerror(errno);
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

std::string text_report(const std::vector<finding>& findings, const messages::audit_scope& scope) {
  std::string out;
  std::map<severity, uint64_t> per_level;
  for (const auto& f : findings) {
    ++per_level[f.level];
    out += codec::display_text(f.path);
    out += ':' + std::to_string(f.line) + ':' + std::to_string(f.column) + ": ";
    out += messages::to_string(f.level);
    out += ' ' + f.rule_id + ' ' + codec::display_text(f.message);
    if (!f.preview.empty()) out += "  [" + f.preview + "]";
    if (!f.commit.empty()) out += " (commit " + f.commit + ")";
    out += '\n';
  }
  std::map<std::string, uint64_t> per_reason;
  for (const auto& s : scope.skipped) ++per_reason[s.reason];
  std::string skipped;
  for (const auto& [reason, n] : per_reason)
    skipped += (skipped.empty() ? " (" : ", ") + std::to_string(n) + " " + reason;
  if (!skipped.empty()) skipped += ")";
  out += std::to_string(findings.size()) + (findings.size() == 1 ? " finding: " : " findings: ") +
         std::to_string(per_level[severity::high]) + " high, " +
         std::to_string(per_level[severity::medium]) + " medium, " +
         std::to_string(per_level[severity::low]) + " low, " +
         std::to_string(per_level[severity::info]) + " info; " +
         std::to_string(scope.files_scanned) + (scope.files_scanned == 1 ? " file, " : " files, ") +
         std::to_string(scope.bytes_scanned) +
         " bytes scanned; " + std::to_string(scope.skipped.size()) + " skipped" + skipped +
         "; suppressed: " + std::to_string(scope.suppressed_inline) + " inline, " +
         std::to_string(scope.suppressed_allowlist) + " allowlist, " +
         std::to_string(scope.suppressed_baseline) + " baseline\n";
  return out;
}

void print_stdout(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// What the flags and paths say, checked before any file is read.
struct checked_flags {
  std::optional<severity> fail_on;
  std::optional<policy::glob_set> allow_paths;
  std::set<std::string> allow_fingerprints;  // lower-case hex
  std::set<std::string> baseline;
  std::vector<bool> is_dir;  // per path
};

// nullopt after printing the one sentence that says what is wrong (exit 2).
std::optional<checked_flags> check_flags(const scan_options& o) {
  checked_flags c;
  auto fail = [](const std::string& sentence) {
    print_error(sentence);
    return std::nullopt;
  };
  if (!o.fail_on.empty()) {
    c.fail_on = messages::parse_severity(o.fail_on);
    if (!c.fail_on)
      return fail("--fail-on must be one of info, low, medium, high, not " + quoted(o.fail_on) +
                  ".");
  }
  if (o.threads < 0)
    return fail("--threads must be 0 (one per core) or more, not " + std::to_string(o.threads) +
                ".");
  std::string error;
  if (!o.allow_paths.empty()) {
    size_t bad = 0;
    c.allow_paths = policy::glob_set::compile(o.allow_paths, &error, &bad);
    if (!c.allow_paths)
      return fail("--allow-path " + quoted(o.allow_paths[bad]) + " is not a valid glob: " + error);
  }
  for (const auto& fp : o.allow_fingerprints) {
    if (!telemetry::is_fingerprint(fp))
      return fail("--allow-fingerprint " + quoted(fp) +
                  " is not a fingerprint (64 hex digits, as in issues.json).");
    std::string lower = fp;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    c.allow_fingerprints.insert(lower);
  }
  if (!o.baseline.empty()) {
    std::string text;
    if (!read_text_file(o.baseline, text, error))
      return fail("cannot read the baseline file " + quoted(o.baseline) + ": " + error + ".");
    c.baseline = telemetry::parse_baseline(text, &error);
    if (!error.empty())
      return fail("the baseline file " + quoted(o.baseline) + " is not valid: " + error + ".");
  }
  for (const auto& p : o.paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR)
        return fail("the scan path " + quoted(p) + " does not exist.");
      return fail("cannot access the scan path " + quoted(p) + ": " + std::strerror(errno) + ".");
    }
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
      return fail("the scan path " + quoted(p) + " is neither a regular file nor a directory.");
    c.is_dir.push_back(S_ISDIR(st.st_mode));
  }
  return c;
}

// Drops the findings whose fingerprint is in `quiet`, counting them.
void drop_fingerprints(std::vector<finding>& findings, const std::set<std::string>& quiet,
                       uint64_t& count) {
  if (quiet.empty()) return;
  auto keep = std::remove_if(findings.begin(), findings.end(),
                             [&](const finding& f) { return quiet.count(f.fingerprint) > 0; });
  count += static_cast<uint64_t>(findings.end() - keep);
  findings.erase(keep, findings.end());
}

}  // namespace

int cmd_scan(const global_options& g, const scan_options& o) {
  const auto flags = check_flags(o);
  if (!flags) return ex::bad_input;

  // --- walk, then read and scan in parallel --------------------------------
  const auto started = clock_type::now();
  file_list files;
  for (size_t i = 0; i < o.paths.size(); ++i) files.add_root(o.paths[i], flags->is_dir[i]);
  const auto walked = clock_type::now();

  const policy::scanner& scanner = policy::scanner::builtin();
  file_scan_settings settings;
  settings.max_file_bytes = o.max_file_bytes;
  settings.allow_paths = flags->allow_paths ? &*flags->allow_paths : nullptr;
  settings.threads = o.threads > 0 ? static_cast<unsigned>(o.threads)
                                   : std::max(1u, std::thread::hardware_concurrency());
  file_scan_result scanned;
  try {
    scanned = scan_files(files, scanner, settings);
  } catch (const std::exception& e) {
    print_error(std::string("the scan failed: ") + e.what() + ".");
    return ex::runtime_failure;
  }
  const auto done = clock_type::now();

  messages::audit_scope scope;
  scope.tool_version = CASM_VERSION;
  scope.rule_pack_hash = scanner.pack_hash();
  scope.mode = "files";
  scope.files_scanned = scanned.files_scanned;
  scope.bytes_scanned = scanned.bytes_scanned;
  scope.suppressed_inline = scanned.suppressed_inline;
  scope.skipped = std::move(scanned.skipped);
  for (const auto& d : files.unreadable_dirs())
    scope.skipped.push_back({d.path, "unreadable", 0, d.detail});
  std::sort(scope.skipped.begin(), scope.skipped.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  if (warnings_on(g))
    for (const auto& s : scope.skipped)
      if (s.reason == "unreadable")
        std::fprintf(stderr, "casm: warning: cannot read %s: %s; it was not scanned.\n",
                     quoted(s.path).c_str(), s.detail.c_str());

  // --- suppression (inline comments were applied by the scanner) -----------
  std::vector<finding> reported = std::move(scanned.findings);
  drop_fingerprints(reported, flags->allow_fingerprints, scope.suppressed_allowlist);
  telemetry::sort_findings(reported);
  std::string error;
  if (!o.write_baseline.empty() &&
      !write_text_file(o.write_baseline, telemetry::render_baseline(reported), error)) {
    print_error("cannot write the baseline file " + quoted(o.write_baseline) + ": " + error + ".");
    return ex::bad_input;
  }
  drop_fingerprints(reported, flags->baseline, scope.suppressed_baseline);

  // --- output and exit code ------------------------------------------------
  if (o.json) print_stdout(telemetry::render_issues_json(reported, scope));
  else if (o.sarif) print_stdout(telemetry::render_sarif(reported, scope, policy::rule_infos(scanner.rules())));
  else print_stdout(text_report(reported, scope));

  if (verbose(g)) {
    const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    const double scan_s = seconds(walked, done);
    const double mb = static_cast<double>(scanned.bytes_read) / 1e6;
    const size_t threads = std::min<size_t>(settings.threads, std::max<size_t>(1, files.size()));
    std::fprintf(stderr,
                 "casm: scan: %zu files, %.1f MB read in %.3f s (%.0f MB/s) on %zu threads; "
                 "walk %.3f s, total %.3f s.\n",
                 files.size(), mb, scan_s, scan_s > 0 ? mb / scan_s : 0.0, threads,
                 seconds(started, walked), seconds(started, clock_type::now()));
  }

  if (flags->fail_on)
    for (const auto& f : reported)
      if (f.level >= *flags->fail_on) return ex::blocked;
  return ex::ok;
}

}  // namespace casm::runtime
