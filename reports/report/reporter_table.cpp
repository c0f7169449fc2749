// The one table of report formats. `tpbench report` offers an option per row and, given none,
// writes every row beside the record.
#include "reporters.hpp"

namespace tpb::report {

const std::vector<ReporterEntry>& reporters() {
  static const std::vector<ReporterEntry> table = {
      {"html", ".html", "one self-contained page: charts, rankings, the environment",
       &make_html_reporter},
      {"md", ".md",
       "a compact summary for a CI job or a pull request: rankings, verdicts, warnings",
       &make_markdown_reporter},
      {"csv", ".csv", "one row per benchmark entry: name segments and every counter in columns",
       &make_csv_reporter},
  };
  return table;
}

}  // namespace tpb::report
