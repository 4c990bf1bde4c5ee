#include "policy/scanner.h"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_set>

#include "policy/redaction.h"

namespace casm::policy {

using messages::finding;

namespace {

constexpr uint32_t none = std::numeric_limits<uint32_t>::max();
constexpr std::string_view blob_magic = "casm-hs/2 ";
constexpr std::string_view allow_directive = "casm:allow";

struct db_free {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
using db_ptr = std::unique_ptr<hs_database_t, db_free>;

bool is_matched(const rule& r) {
  return r.kind == rule_kind::pattern || r.kind == rule_kind::trailing_whitespace;
}

unsigned compile_flags(const rule& r) {
  unsigned f = HS_FLAG_MULTILINE;
  if (r.caseless) f |= HS_FLAG_CASELESS;
  return f;
}

// One scratch per thread, grown by hs_alloc_scratch to fit every database
// the thread scans with. A scratch only grows, so once it fits a database it
// always does; hs_alloc_scratch is called once per (thread, database), since
// even when nothing changes it costs ~8 us, as much as scanning a 10 kB file.
// Databases are named by (scanner serial, slot), never by address: a freed
// database's address can be reused by a bigger one.
hs_scratch_t* scratch_for(const hs_database_t* db, uint64_t serial, uint32_t slot) {
  struct holder {
    hs_scratch_t* s = nullptr;
    std::unordered_set<uint64_t> fits;
    ~holder() {
      if (s) hs_free_scratch(s);
    }
  };
  thread_local holder h;
  const uint64_t key = (serial << 24) ^ slot;
  if (h.s && h.fits.count(key)) return h.s;
  if (hs_alloc_scratch(db, &h.s) != HS_SUCCESS)
    throw std::runtime_error("hyperscan: cannot allocate scratch space");
  h.fits.insert(key);
  return h.s;
}

std::atomic<uint64_t> next_serial{1};

// Per-thread buffers reused across scans, so a file with no match allocates
// nothing.
struct hit {
  uint32_t end;  // exclusive end offset of the match
  uint32_t rule;
};
struct scan_buffers {
  std::vector<hit> hits;
  std::vector<uint32_t> last_end;  // per rule: end of its last recorded hit
};

struct scan_context {
  const char* base;
  scan_buffers* buf;
};

// Records (rule, end), at most once per rule per line: hits whose last bytes
// (end - 1) are on the same line as the rule's previous hit add nothing,
// because the line is re-matched anyway. The gap memchr totals at most the
// buffer size per rule that matches.
int on_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  auto* c = static_cast<scan_context*>(ctx);
  const auto end = static_cast<uint32_t>(to);
  uint32_t& last = c->buf->last_end[id];
  if (last != none && last <= end &&
      std::memchr(c->base + last - 1, '\n', end - last) == nullptr)
    return 0;
  last = end;
  c->buf->hits.push_back({end, id});
  return 0;
}

int on_som_match(unsigned, unsigned long long from, unsigned long long to, unsigned, void* ctx) {
  static_cast<std::vector<byte_span>*>(ctx)->push_back({static_cast<size_t>(from),
                                                        static_cast<size_t>(to)});
  return 0;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool applies_to(const rule& r, std::string_view path) {
  if (r.extensions.empty()) return true;
  for (const auto& e : r.extensions)
    if (ends_with(path, e)) return true;
  return false;
}

bool has_stopword(const rule& r, std::string_view value) {
  if (r.stopwords.empty()) return false;
  std::string lower(value);
  for (auto& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (const auto& w : r.stopwords)
    if (lower.find(w) != std::string::npos) return true;
  return false;
}

bool overlaps(const byte_span& a, const byte_span& b) {
  return a.begin < b.end && b.begin < a.end;
}

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-';
}

}  // namespace

struct scanner::impl {
  std::vector<rule> rules;
  std::string hash;
  const uint64_t serial = next_serial++;  // names this scanner's databases
  db_ptr db;  // null when the pack has no matched rules
  int final_newline_rule = -1;
  int oversized_rule = -1;
  int trailing_whitespace_rule = -1;
  static constexpr uint32_t main_slot = 0xFFFFFF;  // scratch slot of `db`

  // Per-rule databases compiled WITH HS_FLAG_SOM_LEFTMOST, built on first
  // use: only rules that ever match a line pay for one.
  struct som_slot {
    std::once_flag once;
    db_ptr db;
  };
  std::unique_ptr<som_slot[]> som;

  explicit impl(std::vector<rule> r) : rules(std::move(r)), hash(rule_pack_hash(rules)) {
    som = std::make_unique<som_slot[]>(rules.size());
    final_newline_rule = index_of(rule_kind::final_newline);
    oversized_rule = index_of(rule_kind::oversized);
    trailing_whitespace_rule = index_of(rule_kind::trailing_whitespace);
  }

  int index_of(rule_kind k) const {
    for (size_t i = 0; i < rules.size(); ++i)
      if (rules[i].kind == k) return static_cast<int>(i);
    return -1;
  }

  // Null when Hyperscan cannot compile the pattern with SOM; the caller then
  // takes the whole line as the span (masking too much, never too little).
  const hs_database_t* som_db(size_t i) const {
    som_slot& slot = som[i];
    std::call_once(slot.once, [&] {
      hs_database_t* db = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_compile(rules[i].pattern.c_str(), compile_flags(rules[i]) | HS_FLAG_SOM_LEFTMOST,
                     HS_MODE_BLOCK, nullptr, &db, &err) == HS_SUCCESS)
        slot.db.reset(db);
      else
        hs_free_compile_error(err);
    });
    return slot.db.get();
  }

  // Every match of rule `i` on `line`, one span per distinct start with its
  // longest end, sorted by start.
  std::vector<byte_span> candidates(size_t i, std::string_view line) const {
    std::vector<byte_span> spans;
    const hs_database_t* db = som_db(i);
    if (!db) return {{0, line.size()}};
    if (hs_scan(db, line.data(), static_cast<unsigned>(line.size()), 0,
                scratch_for(db, serial, static_cast<uint32_t>(i)),
                on_som_match, &spans) != HS_SUCCESS)
      throw std::runtime_error("hyperscan: scan failed");
    // A span never starts with blanks: `^[ \t]*print\(` points at `print`.
    for (auto& sp : spans)
      while (sp.end - sp.begin > 1 && (line[sp.begin] == ' ' || line[sp.begin] == '\t'))
        ++sp.begin;
    std::sort(spans.begin(), spans.end(), [](const byte_span& a, const byte_span& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
    });
    spans.erase(std::unique(spans.begin(), spans.end(),
                            [](const byte_span& a, const byte_span& b) {
                              return a.begin == b.begin;
                            }),
                spans.end());
    return spans;
  }

  // The bytes of a candidate that the gates and the mask apply to.
  byte_span value_of(const rule& r, std::string_view line, byte_span c) const {
    if (!r.assigned_value) return c;
    byte_span v = assigned_value_span(line.substr(c.begin, c.end - c.begin));
    return {c.begin + v.begin, c.begin + v.end};
  }

  finding make(const rule& r, std::string_view path, std::string_view line, uint32_t line_no,
               byte_span at, const std::vector<byte_span>& secret_spans) const {
    finding f;
    f.rule_id = r.id;
    f.family = r.family;
    f.level = r.level;
    f.path = std::string(path);
    f.line = line_no;
    f.column = static_cast<uint32_t>(at.begin + 1);
    f.end_column = static_cast<uint32_t>(at.end + 1);
    f.fingerprint =
        finding_fingerprint(r.id, path, line.substr(at.begin, at.end - at.begin), line);
    f.preview = masked_preview(line, at.begin, at.end, r.secret && !r.assigned_value,
                               secret_spans);
    f.message = r.message;
    f.secret = r.secret;
    f.fixable = r.fixable;
    return f;
  }

  // Findings of the rules in `hit_rules` (sorted, unique) on one line.
  // Returns the line's secret spans, which every preview of it must mask.
  std::vector<byte_span> scan_line(std::string_view path, std::string_view line,
                                   uint32_t line_no, const std::vector<uint32_t>& hit_rules,
                                   std::vector<finding>& out, uint64_t* suppressed) const {
    std::vector<std::vector<byte_span>> found(hit_rules.size());
    std::vector<byte_span> secret_spans;  // values, for masking
    std::vector<byte_span> named_spans;   // whole matches of non-fallback secret rules
    for (size_t k = 0; k < hit_rules.size(); ++k) {
      const rule& r = rules[hit_rules[k]];
      // Secret rules are matched whatever the path: their spans are masked.
      if (!r.secret && !applies_to(r, path)) continue;
      if (r.kind == rule_kind::trailing_whitespace) {
        size_t e = line.size();
        if (e > 0 && line[e - 1] == '\r') --e;
        size_t s = e;
        while (s > 0 && (line[s - 1] == ' ' || line[s - 1] == '\t')) --s;
        if (s < e) found[k].push_back({s, e});
        continue;
      }
      found[k] = candidates(hit_rules[k], line);
      if (!r.secret) continue;
      // Masked whatever the gates decide: a placeholder that fails the
      // entropy gate is still kept out of previews.
      for (const auto& c : found[k]) {
        secret_spans.push_back(value_of(r, line, c));
        if (!r.fallback) named_spans.push_back(c);
      }
    }

    const bool has_allow = line.find(allow_directive) != std::string_view::npos;
    for (size_t k = 0; k < hit_rules.size(); ++k) {
      const rule& r = rules[hit_rules[k]];
      if (!applies_to(r, path)) continue;
      const bool allowed = has_allow && allowed_by_comment(line, r.id);
      if (allowed && !suppressed) continue;
      for (const auto& c : found[k]) {
        if (r.fallback && std::any_of(named_spans.begin(), named_spans.end(),
                                      [&](const byte_span& n) { return overlaps(n, c); }))
          continue;
        byte_span v = value_of(r, line, c);
        std::string_view value = line.substr(v.begin, v.end - v.begin);
        if (r.min_entropy > 0 && shannon_entropy(value) < r.min_entropy) continue;
        if (has_stopword(r, value)) continue;
        // Counted only once the gates pass: a comment beside a placeholder
        // hid nothing.
        if (allowed) ++*suppressed;
        else out.push_back(make(r, path, line, line_no, c, secret_spans));
        break;  // one finding per (rule, line): the leftmost that passes
      }
    }
    return secret_spans;
  }

  // Scans `content` as lines numbered from 1. `whole_file` adds the
  // final_newline check.
  void scan_buffer(std::string_view path, std::string_view content, bool whole_file,
                   std::vector<finding>& out, uint64_t* suppressed) const {
    if (content.empty()) return;
    std::vector<byte_span> last_line_spans;
    uint32_t last_scanned_line = 0;

    if (db) {
      thread_local scan_buffers buf;
      buf.hits.clear();
      buf.last_end.assign(rules.size(), none);
      scan_context ctx{content.data(), &buf};
      if (hs_scan(db.get(), content.data(), static_cast<unsigned>(content.size()), 0,
                  scratch_for(db.get(), serial, main_slot), on_match, &ctx) != HS_SUCCESS)
        throw std::runtime_error("hyperscan: scan failed");
      // The trailing-whitespace pattern ends in '\n'; the last line of a
      // file without one is checked here.
      if (trailing_whitespace_rule >= 0 && content.back() != '\n') {
        size_t e = content.size();
        if (content[e - 1] == '\r') --e;
        if (e > 0 && (content[e - 1] == ' ' || content[e - 1] == '\t'))
          buf.hits.push_back({static_cast<uint32_t>(content.size()),
                              static_cast<uint32_t>(trailing_whitespace_rule)});
      }
      auto& hits = buf.hits;
      std::sort(hits.begin(), hits.end(), [](const hit& a, const hit& b) {
        return a.end != b.end ? a.end < b.end : a.rule < b.rule;
      });

      // Newlines are counted only up to matched offsets, in one forward pass.
      const char* base = content.data();
      uint32_t line_no = 1;
      size_t counted_to = 0, line_start = 0;
      std::vector<uint32_t> line_rules;
      for (size_t h = 0; h < hits.size();) {
        const size_t last_byte = hits[h].end - 1;
        const size_t n = std::count(base + counted_to, base + last_byte, '\n');
        if (n > 0) {
          line_no += static_cast<uint32_t>(n);
          auto* nl = static_cast<const char*>(
              memrchr(base + counted_to, '\n', last_byte - counted_to));
          line_start = static_cast<size_t>(nl - base) + 1;
        }
        auto* eol = static_cast<const char*>(
            std::memchr(base + last_byte, '\n', content.size() - last_byte));
        const size_t line_end = eol ? static_cast<size_t>(eol - base) : content.size();
        line_rules.clear();
        // A hit whose last byte is the '\n' belongs to the line it ends.
        for (; h < hits.size() && hits[h].end - 1 <= line_end; ++h)
          line_rules.push_back(hits[h].rule);
        std::sort(line_rules.begin(), line_rules.end());
        line_rules.erase(std::unique(line_rules.begin(), line_rules.end()), line_rules.end());
        counted_to = std::min(line_end + 1, content.size());
        std::string_view line = content.substr(line_start, line_end - line_start);
        last_line_spans = scan_line(path, line, line_no, line_rules, out, suppressed);
        last_scanned_line = line_no;
        if (eol) {
          ++line_no;
          line_start = line_end + 1;
        }
      }
    }

    if (whole_file && final_newline_rule >= 0 && content.back() != '\n') {
      const rule& r = rules[final_newline_rule];
      auto* nl = static_cast<const char*>(memrchr(content.data(), '\n', content.size()));
      const size_t start = nl ? static_cast<size_t>(nl - content.data()) + 1 : 0;
      const auto line_no =
          static_cast<uint32_t>(std::count(content.begin(), content.end(), '\n') + 1);
      std::string_view line = content.substr(start);
      if (line_no != last_scanned_line) last_line_spans.clear();
      if (applies_to(r, path)) {
        if (!allowed_by_comment(line, r.id))
          // An empty span at the end of the line: where the '\n' belongs.
          out.push_back(make(r, path, line, line_no, {line.size(), line.size()}, last_line_spans));
        else if (suppressed)
          ++*suppressed;
      }
    }
  }
};

uint64_t count_lines(std::string_view content) {
  constexpr uint64_t ones = 0x0101010101010101ull, low7 = 0x7F7F7F7F7F7F7F7Full;
  const char* p = content.data();
  size_t n = content.size();
  uint64_t lines = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    const uint64_t x = w ^ (ones * '\n');  // a zero byte where w holds '\n'
    // The high bit of each byte of `nonzero` is set exactly when x's byte is
    // not zero (no borrow crosses bytes, unlike the classic haszero test).
    const uint64_t nonzero = (((x & low7) + low7) | x) & ~low7;
    lines += 8 - static_cast<uint64_t>(__builtin_popcountll(nonzero));
  }
  for (; n > 0; ++p, --n) lines += *p == '\n';
  if (!content.empty() && content.back() != '\n') ++lines;
  return lines;
}

bool looks_binary(std::string_view content) {
  return std::memchr(content.data(), '\0', std::min<size_t>(content.size(), 8000)) != nullptr;
}

bool allowed_by_comment(std::string_view line, std::string_view rule_id) {
  size_t pos = 0;
  while ((pos = line.find(allow_directive, pos)) != std::string_view::npos) {
    size_t i = pos + allow_directive.size();
    pos = i;
    std::string_view target;
    if (i < line.size() && line[i] == '(') {
      size_t close = line.find(')', i);
      if (close == std::string_view::npos) close = line.size();
      target = line.substr(i + 1, close - i - 1);
    } else if (i < line.size() && is_id_char(line[i])) {
      continue;  // `casm:allowed`, `casm:allow-x`: another word, not the directive
    } else {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      size_t j = i;
      while (j < line.size() && is_id_char(line[j])) ++j;
      std::string_view word = line.substr(i, j - i);
      while (!word.empty() && word.back() == '.') word.remove_suffix(1);
      // A rule id has a dot; any other word is prose ("casm:allow test data").
      if (word.find('.') != std::string_view::npos) target = word;
    }
    if (target.empty() || target == rule_id) return true;
  }
  return false;
}

std::optional<scanner> scanner::compile(std::vector<rule> rules, std::string* error) {
  auto im = std::make_shared<impl>(std::move(rules));
  std::vector<const char*> patterns;
  std::vector<unsigned> flags, ids;
  for (size_t i = 0; i < im->rules.size(); ++i) {
    const rule& r = im->rules[i];
    for (size_t j = 0; j < i; ++j) {
      if (im->rules[j].id == r.id) {
        if (error) *error = "rule " + r.id + " is defined twice";
        return std::nullopt;
      }
    }
    if (!is_matched(r)) continue;
    if (r.pattern.empty()) {
      if (error) *error = "rule " + r.id + " has an empty pattern";
      return std::nullopt;
    }
    patterns.push_back(r.pattern.c_str());
    flags.push_back(compile_flags(r));
    ids.push_back(static_cast<unsigned>(i));
  }
  if (!patterns.empty()) {
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(patterns.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK, nullptr, &db,
                         &err) != HS_SUCCESS) {
      if (error) {
        std::string which = err->expression >= 0
                                ? im->rules[ids[static_cast<size_t>(err->expression)]].id
                                : std::string("(pack)");
        *error = "rule " + which + ": bad pattern: " + err->message;
      }
      hs_free_compile_error(err);
      return std::nullopt;
    }
    im->db.reset(db);
  }
  return scanner(std::move(im));
}

namespace {

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

bool get_u64(std::string_view& in, uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(8);
  return true;
}

void put_db(std::string& out, const hs_database_t* db) {
  if (!db) {
    put_u64(out, 0);
    return;
  }
  char* bytes = nullptr;
  size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS)
    throw std::runtime_error("hyperscan: cannot serialize a database");
  put_u64(out, length);
  out.append(bytes, length);
  std::free(bytes);
}

}  // namespace

// Layout: magic, pack hash, '\n', then (u64 length, bytes) for the combined
// database and for each rule's start-of-match database (length 0: none).
// Serializing compiles every per-rule database first, so a process that
// loads the blob compiles nothing.
std::string scanner::serialize() const {
  std::string out(blob_magic);
  out += impl_->hash;
  out += '\n';
  put_db(out, impl_->db.get());
  for (size_t i = 0; i < impl_->rules.size(); ++i)
    put_db(out, is_matched(impl_->rules[i]) ? impl_->som_db(i) : nullptr);
  return out;
}

std::optional<scanner> scanner::deserialize(std::vector<rule> rules, std::string_view blob,
                                            std::string* error) {
  auto fail = [&](std::string why) -> std::optional<scanner> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  auto im = std::make_shared<impl>(std::move(rules));
  const size_t header = blob_magic.size() + im->hash.size() + 1;
  if (blob.size() < header || blob.substr(0, blob_magic.size()) != blob_magic)
    return fail("the serialized scanner has no casm header");
  if (blob.substr(blob_magic.size(), im->hash.size()) != im->hash)
    return fail("the serialized scanner is for another rule pack");
  blob.remove_prefix(header);
  auto take = [&](db_ptr& out) -> bool {
    uint64_t length = 0;
    if (!get_u64(blob, length) || length > blob.size()) return false;
    if (length > 0) {
      hs_database_t* db = nullptr;
      if (hs_deserialize_database(blob.data(), length, &db) != HS_SUCCESS) return false;
      out.reset(db);
    }
    blob.remove_prefix(length);
    return true;
  };
  if (!take(im->db))
    return fail("hyperscan rejected the serialized database (another version or CPU?)");
  const bool wants_db = std::any_of(im->rules.begin(), im->rules.end(), is_matched);
  if (wants_db != static_cast<bool>(im->db))
    return fail("the serialized scanner does not match its rule pack");
  for (size_t i = 0; i < im->rules.size(); ++i) {
    db_ptr som;
    if (!take(som)) return fail("hyperscan rejected a serialized per-rule database");
    if (som) std::call_once(im->som[i].once, [&] { im->som[i].db = std::move(som); });
  }
  if (!blob.empty()) return fail("the serialized scanner has trailing bytes");
  return scanner(std::move(im));
}

namespace {

std::mutex pack_store_mu;
scanner::pack_store the_pack_store;

scanner::pack_store current_pack_store() {
  std::lock_guard<std::mutex> lock(pack_store_mu);
  return the_pack_store;
}

}  // namespace

void scanner::set_pack_store(pack_store store) {
  std::lock_guard<std::mutex> lock(pack_store_mu);
  the_pack_store = std::move(store);
}

std::optional<scanner> scanner::for_pack(const std::vector<rule>& rules, std::string* error,
                                         std::string_view serialized) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const impl>> cache;
  const std::string hash = rule_pack_hash(rules);
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(hash);
    if (it != cache.end()) return scanner(it->second);
  }
  // Compiled outside the lock; if two threads race, the first insert wins
  // and both get equivalent scanners.
  std::optional<scanner> s;
  if (!serialized.empty()) s = deserialize(rules, serialized, nullptr);
  const pack_store store = current_pack_store();
  if (!s && store.load) {
    const std::string stored = store.load(hash);
    if (!stored.empty()) s = deserialize(rules, stored, nullptr);
  }
  if (!s) {
    s = compile(rules, error);
    if (!s) return std::nullopt;
    if (store.save) store.save(hash, s->serialize());
  }
  std::lock_guard<std::mutex> lock(mu);
  return scanner(cache.emplace(hash, s->impl_).first->second);
}

const scanner& scanner::builtin() {
  static const scanner s = [] {
    std::string error;
    auto compiled = for_pack(builtin_rules(), &error);
    if (!compiled) throw std::logic_error("the built-in rule pack does not compile: " + error);
    return *compiled;
  }();
  return s;
}

const std::vector<rule>& scanner::rules() const { return impl_->rules; }
const std::string& scanner::pack_hash() const { return impl_->hash; }

std::vector<finding> scanner::scan(std::string_view path, std::string_view content,
                                   const scan_options& options) const {
  std::vector<finding> out;
  const uint64_t size = options.file_size.value_or(content.size());
  // Hyperscan takes an unsigned length and hits store 32-bit offsets.
  const bool too_big = (options.max_file_bytes > 0 && size > options.max_file_bytes) ||
                       content.size() >= std::numeric_limits<uint32_t>::max();
  if (too_big) {
    if (impl_->oversized_rule >= 0) {
      const rule& r = impl_->rules[impl_->oversized_rule];
      finding f = impl_->make(r, path, "", 0, {0, 0}, {});
      f.column = f.end_column = 0;
      f.message = "The file is " + std::to_string(size) + " bytes, over max_file_bytes (" +
                  std::to_string(options.max_file_bytes) + "), so its content was not scanned.";
      out.push_back(std::move(f));
    }
    return out;
  }
  if (options.skip_binary && looks_binary(content)) return out;
  impl_->scan_buffer(path, content, true, out, options.suppressed_inline);
  std::sort(out.begin(), out.end(), [](const finding& a, const finding& b) {
    if (a.line != b.line) return a.line < b.line;
    if (a.column != b.column) return a.column < b.column;
    return a.rule_id < b.rule_id;
  });
  return out;
}

std::vector<finding> scanner::scan_added_lines(
    std::string_view path, const std::vector<std::pair<uint32_t, std::string>>& added_lines,
    const scan_options& options) const {
  std::string buffer;
  std::vector<uint32_t> real_line{0};  // buffer line (1-based) -> real line
  size_t total = 0;
  for (const auto& l : added_lines) total += l.second.size() + 1;
  buffer.reserve(total);
  for (const auto& [number, text] : added_lines) {
    buffer += text;
    buffer += '\n';
    // A '\n' inside an entry (a caller bug) must not shift later entries.
    const auto parts = std::count(text.begin(), text.end(), '\n') + 1;
    real_line.insert(real_line.end(), static_cast<size_t>(parts), number);
  }
  std::vector<finding> out;
  if (buffer.size() >= std::numeric_limits<uint32_t>::max()) return out;
  impl_->scan_buffer(path, buffer, false, out, options.suppressed_inline);
  for (auto& f : out) f.line = real_line[f.line];
  std::sort(out.begin(), out.end(), [](const finding& a, const finding& b) {
    if (a.line != b.line) return a.line < b.line;
    if (a.column != b.column) return a.column < b.column;
    return a.rule_id < b.rule_id;
  });
  return out;
}

}  // namespace casm::policy
