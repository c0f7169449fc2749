// What compare and gate share: reading two records into samples and machine facts, refusing
// records of different machines, writing the comparison's outputs, and the exit code of a verdict.
#pragma once

#include <filesystem>
#include <string>

#include <tpb/compare.hpp>
#include <tpb/record.hpp>

#include "options.hpp"

namespace tpb::cli {

struct LoadedRecord {
  std::string path;
  report::RunRecord record;
  compare::SampleSet samples;
};

// Reads a record (report::load_record) and its samples. Throws UsageError (exit 2) naming the
// file when it cannot be read, is not a tpbench record, or holds no repetition.
LoadedRecord load_for_compare(const std::filesystem::path& path);
LoadedRecord loaded(report::RunRecord record, const std::string& source);

// Empty when the records may be compared; else the one-line reason they may not (exit 3): the
// machine facts that differ. `allow_mismatch` turns the refusal into a warning on stderr.
std::string machine_mismatch(const LoadedRecord& base, const LoadedRecord& next,
                             bool allow_mismatch);

// --threshold PCT, --alpha A, --md, --junit, --json: declared once for compare and gate.
void add_comparison_options(po::options_description& options);
compare::CompareOptions comparison_options(const Invocation& invocation,
                                           const po::variables_map& values);

// Prints the console table and writes the files the options ask for. Throws UsageError when a
// file cannot be written.
void report_comparison(const compare::Comparison& comparison, const po::variables_map& values);

// 1 when any regression; else 3 when nothing could be judged; else 0.
int comparison_exit_code(const compare::Comparison& comparison);
// The one line that says why nothing was judged (the exit 3 of comparison_exit_code).
std::string nothing_judged_reason(const compare::Comparison& comparison);

}  // namespace tpb::cli
