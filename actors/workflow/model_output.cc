#include "actors/workflow/model_output.h"

#include <cstdio>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "messages/codec/json_text.h"
#include "policy/redaction.h"

namespace casm::workflow {

namespace {

// The text inside the first ``` fence, if the reply is fenced; else as is.
std::string unfence(const std::string& s) {
  auto open = s.find("```");
  if (open == std::string::npos) return s;
  auto nl = s.find('\n', open);
  if (nl == std::string::npos) return s;
  auto close = s.find("```", nl + 1);
  return s.substr(nl + 1, close == std::string::npos ? std::string::npos : close - nl - 1);
}

std::string finding_line(const messages::finding& f) {
  std::string out = "- " + f.rule_id + " " + codec::display_text(f.path) + ":" +
                    std::to_string(f.line) + " " + f.message;
  if (!f.preview.empty()) out += " | " + f.preview;
  return out + "\n";
}

}  // namespace

prompt review_prompt(const std::vector<messages::finding>& findings,
                     const std::vector<std::string>& paths, const std::string& excerpt,
                     uint64_t excerpt_cap) {
  prompt p;
  p.system =
    "You review source code for security and correctness problems. Secrets in the input are "
    "masked. Answer with JSON only, exactly: {\"issues\": [{\"path\": string, \"line\": "
    "integer >= 1, \"severity\": \"info\"|\"low\"|\"medium\"|\"high\", \"message\": string}]}. "
    "Use only paths listed in the input. An empty list is a valid answer.";
  std::string u = "Files:\n";
  for (const auto& path : paths) u += "- " + codec::display_text(path) + "\n";
  u += "\nFindings of the deterministic scanner (secrets masked):\n";
  if (findings.empty()) u += "(none)\n";
  for (const auto& f : findings) u += finding_line(f);
  std::string code = excerpt.substr(0, std::min<size_t>(excerpt.size(), excerpt_cap));
  // Cut back to a line end so no line is half sent.
  if (code.size() < excerpt.size()) {
    auto nl = code.rfind('\n');
    code.resize(nl == std::string::npos ? 0 : nl + 1);
  }
  u += "\nCode (secrets masked):\n" + code;
  p.user = policy::redact_text(u);
  return p;
}

prompt fix_prompt(const std::vector<messages::finding>& findings, size_t max_items) {
  prompt p;
  p.system =
    "You propose minimal fixes as a unified diff (headers --- a/PATH and +++ b/PATH, hunks "
    "@@ -l,n +l,n @@). Secrets in the input are masked: never write a secret; replace a "
    "hard-coded secret with a read of an environment variable. Answer with the diff only.";
  std::string u = "Problems a human must fix (secrets masked):\n";
  for (size_t i = 0; i < findings.size() && i < max_items; ++i) u += finding_line(findings[i]);
  p.user = policy::redact_text(u);
  return p;
}

review_verdict check_review_output(const std::string& content,
                                   const std::set<std::string>& paths) {
  review_verdict v;
  auto doc = nlohmann::json::parse(unfence(content), nullptr, false);
  if (doc.is_discarded()) {
    v.reason = "the reply is not JSON";
    return v;
  }
  if (!doc.is_object() || !doc.contains("issues") || !doc["issues"].is_array()) {
    v.reason = "the reply has no \"issues\" list";
    return v;
  }
  const auto& issues = doc["issues"];
  if (issues.size() > 200) {
    v.reason = "the reply lists " + std::to_string(issues.size()) + " issues (at most 200)";
    return v;
  }
  for (size_t i = 0; i < issues.size(); ++i) {
    const auto& it = issues[i];
    const std::string where = "issue " + std::to_string(i + 1);
    if (!it.is_object()) {
      v.reason = where + " is not an object";
      return v;
    }
    auto str = [&](const char* k) -> const nlohmann::json* {
      auto f = it.find(k);
      return f != it.end() && f->is_string() ? &*f : nullptr;
    };
    auto path = str("path");
    auto sev = str("severity");
    auto msg = str("message");
    auto line = it.find("line");
    if (!path || !paths.count(path->get<std::string>())) {
      v.reason = where + " names a path that is not in the input";
      return v;
    }
    if (line == it.end() || !line->is_number_integer() || line->get<int64_t>() < 1 ||
        line->get<int64_t>() > 100000000) {
      v.reason = where + " has no line number >= 1";
      return v;
    }
    static const std::set<std::string> severities{"info", "low", "medium", "high"};
    if (!sev || !severities.count(sev->get<std::string>())) {
      v.reason = where + " has no severity among info, low, medium, high";
      return v;
    }
    if (!msg || msg->get<std::string>().empty()) {
      v.reason = where + " has no message";
      return v;
    }
    messages::model_issue mi;
    mi.path = path->get<std::string>();
    mi.line = static_cast<uint32_t>(line->get<int64_t>());
    mi.severity = sev->get<std::string>();
    std::string m = policy::redact_text(msg->get<std::string>());
    if (m.size() > 500) m.resize(500);
    mi.message = codec::display_text(m);
    v.issues.push_back(std::move(mi));
  }
  v.accepted = true;
  return v;
}

diff_verdict check_fix_output(const std::string& content, const std::set<std::string>& paths) {
  diff_verdict v;
  std::string text = unfence(content);
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    lines.push_back(l);
  }
  static const std::regex hunk(R"(^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@.*$)");
  auto strip = [](const std::string& p, const char* prefix) {
    std::string s = p;
    if (auto tab = s.find('\t'); tab != std::string::npos) s.resize(tab);
    if (s.rfind(prefix, 0) == 0) s = s.substr(2);
    return s;
  };
  std::string out;
  size_t i = 0;
  // Leading prose (e.g. "diff --git", "index") is dropped up to the first header.
  while (i < lines.size() && lines[i].rfind("--- ", 0) != 0) ++i;
  if (i == lines.size()) {
    v.reason = "the reply holds no unified diff (no '--- ' header)";
    return v;
  }
  while (i < lines.size()) {
    if (lines[i].rfind("diff ", 0) == 0 || lines[i].rfind("index ", 0) == 0) {
      ++i;
      continue;
    }
    if (lines[i].empty() && i + 1 == lines.size()) break;
    if (lines[i].rfind("--- ", 0) != 0 || i + 1 >= lines.size() ||
        lines[i + 1].rfind("+++ ", 0) != 0) {
      v.reason = "line " + std::to_string(i + 1) + " is not a file header (--- / +++)";
      return v;
    }
    const std::string path = strip(lines[i + 1].substr(4), "b/");
    if (!paths.count(path)) {
      v.reason = "the diff changes '" + codec::display_text(path) + "', which is not a file the fix was asked for";
      return v;
    }
    v.files.push_back(path);
    out += lines[i] + "\n" + lines[i + 1] + "\n";
    i += 2;
    size_t hunks = 0;
    while (i < lines.size() && lines[i].rfind("@@", 0) == 0) {
      std::smatch m;
      if (!std::regex_match(lines[i], m, hunk)) {
        v.reason = "line " + std::to_string(i + 1) + " is not a hunk header";
        return v;
      }
      long old_n = m[2].matched ? std::stol(m[2]) : 1;
      long new_n = m[4].matched ? std::stol(m[4]) : 1;
      out += lines[i] + "\n";
      ++i;
      ++hunks;
      while (i < lines.size() && (old_n > 0 || new_n > 0)) {
        const std::string& l = lines[i];
        const char c = l.empty() ? ' ' : l[0];
        if (c == ' ') { --old_n; --new_n; }
        else if (c == '-') --old_n;
        else if (c == '+') --new_n;
        else if (c == '\\') {}
        else break;
        out += l + "\n";
        ++i;
      }
      if (i < lines.size() && lines[i].rfind("\\", 0) == 0) out += lines[i++] + "\n";
      if (old_n != 0 || new_n != 0) {
        v.reason = "a hunk of '" + codec::display_text(path) + "' does not have the line counts its header states";
        return v;
      }
    }
    if (hunks == 0) {
      v.reason = "the diff of '" + codec::display_text(path) + "' has no hunk";
      return v;
    }
  }
  v.diff = policy::redact_text(out);
  v.accepted = true;
  return v;
}

}  // namespace casm::workflow
