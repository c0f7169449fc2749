// tpb/report.hpp - turning Google Benchmark's output into a run record (tpb/record.hpp), writing
// and reading it, the summary printed after a run, and the reporters (HTML, Markdown, CSV).
//
// Thread-safety: plain values and free functions; nothing is shared.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <tpb/record.hpp>

namespace tpb::report {

// Parses Google Benchmark's JSON reporter output. Its reporter writes non-finite numbers as bare
// NaN / Infinity, which JSON does not allow: those become null. Throws nlohmann::json::exception
// on anything else that does not parse.
nlohmann::json parse_benchmark_json(std::string_view text);
// The same, typed. Throws RecordFieldError naming a field of the wrong type.
BenchmarkOutput parse_benchmark_output(std::string_view text);

// Merges runs of the benchmarks made one repetition per pass (Google Benchmark's JSON of each
// pass, in order) into Google Benchmark's layout for `repetitions` repetitions: per benchmark, its
// entries with repetition_index = pass, then the aggregates mean, median, stddev and cv over those
// without an error (when at least two). Context is the first pass's. Entries that never measured
// (error kNotMeasuredError: the run was stopped first) are left out.
BenchmarkOutput merge_repetitions(const std::vector<BenchmarkOutput>& passes, int repetitions);

// The whole record: Google Benchmark's part plus the tpbench block.
RunRecord make_record(BenchmarkOutput output, RunContext context);

// Writes `record` to `path` atomically and durably, as write_text_file(), so a reader never sees
// half a file. Creates missing parent directories. Throws std::filesystem::filesystem_error or
// std::runtime_error naming the path.
void write_json_file(const nlohmann::json& record, const std::filesystem::path& path);

// Checks, before a long run, that `path` can be written: creates its parent directories and a
// scratch file beside it. Returns an empty string when it can, else what is wrong in words.
std::string check_writable(const std::filesystem::path& path);

// Writes `record` as dump_record() does, atomically as write_json_file().
void write_record(const RunRecord& record, const std::filesystem::path& path);

// Reads a JSON file (a record, or anything else). Throws std::runtime_error naming the file when it
// cannot be read or parsed.
nlohmann::json read_json_file(const std::filesystem::path& path);

// The short table printed after a run: per suite and case, backends ranked by the median of their
// medians over scenarios, with vs_ref, the ratio to the reference (the raw OS primitive) measured
// in the same scenario. `variant_keys` are name segments that belong to the backend rather than
// to the scenario (e.g. "wake" for pool:wake:spin). Inversion lines rank by the verdict their
// protocol is expected to produce first (reports/summary.cpp says how exactly), then by wait.
struct SummaryOptions {
  std::vector<std::string> variant_keys;
};
std::string summary_table(const RunRecord& record, const SummaryOptions& options = {});

// Cases left out, one line per reason with the count, "3 cases skipped: <reason>\n", in the order
// the reasons first appear; empty when nothing was skipped. The summary and a dry run both print
// it.
std::string skipped_summary(const std::vector<SkippedCase>& skipped);

// ---- reporters
// ----------------------------------------------------------------------------------- A report
// renders one run record for people: HTML (charts, tables, the environment), Markdown (a CI job
// summary or pull-request comment) or CSV (one row per benchmark entry). One abstract class, one
// file per format under reports/report/, and one table mapping names to reporters, as Google
// Benchmark's reporters are built.

struct ReportSettings {
  std::filesystem::path gnuplot = "gnuplot";         // a path, or a name looked up in PATH
  std::chrono::milliseconds gnuplot_timeout{10000};  // per chart
  std::string source;  // the record's file name, shown in the report's heading
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  // The whole report. A chart gnuplot could not draw is replaced by a line saying why; the rest
  // is still rendered. Throws std::runtime_error only when nothing sensible can be written.
  virtual std::string render(const RunRecord& record, const ReportSettings& settings) const = 0;
};

struct ReporterEntry {
  std::string_view name;       // "html": the option (--html) and the format's name
  std::string_view extension;  // ".html": beside the record when no path is given
  std::string_view summary;    // one line for --help
  std::unique_ptr<Reporter> (*make)();
};

// Every format, in the order `tpbench report` writes them.
const std::vector<ReporterEntry>& reporters();

// Writes `text` to `path` atomically and durably (a temporary name in the same directory, fsync,
// rename, then fsync of the directory), so a failed write or a crash leaves the previous file or
// the whole new one, never a partial one. The one atomic file writer: records and reports go
// through it. Throws std::runtime_error naming the path.
void write_text_file(std::string_view text, const std::filesystem::path& path);

}  // namespace tpb::report
