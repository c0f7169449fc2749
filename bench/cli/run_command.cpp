// tpbench run: register the selection with Google Benchmark, run it with a display reporter that
// feeds Google Benchmark's own JSONReporter (in memory) and draws progress, then add the tpbench
// block, write the record atomically and print the summary. Interrupted runs still write what
// was measured, marked partial, and exit 130.
#include <iostream>
#include <regex>
#include <sstream>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <tpb/backend.hpp>
#include <tpb/bench.hpp>
#include <tpb/report.hpp>

#include "command.hpp"
#include "doctor_checks.hpp"
#include "interrupt.hpp"
#include "options.hpp"
#include "progress_reporter.hpp"
#include "record_context.hpp"
#include "run_options.hpp"

namespace tpb::cli {
namespace {

// How many registered names Google Benchmark's filter keeps (it matches with an extended regular
// expression searched anywhere in the name; a leading '-' negates). Only sizes the progress line.
std::size_t count_selected(const std::vector<std::string>& names, const std::string& filter) {
  if (filter.empty() || filter == "all") return names.size();
  const bool negate = filter[0] == '-';
  const std::regex re(negate ? filter.substr(1) : filter, std::regex::extended);
  std::size_t n = 0;
  for (const auto& name : names)
    if (std::regex_search(name, re) != negate) ++n;
  return n;
}

// Google Benchmark reads its settings from argv; it is handed only the flags tpbench sets.
void initialize_benchmark(const std::string& program, const RunOptions& options) {
  static std::vector<std::string> args;
  args = {program, fmt::format("--benchmark_repetitions={}", options.repetitions),
          fmt::format("--benchmark_min_time={}", options.min_time)};
  if (!options.filter.empty()) args.push_back("--benchmark_filter=" + options.filter);
  static std::vector<char*> argv;
  argv.clear();
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  benchmark::Initialize(&argc, argv.data());
}

std::vector<std::string> variant_keys() {
  std::vector<std::string> keys;
  for (const auto& entry : backend_registry())
    for (const auto& v : entry.variants) keys.emplace_back(v.key);
  return keys;
}

}  // namespace

int run_run(const Invocation& invocation) {
  const auto parsed = parse_run_options(invocation);
  if (!parsed) return kExitSuccess;
  const RunOptions& options = *parsed;

  install_interrupt_handlers();
  const std::vector<Finding> findings = run_doctor_checks();
  bench::Registration registration;
  try {
    registration = bench::register_benchmarks(options.selection);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const std::size_t expected = count_selected(registration.names, options.filter);
  std::cout << fmt::format(
                   "tpbench run: {} benchmarks, {} repetitions of at least {} s; record: {}\n",
                   expected, options.repetitions, options.min_time, options.out.string())
            << std::flush;

  initialize_benchmark(invocation.argv.front(), options);
  std::ostringstream json_text;
  benchmark::JSONReporter json_reporter;
  json_reporter.SetOutputStream(&json_text);
  std::ostringstream benchmark_errors;  // Google Benchmark's own complaints, replaced by ours
  json_reporter.SetErrorStream(&benchmark_errors);
  ProgressReporter progress(json_reporter, expected, options.progress);
  progress.SetErrorStream(&benchmark_errors);
  const std::size_t ran = benchmark::RunSpecifiedBenchmarks(&progress);
  benchmark::Shutdown();
  if (ran == 0 && !interrupted()) {
    if (registration.names.empty())
      throw UsageError("nothing to run: the selection registered no benchmark on this machine");
    throw UsageError(fmt::format("--filter: no benchmark matches '{}'", options.filter));
  }

  report::RunContext context = build_record_context(invocation, options, registration, findings);
  context.partial = interrupted() || bench::stop_requested().load();
  const nlohmann::json record =
      report::make_record(report::parse_benchmark_json(json_text.str()), context);
  report::write_json_file(record, options.out);

  std::cout << '\n' << report::summary_table(record, {variant_keys()});
  std::cout << fmt::format("\n{}record: {}\n", context.partial ? "interrupted; partial " : "",
                           options.out.string());
  return context.partial ? kExitInterrupted : kExitSuccess;
}

}  // namespace tpb::cli
