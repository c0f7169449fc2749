// What compare and gate share: reading two records into samples and machine facts, refusing
// records of different machines, writing the comparison's outputs, and the exit code of a verdict.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <tpb/compare.hpp>

#include "options.hpp"

namespace tpb::cli {

struct LoadedRecord {
  std::string path;
  nlohmann::json record;
  compare::SampleSet samples;
  std::map<std::string, std::string> machine;  // empty: not a tpbench record
};

// Throws UsageError (exit 2) naming the file when it cannot be read, parsed or compared.
LoadedRecord load_for_compare(const std::filesystem::path& path);

// Empty when the records may be compared; else the one-line reason they may not (exit 3): a
// record that is not tpbench's, or the machine facts that differ. `allow_mismatch` turns the
// refusal into a warning on stderr.
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

}  // namespace tpb::cli
