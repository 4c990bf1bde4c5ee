#include "telemetry/report_writer.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>

#include "messages/codec/json_text.h"

namespace casm::telemetry {

namespace {
// Markdown table cells: no newlines, no unescaped pipes, no backticks.
std::string cell(const std::string& bytes) {
  std::string s = codec::display_text(bytes);
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '`') out += '\'';
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}


void render_audit(std::ostringstream& md, const messages::report_request& q) {
  const auto& a = q.audit;
  const auto& sc = a.scope;
  md << "\n## What was audited\n\n";
  md << "- mode: `" << sc.mode << "`";
  if (sc.mode == "diff") md << " (only lines added since `" << sc.base_commit << "`)";
  if (sc.mode == "history") md << " (every commit reachable from head)";
  md << "\n- commit: `" << sc.head_commit << "`\n";
  md << "- scanned: " << sc.files_scanned << " files, " << sc.bytes_scanned << " bytes";
  if (sc.commits_scanned) md << ", " << sc.commits_scanned << " commits";
  md << "\n- rule pack: `" << sc.rule_pack_hash << "`\n";
  md << "- suppressed: " << sc.suppressed_inline << " by `casm:allow` comments, "
     << sc.suppressed_allowlist << " by allowlisted fingerprints, " << sc.suppressed_baseline
     << " by the baseline\n";
  if (!sc.skipped.empty()) {
    md << "\n### Skipped files (" << sc.skipped.size() << ")\n\n| path | reason | bytes | detail |\n|---|---|---|---|\n";
    size_t shown = 0;
    for (const auto& s : sc.skipped) {
      if (++shown > 200) {
        md << "| ... | " << (sc.skipped.size() - 200) << " more (see issues.json) | | |\n";
        break;
      }
      md << "| `" << cell(s.path) << "` | " << s.reason << " | " << s.bytes << " | "
         << cell(s.detail) << " |\n";
    }
  }

  std::array<size_t, 4> by{};
  for (const auto& f : a.findings) ++by[static_cast<size_t>(f.level)];
  md << "\n## Findings\n\n| severity | count |\n|---|---|\n";
  for (int lvl = 3; lvl >= 0; --lvl)
    md << "| " << messages::to_string(static_cast<messages::severity>(lvl)) << " | " << by[lvl]
       << " |\n";
  md << "| **total** | **" << a.findings.size() << "** |\n";
  if (!a.findings.empty()) {
    md << "\nSecrets are never shown: only the rule, the location, a sha256 fingerprint and a "
          "masked preview.\n\n| severity | rule | location | preview |\n|---|---|---|---|\n";
    // Most severe first, then in document order; the full list is issues.json.
    std::vector<const messages::finding*> order;
    for (const auto& f : a.findings) order.push_back(&f);
    std::stable_sort(order.begin(), order.end(),
                     [](auto* x, auto* y) { return x->level > y->level; });
    size_t shown = 0;
    for (const auto* f : order) {
      if (++shown > 100) {
        md << "| | | " << (order.size() - 100) << " more in issues.json and report.sarif | |\n";
        break;
      }
      md << "| " << messages::to_string(f->level) << " | `" << f->rule_id << "` | `"
         << cell(f->path) << ":" << f->line << ":" << f->column << "`"
         << (f->commit.empty() ? "" : " @" + f->commit.substr(0, 12)) << " | `"
         << cell(f->preview) << "` |\n";
    }
  }

  md << "\n## Patch\n\n";
  if (!a.fix_attempted) {
    md << "No automatic fix was made.\n";
  } else if (!a.fix.ok) {
    md << "The fixer failed (`" << a.fix.failure_kind << "`): " << cell(a.fix.error) << "\n";
  } else {
    md << "`patch.diff`: " << a.fix.lines_changed << " line(s) in " << a.fix.files_changed
       << " file(s), sha256 `" << a.fix.patch_sha256 << "`.";
    if (a.fix.masked_lines)
      md << " " << a.fix.masked_lines
         << " context line(s) holding secret findings are masked in it.";
    if (!a.fix.branch.empty())
      md << " Committed to branch `" << a.fix.branch << "` (`" << a.fix.new_commit
         << "`); HEAD, the index and the working tree were not touched.";
    else
      md << " Nothing was written to the repository (use `--write-branch` to commit it).";
    md << "\n";
  }
  if (!a.suggestions.empty()) {
    md << "\nLeft to a human (" << a.suggestions.size()
       << "): the fixer never touches high-sensitivity paths, dependency files or lines that "
          "hold a secret.\n\n| location | rule | why |\n|---|---|---|\n";
    size_t shown = 0;
    for (const auto& s : a.suggestions) {
      if (++shown > 50) break;
      md << "| `" << cell(s.path) << ":" << s.line << "` | `" << s.rule_id << "` | " << s.reason
         << " |\n";
    }
  }

  md << "\n## Validation\n\n";
  if (!a.validation_attempted) {
    md << "No validation command ran: outcome **" << a.outcome << "**.\n";
  } else {
    md << "Outcome **" << a.outcome << "**"
       << (a.validation.worktree_created ? " (in a disposable worktree in the system temp dir)" : "")
       << ".\n\n| command | status | exit | seconds | sandboxed | network |\n|---|---|---|---|---|---|\n";
    for (const auto& c : a.validation.commands) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.2f", c.duration_s);
      md << "| `" << cell(c.command) << "` | " << c.status << " | " << c.exit_code << " | " << secs
         << " | " << (c.sandboxed ? "yes" : "no") << " | " << (c.network ? "yes" : "no") << " |\n";
    }
    for (const auto& c : a.validation.commands) {
      if (!c.reason.empty()) md << "\n- `" << cell(c.command) << "`: " << cell(c.reason) << "\n";
      if (!c.output.empty()) {
        md << "\n<details><summary>output of <code>" << cell(c.command) << "</code>"
           << (c.truncated ? " (truncated)" : "") << "</summary>\n\n```\n"
           << codec::display_text(c.output) << (c.output.back() == '\n' ? "" : "\n")
           << "```\n</details>\n";
      }
    }
  }
}

void render_cost(std::ostringstream& md, const messages::report_request& q) {
  md << "\n## Cost\n\n";
  const auto& usage = q.audit.usage;
  if (usage.empty()) {
    md << "No model calls were made: $0.00 (calculated).\n";
    return;
  }
  uint64_t in = 0, out = 0;
  double usd = 0;
  for (const auto& u : usage) {
    in += u.input_tokens;
    out += u.output_tokens;
    usd += u.cost_usd;
  }
  char total[32];
  std::snprintf(total, sizeof total, "%.4f", usd);
  md << "Total $" << total << ". The offline provider (`other` / `casm-offline`) made no network "
        "call; its token figures are estimates, labelled **simulated**.\n\n"
        "| task | type | provider | model | input tokens | output tokens | USD | truth |\n"
        "|---|---|---|---|---|---|---|---|\n";
  for (const auto& u : usage) {
    char c[32];
    std::snprintf(c, sizeof c, "%.4f", u.cost_usd);
    md << "| `" << u.task_id << "` | " << u.task_type << " | " << u.provider << " | " << u.model
       << " | " << u.input_tokens << " | " << u.output_tokens << " | " << c << " | " << u.truth
       << " |\n";
  }
  md << "| **total** | | | | " << in << " | " << out << " | " << total << " | simulated |\n";
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
  if (q.audit_enabled) render_audit(md, q);
  render_cost(md, q);
  md << "\n---\nExplain this run: `casm explain --run-id " << q.run_id << "`\n";
  return md.str();
}

}  // namespace casm::telemetry
