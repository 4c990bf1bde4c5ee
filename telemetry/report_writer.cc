#include "telemetry/report_writer.h"

#include <sstream>

#include "messages/codec/json_text.h"

namespace casm::telemetry {

namespace {
// Markdown table cells: no newlines, no unescaped pipes.
std::string cell(const std::string& bytes) {
  std::string s = codec::display_text(bytes);
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}
}  // namespace

std::string render_report_md(const messages::report_request& q) {
  std::ostringstream md;
  const bool ok = q.status == "succeeded";
  md << "# CASM report: " << q.template_id << "\n\n";
  md << "| | |\n|---|---|\n";
  md << "| run | `" << q.run_id << "` |\n";
  md << "| status | **" << q.status << "** (exit " << q.exit_code << ") |\n";
  md << "| started | " << q.started_at << " |\n";
  md << "| repository | `" << cell(q.repo) << "`" << (q.bare ? " (bare)" : "")
     << (q.shallow ? " (shallow)" : "") << " |\n";
  if (!q.head_commit.empty()) {
    md << "| head | `" << cell(q.head_rev) << "` = `" << q.head_commit << "` |\n";
    md << "| base | `" << q.base_commit << "` |\n";
    md << "| audited | " << q.file_count << " files, " << q.total_bytes << " bytes |\n";
  }
  md << "\n";
  if (!ok) {
    md << "## Why it failed\n\n";
    md << "- kind: `" << q.failure_kind << "`\n";
    md << "- reason: " << cell(q.reason) << "\n\n";
  }
  md << "## Stages\n\n| stage | status | detail |\n|---|---|---|\n";
  for (const auto& s : q.stages)
    md << "| " << s.stage << " | " << s.status << " | " << cell(s.detail) << " |\n";
  md << "| report | " << (ok ? "completed" : "completed (failure report)") << " | this file |\n";
  md << "\n## Cost\n\nNo model calls were made: $0.00 (calculated).\n";
  md << "\n---\nExplain this run: `casm explain --run-id " << q.run_id << "`\n";
  return md.str();
}

}  // namespace casm::telemetry
