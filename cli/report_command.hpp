// Writing reports from a run record, shared by `tpbench report` and `tpbench run --report`.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace tpb::cli {

struct ReportTarget {
  std::string format;  // a name in tpb::report::reporters()
  std::filesystem::path path;
};

// `record` with its extension replaced by the format's: run.json -> run.html.
std::filesystem::path beside(const std::filesystem::path& record, const std::string& format);

// Loads `record`, renders each target and writes it atomically, printing "FORMAT: PATH" per file
// to `out`. Throws UsageError (exit 2) with one line when the record is not a readable tpbench
// run or a target cannot be written; then no target file is left half-written.
void write_reports(const std::filesystem::path& record, const std::vector<ReportTarget>& targets,
                   std::ostream& out);

}  // namespace tpb::cli
