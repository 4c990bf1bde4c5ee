// The rule pack for peer tools, and what a compiled pack costs.
//
//   patterns_bench --dump-patterns rg.txt [--dump-posix ere.txt]
//     writes the pack's pattern rules one per line: rg.txt for `rg -f`
//     (Rust regex syntax), ere.txt for `git grep -E -f` and git-secrets
//     (POSIX ERE with GNU's \b). A construct the target lacks makes the
//     pattern skipped; the counts go to stderr. bench/scan_vs_ripgrep.sh
//     uses this so every tool runs the same patterns.
//   patterns_bench [benchmark flags]
//     Google Benchmark: compiling the pack vs deserializing its cached
//     database (DESIGN.md, Speed notes).
//
// Computed rules (final_newline, oversized) have no pattern and are not
// dumped. Extension-limited rules (debug.print for .py) are dumped
// unlimited, so the peers do slightly more work than casm, not less.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "policy/rule_pack.h"
#include "policy/scanner.h"

namespace {

using casm::policy::rule;
using casm::policy::rule_kind;

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char other_case(char c) { return static_cast<char>(c ^ 0x20); }

// Rust regex shares Hyperscan's syntax for everything the pack uses, except
// that ripgrep refuses a literal "\n" outside a class: the only one in the
// pack ends the trailing-whitespace rule, where "$" means the same.
//
// Each pattern is wrapped in (?-u:...): Hyperscan without HS_FLAG_UTF8 is
// byte-oriented (ASCII \b, '.' is any byte), and so is Rust regex without
// Unicode. With Unicode on, ripgrep's \b alone made it 10x slower here, a
// difference of semantics, not of engines. A group, not a bare flag,
// because rg joins the patterns of -f into one regex.
std::optional<std::string> to_rust(const rule& r) {
  const std::string& p = r.pattern;
  for (const char* missing : {"(?=", "(?!", "(?<", "(?>", "\\Q", "\\1", "\\2"})
    if (p.find(missing) != std::string::npos) return std::nullopt;
  std::string out = r.caseless ? "(?i-u:" : "(?-u:";
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      if (p[i + 1] == 'n' && !in_class) out += '$';
      else out.append(p, i, 2);
      ++i;
      continue;
    }
    if (c == '[' && !in_class) in_class = true;
    else if (c == ']' && in_class) in_class = false;
    out += c;
  }
  out += ')';
  return out;
}

// POSIX ERE as glibc's regcomp (git grep -E) reads it: no (?:...), no
// escapes inside brackets, no \t or \r. Case-insensitive parts spell out
// both cases ("[dD]"), because -i would apply to every pattern.
std::optional<std::string> to_posix_ere(const rule& r) {
  const std::string& p = r.pattern;
  std::string out;
  std::vector<bool> group_caseless;  // per open group: did it set (?i:?
  bool caseless = r.caseless;
  bool in_class = false;
  std::string cls;  // the current bracket expression, for the caseless check
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (in_class) {
      if (c == '\\' && i + 1 < p.size()) {
        const char e = p[++i];
        if (e == 't') cls += '\t';
        else if (e == 'r') cls += '\r';
        else if (e == 'n') continue;  // grep sees no newlines
        else if (e == '\\' || e == '/' || e == '.' || e == '"' || e == '\'') cls += e;
        else return std::nullopt;
        continue;
      }
      if (c == ']' && cls.size() > (cls[0] == '^' ? 1u : 0u)) {
        in_class = false;
        if (caseless) {
          bool letters = false;
          for (char k : cls) letters = letters || is_letter(k);
          const bool both = cls.find("A-Z") != std::string::npos &&
                            cls.find("a-z") != std::string::npos;
          if (letters && !both) return std::nullopt;
        }
        out += '[' + cls + ']';
        continue;
      }
      cls += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      cls.clear();
      continue;
    }
    if (c == '(') {
      if (p.compare(i, 3, "(?:") == 0) {
        group_caseless.push_back(false);
        i += 2;
      } else if (p.compare(i, 4, "(?i:") == 0) {
        group_caseless.push_back(!caseless);
        caseless = true;
        i += 3;
      } else if (i + 1 < p.size() && p[i + 1] == '?') {
        return std::nullopt;  // lookaround and other extensions
      } else {
        group_caseless.push_back(false);
      }
      out += '(';
      continue;
    }
    if (c == ')') {
      if (group_caseless.empty()) return std::nullopt;
      if (group_caseless.back()) caseless = false;
      group_caseless.pop_back();
      out += ')';
      continue;
    }
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[++i];
      if (e == 't') out += '\t';
      else if (e == 'r') out += '\r';
      else if (e == 'n') out += '$';
      else if (e == 'b') out += "\\b";
      else if (e == 'd') out += "[0-9]";
      else if (e == 'w') out += "[A-Za-z0-9_]";
      else if (e == 's') out += "[[:space:]]";
      else if (std::strchr(".()|[]{}*+?^$\\", e)) out += std::string("\\") + e;
      else if (e == '/' || e == '-' || e == '"' || e == '\'') out += e;
      else return std::nullopt;
      continue;
    }
    if (caseless && is_letter(c)) {
      out += '[';
      out += c;
      out += other_case(c);
      out += ']';
      continue;
    }
    out += c;
  }
  if (in_class || !group_caseless.empty()) return std::nullopt;
  return out;
}

int dump(const char* rust_file, const char* posix_file) {
  const auto& rules = casm::policy::builtin_rules();
  std::ofstream rust(rust_file, std::ios::binary | std::ios::trunc);
  std::ofstream posix;
  if (posix_file) posix.open(posix_file, std::ios::binary | std::ios::trunc);
  if (!rust || (posix_file && !posix)) {
    std::fprintf(stderr, "patterns_bench: cannot write the pattern files\n");
    return 1;
  }
  int patterns = 0, rust_skipped = 0, posix_skipped = 0;
  for (const auto& r : rules) {
    if (r.kind != rule_kind::pattern && r.kind != rule_kind::trailing_whitespace) continue;
    ++patterns;
    if (auto t = to_rust(r)) rust << *t << '\n';
    else {
      ++rust_skipped;
      std::fprintf(stderr, "patterns_bench: %s: no Rust regex form, skipped\n", r.id.c_str());
    }
    if (!posix_file) continue;
    if (auto t = to_posix_ere(r)) posix << *t << '\n';
    else {
      ++posix_skipped;
      std::fprintf(stderr, "patterns_bench: %s: no POSIX ERE form, skipped\n", r.id.c_str());
    }
  }
  std::fprintf(stderr, "patterns_bench: %d pattern rules; rust: %d written, %d skipped", patterns,
               patterns - rust_skipped, rust_skipped);
  if (posix_file)
    std::fprintf(stderr, "; posix ERE: %d written, %d skipped", patterns - posix_skipped,
                 posix_skipped);
  std::fprintf(stderr, "\n");
  return 0;
}

void compile_pack(benchmark::State& state) {
  for (auto _ : state) {
    std::string error;
    auto s = casm::policy::scanner::compile(casm::policy::builtin_rules(), &error);
    if (!s) state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(compile_pack)->Unit(benchmark::kMillisecond);

void deserialize_pack(benchmark::State& state) {
  const std::string blob = casm::policy::scanner::builtin().serialize();
  state.counters["blob_bytes"] = static_cast<double>(blob.size());
  for (auto _ : state) {
    std::string error;
    auto s = casm::policy::scanner::deserialize(casm::policy::builtin_rules(), blob, &error);
    if (!s) state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(deserialize_pack)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  const char* rust_file = nullptr;
  const char* posix_file = nullptr;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--dump-patterns") == 0) rust_file = argv[i + 1];
    if (std::strcmp(argv[i], "--dump-posix") == 0) posix_file = argv[i + 1];
  }
  if (rust_file) return dump(rust_file, posix_file);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
