#include "policy/dependency_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

namespace casm::policy {

namespace {

// name -> spec, sorted by name. nullopt: the text is not a valid manifest.
using dependency_map = std::map<std::string, std::string>;
// lockfile package name -> the versions it pins.
using lock_map = std::map<std::string, std::set<std::string>>;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// A spec such as "git+https://user:token@host/repo.git" names its source
// with credentials in the URL. Changes are recorded and printed, so the
// userinfo of every URL is replaced by "***" (DESIGN.md: secrets never leave
// the process in clear). Versions are classified on the spec as written.
std::string without_credentials(std::string_view spec) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t scheme = spec.find("://", pos);
    if (scheme == std::string_view::npos) break;
    const size_t host = scheme + 3;
    const size_t end = spec.find_first_of("/?# \t", host);
    const std::string_view authority =
      spec.substr(host, end == std::string_view::npos ? std::string_view::npos : end - host);
    const size_t at = authority.rfind('@');
    out += spec.substr(pos, host - pos);
    if (at != std::string_view::npos) {
      out += "***";
      out += authority.substr(at);
    } else {
      out += authority;
    }
    pos = host + authority.size();
  }
  out += spec.substr(pos);
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string_view unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
    return s.substr(1, s.size() - 2);
  return s;
}

// Calls f(line) for each '\n'-separated line (without the '\n').
template <class F>
void for_each_line(std::string_view text, F f) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    f(text.substr(start, nl - start));
    start = nl + 1;
  }
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !is_blank(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Cuts a '#' comment that is outside quotes (TOML, requirements).
std::string_view strip_hash_comment(std::string_view line, bool need_blank_before) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"') ++i;
    } else if (c == '"' || c == '\'') {
      if (!need_blank_before) quote = c;
    } else if (c == '#' && (!need_blank_before || i == 0 || is_blank(line[i - 1]))) {
      return line.substr(0, i);
    }
  }
  return line;
}

// --- versions -----------------------------------------------------------

// The first version number of a spec as its components (leading zeros
// dropped, kept as text so no number overflows), or empty when there is none.
std::vector<std::string> version_numbers(std::string_view spec) {
  spec = trim(spec);
  while (!spec.empty() && (spec.front() == '^' || spec.front() == '~' || spec.front() == '=' ||
                           spec.front() == '<' || spec.front() == '>' || spec.front() == '!' ||
                           spec.front() == 'v' || spec.front() == 'V' || is_blank(spec.front())))
    spec.remove_prefix(1);
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
    size_t j = i;
    while (j < spec.size() && spec[j] >= '0' && spec[j] <= '9') ++j;
    std::string_view digits = spec.substr(i, j - i);
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    parts.emplace_back(digits);
    if (j + 1 < spec.size() && spec[j] == '.' && spec[j + 1] >= '0' && spec[j + 1] <= '9')
      i = j + 1;
    else
      break;
  }
  return parts;
}

std::vector<std::string> breaking_part(std::vector<std::string> v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != "0") {
      v.resize(i + 1);
      break;
    }
  }
  return v;
}

// --- manifests ----------------------------------------------------------

std::optional<dependency_map> parse_package_json(std::string_view text) {
  const auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  dependency_map out;
  for (const char* section :
       {"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"}) {
    auto it = doc.find(section);
    if (it == doc.end() || !it->is_object()) continue;
    for (auto d = it->begin(); d != it->end(); ++d)
      out.emplace(d.key(), d.value().is_string() ? d.value().get<std::string>()
                                                 : d.value().dump());
  }
  return out;
}

// PEP 503: case-insensitive, runs of '-', '_', '.' are one '-'.
std::string normalize_python_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (out.empty() || out.back() != '-') out += '-';
    } else {
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  return out;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

dependency_map parse_requirements(std::string_view text) {
  // Joins '\' continuations first.
  std::vector<std::string> lines;
  std::string pending;
  for_each_line(text, [&](std::string_view raw) {
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\\') {
      pending.append(line.substr(0, line.size() - 1));
      return;
    }
    pending.append(line);
    lines.push_back(std::move(pending));
    pending.clear();
  });
  if (!pending.empty()) lines.push_back(pending);

  dependency_map out;
  for (const auto& full : lines) {
    std::string_view line = trim(strip_hash_comment(full, true));
    // Options (-r, -e, --index-url) and bare URLs name no package here.
    if (line.empty() || line.front() == '-') continue;
    size_t n = 0;
    while (n < line.size() && is_name_char(line[n])) ++n;
    if (n == 0) continue;
    std::string_view name = line.substr(0, n);
    std::string_view rest = trim(line.substr(n));
    // A requirement continues with extras, a version spec, "@ url" or
    // markers; anything else ("https://...", "git+...") is a bare URL.
    if (!rest.empty() && std::string_view("[=<>!~@;(").find(rest.front()) == std::string_view::npos)
      continue;
    if (!rest.empty() && rest.front() == '[') {  // extras
      const size_t close = rest.find(']');
      rest = close == std::string_view::npos ? std::string_view() : rest.substr(close + 1);
    }
    rest = rest.substr(0, rest.find(';'));  // environment markers
    const size_t opt = rest.find(" --");  // per-requirement options (--hash)
    if (opt != std::string_view::npos) rest = rest.substr(0, opt);
    std::string spec;
    for (char c : rest)
      if (!is_blank(c)) spec += c;
    out.emplace(normalize_python_name(name), spec);
  }
  return out;
}

dependency_map parse_go_mod(std::string_view text) {
  dependency_map out;
  enum { none, require, replace } block = none;
  auto add_require = [&](const std::vector<std::string_view>& w, size_t at) {
    if (w.size() >= at + 2) out.emplace(std::string(unquote(w[at])), std::string(w[at + 1]));
  };
  // "replace a [v] => b [v]": keyed "a (replace)", so that a new or changed
  // replacement (a redirect to another source) is a change of its own.
  auto add_replace = [&](const std::vector<std::string_view>& w, size_t at) {
    auto arrow = std::find(w.begin() + static_cast<long>(std::min(at, w.size())), w.end(), "=>");
    if (arrow == w.end() || arrow == w.begin() + static_cast<long>(at)) return;
    std::string key(unquote(w[at]));
    for (auto it = w.begin() + static_cast<long>(at) + 1; it != arrow; ++it)
      key += " " + std::string(*it);
    std::string target = "=>";
    for (auto it = arrow + 1; it != w.end(); ++it) target += " " + std::string(*it);
    out.emplace(key + " (replace)", target);
  };
  for_each_line(text, [&](std::string_view raw) {
    std::string_view line = raw;
    const size_t comment = line.find("//");
    if (comment != std::string_view::npos) line = line.substr(0, comment);
    const auto w = words(line);
    if (w.empty()) return;
    if (block != none) {
      if (w[0] == ")") {
        block = none;
      } else if (block == require) {
        add_require(w, 0);
      } else {
        add_replace(w, 0);
      }
      return;
    }
    if (w[0] == "require" || w[0] == "replace") {
      const bool req = w[0] == "require";
      if (w.size() >= 2 && w[1] == "(") {
        block = req ? require : replace;
      } else if (req) {
        add_require(w, 1);
      } else {
        add_replace(w, 1);
      }
    }
  });
  return out;
}

// Splits a TOML inline table body ("version = \"1\", features = [\"a\"]")
// at top-level commas and returns the value of `key`, unquoted.
std::optional<std::string> inline_table_get(std::string_view body, std::string_view key) {
  size_t start = 0;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i <= body.size(); ++i) {
    const char c = i < body.size() ? body[i] : ',';
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"') ++i;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '[' || c == '{') ++depth;
    else if (c == ']' || c == '}') --depth;
    else if (c == ',' && depth == 0) {
      std::string_view part = body.substr(start, i - start);
      const size_t eq = part.find('=');
      if (eq != std::string_view::npos && unquote(part.substr(0, eq)) == key)
        return std::string(unquote(part.substr(eq + 1)));
      start = i + 1;
    }
  }
  return std::nullopt;
}

// A Cargo dependency's spec: its version, else where it comes from.
std::string cargo_spec_from_table(std::string_view body) {
  if (auto v = inline_table_get(body, "version")) return *v;
  if (auto g = inline_table_get(body, "git")) {
    std::string s = "git " + *g;
    for (const char* pin : {"rev", "tag", "branch"})
      if (auto p = inline_table_get(body, pin)) s += std::string(" ") + pin + " " + *p;
    return s;
  }
  if (auto p = inline_table_get(body, "path")) return "path " + *p;
  if (auto w = inline_table_get(body, "workspace")) return w == "true" ? "workspace" : "";
  return "";
}

// "dependencies" etc. as the last dotted component of a table name, or as
// the one before a dependency's own table ("dependencies.serde").
constexpr std::string_view cargo_sections[] = {"dependencies", "dev-dependencies",
                                               "build-dependencies"};

dependency_map parse_cargo_toml(std::string_view text) {
  dependency_map out;
  bool in_dep_table = false;  // [dependencies] and kin
  std::string table_dep;      // [dependencies.<name>]: that name
  std::map<std::string, std::string> table_fields;  // its key lines, joined
  auto flush_table = [&] {
    if (table_dep.empty()) return;
    std::string body;
    for (const auto& [k, v] : table_fields) body += k + " = " + v + ",";
    out.emplace(table_dep, cargo_spec_from_table(body));
    table_dep.clear();
    table_fields.clear();
  };
  for_each_line(text, [&](std::string_view raw) {
    std::string_view line = trim(strip_hash_comment(raw, false));
    if (line.empty()) return;
    if (line.front() == '[') {
      flush_table();
      in_dep_table = false;
      if (starts_with(line, "[[")) return;  // arrays of tables: [[bin]] etc.
      std::string name;
      for (char c : line.substr(1, line.find(']') - 1))
        if (!is_blank(c)) name += c;
      for (auto s : cargo_sections) {
        const std::string dotted = "." + std::string(s);
        if (name == s || ends_with(name, dotted)) {
          in_dep_table = true;
          return;
        }
        std::string_view rest;
        if (starts_with(name, std::string(s) + ".")) {
          rest = std::string_view(name).substr(s.size() + 1);
        } else {
          const size_t at = name.rfind(dotted + ".");
          if (at != std::string::npos) rest = std::string_view(name).substr(at + dotted.size() + 1);
        }
        if (!rest.empty()) {
          table_dep = std::string(unquote(rest));
          return;
        }
      }
      return;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return;
    std::string key(unquote(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    if (!table_dep.empty()) {
      table_fields[key] = std::string(value);
      return;
    }
    if (!in_dep_table) return;
    // `serde.workspace = true`, `serde.version = "1"`
    const size_t dot = key.find('.');
    if (dot != std::string::npos) {
      std::string body = key.substr(dot + 1) + " = " + std::string(value);
      out.emplace(std::string(unquote(key.substr(0, dot))), cargo_spec_from_table(body));
      return;
    }
    if (!value.empty() && value.front() == '{') {
      const size_t close = value.rfind('}');
      out.emplace(key, cargo_spec_from_table(value.substr(1, close == std::string_view::npos
                                                                  ? std::string_view::npos
                                                                  : close - 1)));
    } else {
      out.emplace(key, std::string(unquote(value)));
    }
  });
  flush_table();
  return out;
}

// --- lockfiles ----------------------------------------------------------

// "name@version" or "@scope/name@version" -> (name, version).
std::pair<std::string, std::string> split_at_version(std::string_view key) {
  const size_t at = key.find('@', 1);
  if (at == std::string_view::npos) return {std::string(key), ""};
  return {std::string(key.substr(0, at)), std::string(key.substr(at + 1))};
}

std::optional<lock_map> parse_package_lock(std::string_view text) {
  const auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  lock_map out;
  auto version_of = [](const nlohmann::json& v) {
    auto it = v.is_object() ? v.find("version") : v.end();
    return it != v.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (auto p = doc.find("packages"); p != doc.end() && p->is_object()) {
    for (auto it = p->begin(); it != p->end(); ++it) {
      if (it.key().empty()) continue;  // the root project
      const size_t nm = it.key().rfind("node_modules/");
      std::string name = nm == std::string::npos ? it.key() : it.key().substr(nm + 13);
      out[name].insert(version_of(it.value()));
    }
  } else if (auto d = doc.find("dependencies"); d != doc.end() && d->is_object()) {
    for (auto it = d->begin(); it != d->end(); ++it) out[it.key()].insert(version_of(it.value()));
  }
  return out;
}

lock_map parse_pnpm_lock(std::string_view text) {
  lock_map out;
  bool in_packages = false;
  for_each_line(text, [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return;
    if (!is_blank(line.front())) {
      in_packages = trim(line) == "packages:";
      return;
    }
    // Package keys sit at exactly two spaces: "  /name@1.0.0:" (v6),
    // "  name@1.0.0:" (v9), "  /name/1.0.0:" (v5).
    if (!in_packages || line.size() < 3 || line[0] != ' ' || line[1] != ' ' || line[2] == ' ')
      return;
    std::string_view key = trim(line);
    if (key.empty() || key.back() != ':') return;
    key = unquote(key.substr(0, key.size() - 1));
    if (!key.empty() && key.front() == '/') key.remove_prefix(1);
    key = key.substr(0, key.find('('));  // peer suffixes
    auto [name, version] = split_at_version(key);
    if (version.empty()) {  // v5: name/version
      const size_t slash = name.rfind('/');
      if (slash != std::string::npos && slash > 0 && name.front() != '@') {
        version = name.substr(slash + 1);
        name = name.substr(0, slash);
      }
    }
    out[name].insert(version);
  });
  return out;
}

lock_map parse_yarn_lock(std::string_view text) {
  lock_map out;
  std::vector<std::string> current;  // names of the entry being read
  for_each_line(text, [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') return;
    if (!is_blank(line.front())) {
      current.clear();
      std::string_view header = trim(line);
      if (header.empty() || header.back() != ':') return;
      header.remove_suffix(1);
      // `"a@^1", a@^1.1:` - every spec names the same package.
      std::string_view first = header.substr(0, header.find(','));
      std::string name = split_at_version(unquote(first)).first;
      if (!starts_with(name, "__")) current.push_back(std::move(name));  // __metadata
      return;
    }
    std::string_view body = trim(line);
    if (current.empty() || !starts_with(body, "version")) return;
    body.remove_prefix(7);
    if (!body.empty() && body.front() == ':') body.remove_prefix(1);  // berry
    for (const auto& name : current) out[name].insert(std::string(unquote(body)));
  });
  return out;
}

lock_map parse_cargo_lock(std::string_view text) {
  lock_map out;
  std::string name;
  for_each_line(text, [&](std::string_view raw) {
    std::string_view line = trim(raw);
    if (line == "[[package]]") {
      name.clear();
      return;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return;
    std::string_view key = trim(line.substr(0, eq));
    if (key == "name") name = std::string(unquote(line.substr(eq + 1)));
    if (key == "version" && !name.empty())
      out[name].insert(std::string(unquote(line.substr(eq + 1))));
  });
  return out;
}

lock_map parse_go_sum(std::string_view text) {
  lock_map out;
  for_each_line(text, [&](std::string_view line) {
    const auto w = words(line);
    if (w.size() < 2) return;
    std::string_view version = w[1];
    if (ends_with(version, "/go.mod")) version.remove_suffix(7);
    out[std::string(w[0])].insert(std::string(version));
  });
  return out;
}

std::optional<lock_map> parse_lock(manifest_format f, std::string_view text) {
  switch (f) {
    case manifest_format::package_lock_json: return parse_package_lock(text);
    case manifest_format::pnpm_lock_yaml: return parse_pnpm_lock(text);
    case manifest_format::yarn_lock: return parse_yarn_lock(text);
    case manifest_format::cargo_lock: return parse_cargo_lock(text);
    case manifest_format::go_sum: return parse_go_sum(text);
    default: return std::nullopt;
  }
}

std::optional<dependency_map> parse_manifest(manifest_format f, std::string_view text) {
  switch (f) {
    case manifest_format::package_json: return parse_package_json(text);
    case manifest_format::requirements_txt: return parse_requirements(text);
    case manifest_format::go_mod: return parse_go_mod(text);
    case manifest_format::cargo_toml: return parse_cargo_toml(text);
    default: return std::nullopt;
  }
}

std::string lock_detail(const std::optional<std::string>& before,
                        const std::optional<std::string>& after, manifest_format f) {
  if (!after) return "the lockfile was removed";
  const auto b = before ? parse_lock(f, *before) : std::optional<lock_map>(lock_map{});
  const auto a = parse_lock(f, *after);
  if (!b || !a) return "the lockfile changed; its packages could not be compared";
  size_t added = 0, removed = 0, changed = 0;
  for (const auto& [name, versions] : *a) {
    auto it = b->find(name);
    if (it == b->end()) ++added;
    else if (it->second != versions) ++changed;
  }
  for (const auto& [name, versions] : *b)
    if (!a->count(name)) ++removed;
  std::string s = before ? "" : "new lockfile: ";
  return s + std::to_string(added) + " packages added, " + std::to_string(removed) +
         " removed, " + std::to_string(changed) + " changed";
}

}  // namespace

manifest_format format_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name == "package.json") return manifest_format::package_json;
  if (name == "requirements.txt") return manifest_format::requirements_txt;
  if (name == "go.mod") return manifest_format::go_mod;
  if (name == "Cargo.toml") return manifest_format::cargo_toml;
  if (name == "package-lock.json") return manifest_format::package_lock_json;
  if (name == "pnpm-lock.yaml") return manifest_format::pnpm_lock_yaml;
  if (name == "yarn.lock") return manifest_format::yarn_lock;
  if (name == "Cargo.lock") return manifest_format::cargo_lock;
  if (name == "go.sum") return manifest_format::go_sum;
  return manifest_format::unknown;
}

bool is_lockfile(manifest_format f) {
  return f == manifest_format::package_lock_json || f == manifest_format::pnpm_lock_yaml ||
         f == manifest_format::yarn_lock || f == manifest_format::cargo_lock ||
         f == manifest_format::go_sum;
}

version_change classify_version_change(std::string_view from, std::string_view to) {
  from = trim(from);
  to = trim(to);
  if (from == to) return version_change::none;
  if (to.empty()) return version_change::major;    // the constraint was dropped
  if (from.empty()) return version_change::minor;  // a constraint was added
  const auto a = version_numbers(from);
  const auto b = version_numbers(to);
  if (a.empty() || b.empty()) return version_change::major;
  return breaking_part(a) == breaking_part(b) ? version_change::minor : version_change::major;
}

std::vector<dependency_change> diff_dependencies(const dependency_manifest& m) {
  std::vector<dependency_change> out;
  if (m.before == m.after) return out;
  const manifest_format f = format_of(m.path);
  if (f == manifest_format::unknown) return out;

  if (is_lockfile(f)) {
    dependency_change c;
    c.file = m.path;
    c.kind = dependency_change_kind::lockfile_changed;
    c.detail = lock_detail(m.before, m.after, f);
    out.push_back(std::move(c));
    return out;
  }

  std::optional<dependency_map> before = dependency_map{}, after = dependency_map{};
  if (m.before) before = parse_manifest(f, *m.before);
  if (m.after) after = parse_manifest(f, *m.after);
  if (!before || !after) {
    dependency_change c;
    c.file = m.path;
    c.kind = dependency_change_kind::unparsed;
    c.detail = std::string(!after ? "the new" : "the old") + " version of " + m.path +
               " does not parse, so its dependency changes are unknown";
    out.push_back(std::move(c));
    return out;
  }
  auto add = [&](const std::string& name, dependency_change_kind kind, std::string from,
                 std::string to) {
    dependency_change c;
    c.file = m.path;
    c.name = name;
    c.kind = kind;
    c.from = without_credentials(from);
    c.to = without_credentials(to);
    out.push_back(std::move(c));
  };
  for (const auto& [name, spec] : *after) {
    auto it = before->find(name);
    if (it == before->end()) {
      add(name, dependency_change_kind::added, "", spec);
      continue;
    }
    switch (classify_version_change(it->second, spec)) {
      case version_change::none: break;
      case version_change::minor:
        add(name, dependency_change_kind::minor_bump, it->second, spec);
        break;
      case version_change::major:
        add(name, dependency_change_kind::major_bump, it->second, spec);
        break;
    }
  }
  for (const auto& [name, spec] : *before)
    if (!after->count(name)) add(name, dependency_change_kind::removed, spec, "");
  std::sort(out.begin(), out.end(), [](const dependency_change& a, const dependency_change& b) {
    return std::tie(a.name, a.kind) < std::tie(b.name, b.kind);
  });
  return out;
}

std::vector<dependency_change> diff_dependencies(
    const std::vector<dependency_manifest>& manifests) {
  std::vector<dependency_change> out;
  for (const auto& m : manifests) {
    auto changes = diff_dependencies(m);
    out.insert(out.end(), std::make_move_iterator(changes.begin()),
               std::make_move_iterator(changes.end()));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const dependency_change& a, const dependency_change& b) {
                     return std::tie(a.file, a.name, a.kind) < std::tie(b.file, b.name, b.kind);
                   });
  return out;
}

}  // namespace casm::policy
