#include "compare_io.hpp"

#include <iostream>

#include <fmt/format.h>

#include <tpb/report.hpp>

#include "output_file.hpp"

namespace tpb::cli {

LoadedRecord loaded(report::RunRecord record, const std::string& source) {
  LoadedRecord out;
  out.path = source;
  out.record = std::move(record);
  try {
    out.samples = compare::samples_from_record(out.record, source);
  } catch (const compare::CompareInputError& e) {
    throw UsageError(e.what());
  }
  return out;
}

LoadedRecord load_for_compare(const std::filesystem::path& path) {
  try {
    return loaded(report::load_record(path), path.string());
  } catch (const report::RecordError& e) {
    throw UsageError(e.what());
  }
}

std::string machine_mismatch(const LoadedRecord& base, const LoadedRecord& next,
                             bool allow_mismatch) {
  const auto differences = report::machine_differences(
      report::machine_identity(base.record.tpbench), report::machine_identity(next.record.tpbench));
  if (differences.empty()) return {};
  std::string problem = "records from different machines: ";
  for (std::size_t i = 0; i < differences.size(); ++i) problem += (i ? "; " : "") + differences[i];
  if (allow_mismatch) {
    std::cerr << "warning (--allow-mismatch): " << problem << '\n';
    return {};
  }
  return problem;
}

void add_comparison_options(po::options_description& options) {
  options.add_options()  //
      ("threshold", po::value<double>()->default_value(5.0, "5"),
       "PCT: the relative change that counts as a regression or an improvement")  //
      ("alpha", po::value<double>()->default_value(0.01, "0.01"),
       "family-wise error rate over all benchmarks (Holm)")                        //
      ("md", po::value<std::string>(), "FILE: also write Markdown (under 64 KB)")  //
      ("junit", po::value<std::string>(), "FILE: also write JUnit XML")            //
      ("json", po::value<std::string>(), "FILE: also write JSON");
}

compare::CompareOptions comparison_options(const Invocation& invocation,
                                           const po::variables_map& values) {
  compare::CompareOptions options;
  const double threshold = values["threshold"].as<double>();
  if (!(threshold > 0 && threshold < 100))
    throw UsageError(fmt::format("{}: must be a percentage above 0 and below 100, got {}",
                                 option_source(invocation, "threshold"), threshold));
  const double alpha = values["alpha"].as<double>();
  if (!(alpha > 0 && alpha < 1))
    throw UsageError(fmt::format("{}: must be above 0 and below 1, got {}",
                                 option_source(invocation, "alpha"), alpha));
  options.threshold = threshold / 100.0;
  options.alpha = alpha;
  return options;
}

void report_comparison(const compare::Comparison& comparison, const po::variables_map& values) {
  if (values.count("md"))
    write_output_file("md", values["md"].as<std::string>(), compare::markdown_report(comparison));
  if (values.count("junit"))
    write_output_file("junit", values["junit"].as<std::string>(),
                      compare::junit_report(comparison));
  if (values.count("json"))
    write_output_file("json", values["json"].as<std::string>(),
                      compare::json_report(comparison).dump(2) + "\n");
  std::cout << compare::console_table(comparison);
}

int comparison_exit_code(const compare::Comparison& comparison) {
  using compare::Verdict;
  if (comparison.count(Verdict::kRegression) > 0) return kExitRegression;
  const std::size_t judged =
      comparison.count(Verdict::kImprovement) + comparison.count(Verdict::kUnchanged);
  return judged == 0 ? kExitUntrusted : kExitSuccess;
}

std::string nothing_judged_reason(const compare::Comparison& comparison) {
  using compare::Verdict;
  const std::size_t noisy = comparison.count(Verdict::kTooNoisy);
  const std::size_t invalid = comparison.count(Verdict::kInvalid);
  // The first too-noisy benchmark's reason stands for the rest: they usually share it.
  std::string example;
  for (const auto& b : comparison.benchmarks)
    if (b.verdict == Verdict::kTooNoisy) {
      example = fmt::format("; e.g. {}: {}", b.name, b.reason);
      break;
    }
  return fmt::format("no benchmark could be judged ({} too noisy, {} invalid{})", noisy, invalid,
                     example);
}

}  // namespace tpb::cli
