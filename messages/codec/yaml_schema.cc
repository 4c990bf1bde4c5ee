#include "messages/codec/yaml_schema.h"

#include <cmath>
#include <set>
#include <sstream>

namespace casm::codec {
namespace {

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i) out += ", ";
    out += xs[i];
  }
  return out;
}

const char* kind_name(yaml_kind k) {
  switch (k) {
    case yaml_kind::string: return "a string";
    case yaml_kind::number: return "a number";
    case yaml_kind::integer: return "an integer";
    case yaml_kind::boolean: return "true or false";
    case yaml_kind::string_list: return "a list of strings";
    case yaml_kind::map: return "a mapping";
    case yaml_kind::list_of_maps: return "a list of mappings";
    case yaml_kind::string_map: return "a mapping of strings";
  }
  return "?";
}

bool as_number(const YAML::Node& n, double& out) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && std::isfinite(out);
}

void check_value(const std::string& file, const YAML::Node& node, const yaml_field& f,
                 const std::string& path, std::vector<config_error>& errors);

void check_scalar_enum(const std::string& file, const YAML::Node& node, const yaml_field& f,
                       const std::string& path, std::vector<config_error>& errors) {
  if (f.allowed.empty()) return;
  for (const auto& a : f.allowed)
    if (node.Scalar() == a) return;
  errors.push_back(make_config_error(
    file, node.Mark(), path,
    "'" + path + "' must be one of " + join(f.allowed) + ", not '" + node.Scalar() + "'"));
}

void check_value(const std::string& file, const YAML::Node& node, const yaml_field& f,
                 const std::string& path, std::vector<config_error>& errors) {
  auto wrong_type = [&] {
    errors.push_back(make_config_error(file, node.Mark(), path,
                                       "'" + path + "' must be " + kind_name(f.kind)));
  };
  switch (f.kind) {
    case yaml_kind::string:
      if (!node.IsScalar()) return wrong_type();
      check_scalar_enum(file, node, f, path, errors);
      return;
    case yaml_kind::boolean: {
      if (!node.IsScalar()) return wrong_type();
      const auto& s = node.Scalar();
      if (s != "true" && s != "false") return wrong_type();
      return;
    }
    case yaml_kind::number:
    case yaml_kind::integer: {
      double v;
      if (!as_number(node, v)) return wrong_type();
      if (f.kind == yaml_kind::integer && std::floor(v) != v) return wrong_type();
      if ((f.min && v < *f.min) || (f.max && v > *f.max)) {
        std::ostringstream msg;
        msg << "'" << path << "' is " << node.Scalar() << ", outside [";
        if (f.min) msg << *f.min; else msg << "-inf";
        msg << ", ";
        if (f.max) msg << *f.max; else msg << "inf";
        msg << "]";
        errors.push_back(make_config_error(file, node.Mark(), path, msg.str()));
      }
      return;
    }
    case yaml_kind::string_list:
      if (!node.IsSequence()) return wrong_type();
      for (size_t i = 0; i < node.size(); ++i) {
        const auto& item = node[i];
        std::string ipath = path + "[" + std::to_string(i) + "]";
        if (!item.IsScalar()) {
          errors.push_back(make_config_error(file, item.Mark(), ipath,
                                             "'" + ipath + "' must be a string"));
          continue;
        }
        check_scalar_enum(file, item, f, ipath, errors);
      }
      return;
    case yaml_kind::map:
      if (!node.IsMap()) return wrong_type();
      check_yaml(file, node, f.children, errors, path);
      return;
    case yaml_kind::list_of_maps:
      if (!node.IsSequence()) return wrong_type();
      for (size_t i = 0; i < node.size(); ++i) {
        const auto& item = node[i];
        std::string ipath = path + "[" + std::to_string(i) + "]";
        if (!item.IsMap()) {
          errors.push_back(make_config_error(file, item.Mark(), ipath,
                                             "'" + ipath + "' must be a mapping"));
          continue;
        }
        check_yaml(file, item, f.children, errors, ipath);
      }
      return;
    case yaml_kind::string_map:
      if (!node.IsMap()) return wrong_type();
      for (auto it = node.begin(); it != node.end(); ++it)
        if (!it->second.IsScalar())
          errors.push_back(make_config_error(file, it->second.Mark(),
                                             path + "." + it->first.Scalar(),
                                             "'" + path + "." + it->first.Scalar() +
                                               "' must be a string"));
      return;
  }
}

}  // namespace

std::string config_error::to_string() const {
  std::ostringstream out;
  if (!file.empty()) {
    out << file;
    if (line > 0) out << ":" << line << ":" << column;
    out << ": ";
  }
  out << message;
  return out.str();
}

config_error make_config_error(const std::string& file, const YAML::Mark& mark, std::string key,
                               std::string message) {
  config_error e;
  e.file = file;
  if (!mark.is_null()) {
    e.line = mark.line + 1;
    e.column = mark.column + 1;
  }
  e.key = std::move(key);
  e.message = std::move(message);
  return e;
}

std::optional<config_error> parse_yaml(const std::string& file, const std::string& text,
                                       YAML::Node& out) {
  try {
    out = YAML::Load(text);
  } catch (const YAML::Exception& ex) {
    return make_config_error(file, ex.mark, "", "malformed YAML: " + ex.msg);
  }
  if (!out.IsMap()) {
    return make_config_error(file, out.Mark(), "",
                             "the document must be a mapping of keys to values");
  }
  return std::nullopt;
}

void check_yaml(const std::string& file, const YAML::Node& root, const yaml_schema& schema,
                std::vector<config_error>& errors, const std::string& prefix) {
  std::set<std::string> seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.Scalar();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (!seen.insert(key).second) {
      errors.push_back(make_config_error(file, it->first.Mark(), path,
                                         "duplicate key '" + path + "'"));
      continue;
    }
    const yaml_field* field = nullptr;
    for (const auto& f : schema)
      if (f.key == key) field = &f;
    if (!field) {
      std::vector<std::string> known;
      for (const auto& f : schema) known.push_back(f.key);
      errors.push_back(make_config_error(
        file, it->first.Mark(), path,
        "unknown key '" + path + "'" +
          (known.empty() ? std::string() : " (expected one of: " + join(known) + ")")));
      continue;
    }
    check_value(file, it->second, *field, path, errors);
  }
  for (const auto& f : schema) {
    if (f.required && !seen.count(f.key)) {
      const std::string path = prefix.empty() ? f.key : prefix + "." + f.key;
      errors.push_back(make_config_error(file, root.Mark(), path,
                                         "missing required key '" + path + "'"));
    }
  }
}

}  // namespace casm::codec
