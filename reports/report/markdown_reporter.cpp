// Markdown: a compact summary for a CI job summary or a pull-request comment. The ranking per
// suite and case, the inversion verdicts, what failed or was skipped, and the doctor's warnings.
// Plain GitHub-flavoured Markdown, no HTML: text from the record is escaped so it can never
// become a tag, a link or a broken table.
#include <fmt/format.h>

#include <tpb/record.hpp>
#include <tpb/report.hpp>

#include "report_text.hpp"
#include "reporters.hpp"
#include "results.hpp"

namespace tpb::report {
namespace {

std::string escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*|<>[]#").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string ratio(std::optional<double> r) {
  return r ? fmt::format("{:.2f}", *r) : std::string("-");
}

class MarkdownReporter : public Reporter {
 public:
  std::string render(const RunRecord& record, const ReportSettings& settings) const override {
    const std::vector<Result> results = collect_results(record);
    std::string out = fmt::format("## tpbench report{}\n\n",
                                  settings.source.empty() ? "" : ": " + escaped(settings.source));
    out += escaped(run_line(record)) + "\n\n";
    out += escaped(machine_line(record)) + "\n\n";

    for (const CaseRanking& c : rank_cases(results)) {
      out += fmt::format("### {}/{}\n\n", escaped(c.suite), escaped(c.kase));
      out += "| # | backend | median | vs best | vs_ref | scenarios |\n";
      out += "|--:|:--|--:|--:|--:|--:|\n";
      int rank = 0;
      for (const RankingRow& row : c.rows)
        out += fmt::format("| {} | {} | {} | {:.2f} | {} | {} |\n", ++rank, escaped(row.backend),
                           format_ns(row.median_ns), row.vs_best, ratio(row.vs_ref), row.scenarios);
      out += '\n';
    }

    const std::vector<InversionRow> inversion = inversion_rows(results);
    if (!inversion.empty()) {
      out += "### Priority inversion: high's wait, by protocol and verdict\n\n";
      out +=
          "Per protocol, the lines that met the verdict the protocol should produce first "
          "(`none` unbounded, `inherit` and `ceiling` bounded), then the misses, then the lines "
          "whose threads did not run at their host priorities; within each, by high's wait.\n\n";
      out +=
          "| protocol | backend | verdict | standing | high waits | vs_ref | C (critical section) "
          "| S (medium spin) |\n";
      out += "|:--|:--|:--|:--|--:|--:|--:|--:|\n";
      for (const InversionRow& row : inversion)
        out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", escaped(row.protocol),
                           escaped(row.backend), to_string(row.verdict), standing_text(row),
                           row.high_wait_ns ? format_ns(*row.high_wait_ns) : "-", ratio(row.vs_ref),
                           row.critical_section_ns ? format_ns(*row.critical_section_ns) : "-",
                           row.medium_spin_ns ? format_ns(*row.medium_spin_ns) : "-");
      out += '\n';
    }

    const std::vector<std::string> warnings = warning_lines(record, results);
    if (!warnings.empty()) {
      out += "### Warnings\n\n";
      for (const auto& w : warnings) out += "- " + escaped(w) + "\n";
      out += '\n';
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Reporter> make_markdown_reporter() {
  return std::make_unique<MarkdownReporter>();
}

}  // namespace tpb::report
