// tpb/report.hpp - a run's record, and writing and reading it as JSON.
//
// A record is Google Benchmark's JSON (its "context" and "benchmarks", every repetition kept plus
// the aggregates, so Google Benchmark's own tools read it) with one more top-level object,
// "tpbench", that says where and how the run was made (docs/design.md 1): command line, git
// revision, backends and their capabilities, topology, kernel, virtualisation, scheduler settings,
// the priority map, what the process was allowed to apply, skipped placements, the c2c matrix and
// the doctor's findings. Facts the tpbench command could not learn are null, never guessed.
//
// Thread-safety: plain values and free functions; nothing is shared.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpb::report {

// Bumped whenever a field of the tpbench block changes meaning or is removed.
inline constexpr int kSchemaVersion = 1;

// The "tpbench" block. Typed where tpbench decides the shape; JSON where another part of the
// project (topology, bench library, doctor) hands over its own structure.
struct RunContext {
  std::vector<std::string> command_line;
  std::optional<std::string> git_revision;  // `git rev-parse HEAD` of the source tree
  std::string version;                      // tpbench's version
  bool partial = false;                     // interrupted: only what was measured before the stop
  nlohmann::json options = nlohmann::json::object();         // repetitions, min time, selection
  nlohmann::json backends = nlohmann::json::array();         // name, summary, capabilities
  nlohmann::json topology = nlohmann::json::object();        // counts, summary, placements
  nlohmann::json kernel = nlohmann::json::object();          // uname
  nlohmann::json virtualisation = nlohmann::json::object();  // vm, container, how detected
  nlohmann::json scheduler = nlohmann::json::object();       // sched_rt_runtime_us, _period_us
  nlohmann::json priority_map = nlohmann::json::array();     // KPRIORITY 0..31 -> host
  nlohmann::json rt = nlohmann::json::object();              // permitted, limits, why
  nlohmann::json skipped = nlohmann::json::array();          // {what, reason}
  nlohmann::json c2c = nullptr;                              // core-to-core matrix, if measured
  nlohmann::json doctor = nlohmann::json::array();           // findings at the start of the run
  nlohmann::json bench = nlohmann::json::object();           // bench::run_context() as given
  nlohmann::json wall_seconds = nlohmann::json::object();    // total and per suite/case
};

nlohmann::json to_json(const RunContext& context);

// Parses Google Benchmark's JSON reporter output. Its reporter writes non-finite numbers as bare
// NaN / Infinity, which JSON does not allow: those become null. Throws nlohmann::json::exception
// on anything else that does not parse.
nlohmann::json parse_benchmark_json(std::string_view text);

// Merges runs of the benchmarks made one repetition per pass (Google Benchmark's JSON of each
// pass, in order) into Google Benchmark's layout for `repetitions` repetitions: per benchmark, its
// entries with repetition_index = pass, then the aggregates mean, median, stddev and cv over those
// without an error (when at least two). Context is the first pass's.
nlohmann::json merge_repetitions(const std::vector<nlohmann::json>& passes, int repetitions);

// The whole record: `benchmark_json` (context, benchmarks) plus "tpbench".
nlohmann::json make_record(nlohmann::json benchmark_json, const RunContext& context);

// Writes `record` to `path` atomically: a temporary file in the same directory, then rename, so
// a reader never sees half a file. Creates missing parent directories. Throws
// std::filesystem::filesystem_error or std::runtime_error naming the path.
void write_json_file(const nlohmann::json& record, const std::filesystem::path& path);

// Checks, before a long run, that `path` can be written: creates its parent directories and a
// scratch file beside it. Returns an empty string when it can, else what is wrong in words.
std::string check_writable(const std::filesystem::path& path);

// Reads a record (or any JSON file). Throws std::runtime_error naming the file when it cannot be
// read or parsed.
nlohmann::json read_json_file(const std::filesystem::path& path);

// The short table printed after a run: per suite and case, backends ranked by the median of their
// medians over scenarios, with vs_ref, the ratio to the reference (the raw OS primitive) measured
// in the same scenario. `variant_keys` are name segments that belong to the backend rather than
// to the scenario (e.g. "wake" for pool:wake:spin).
struct SummaryOptions {
  std::vector<std::string> variant_keys;
};
std::string summary_table(const nlohmann::json& record, const SummaryOptions& options = {});

}  // namespace tpb::report
