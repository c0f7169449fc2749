// tpbench run: register the selection with Google Benchmark and run it once per repetition (a
// pass: every benchmark once, so repetitions interleave and Google Benchmark 1.7.1's aggregation,
// which crashes on failed repetitions, never runs; see reports/repetitions.cpp). Each pass feeds
// Google Benchmark's own JSONReporter (in memory) through a display reporter that draws progress.
// The passes are merged, the tpbench block added, the record written atomically and the summary
// printed. Interrupted runs still write what was measured, marked partial, and exit 130.
// Test hooks (environment, unset in normal use): TPB_TEST_INTERRUPT_AFTER_RUNS=N raises SIGINT
// after N benchmark runs; TPB_TEST_HOLD_BEFORE_EXIT=PATH holds the finished process (record
// written, priorities restored) until a test removes PATH, so the test can inspect it from outside.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <tpb/backend.hpp>
#include <tpb/bench.hpp>
#include <tpb/report.hpp>

#include "command.hpp"
#include "doctor_checks.hpp"
#include "history_io.hpp"
#include "interrupt.hpp"
#include "options.hpp"
#include "progress_reporter.hpp"
#include "record_context.hpp"
#include "report_command.hpp"
#include "run_options.hpp"

namespace tpb::cli {
namespace {

// Google Benchmark reads its settings from argv; it is handed only the flags tpbench sets. The
// strings are static: Google Benchmark keeps a pointer to argv[0].
void initialize_benchmark(const std::string& program, const RunOptions& options, bool list) {
  static const std::string program_name = program;
  static std::vector<std::string> args;
  args = {fmt::format("--benchmark_list_tests={}", list), "--benchmark_repetitions=1",
          fmt::format("--benchmark_min_time={}", options.min_time),
          "--benchmark_filter=" + (options.filter.empty() ? std::string(".") : options.filter)};
  static std::vector<char*> argv;
  argv = {const_cast<char*>(program_name.c_str())};
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(argv.size()) - 1;
  benchmark::Initialize(&argc, argv.data());
}

// The benchmarks the filter keeps, asked of Google Benchmark itself (--benchmark_list_tests) so
// the list matches what the passes run; then sets the flags for the passes.
std::vector<std::string> selected_names(const std::string& program, const RunOptions& options) {
  initialize_benchmark(program, options, true);
  std::ostringstream names, errors;
  benchmark::ConsoleReporter lister;  // in list mode only the names are written, to its stream
  lister.SetOutputStream(&names);
  lister.SetErrorStream(&errors);
  benchmark::RunSpecifiedBenchmarks(&lister);
  initialize_benchmark(program, options, false);
  std::vector<std::string> out;
  std::istringstream lines(names.str());
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// --dry-run: what a run with these options would register, where, and what it would skip (each
// case with its reason, then once per reason as the run's summary counts them). Every case
// skipped is an answer, not an error: the dry run says so and succeeds.
void print_dry_run(const std::vector<std::string>& selected, const RunOptions& options,
                   const bench::Registration& registration) {
  std::cout << fmt::format(
      "tpbench run --dry-run: {} benchmarks, {} repetitions of at least {} s; nothing measured\n",
      selected.size(), options.repetitions, options.min_time);
  if (!selected.empty()) std::cout << fmt::format("  {:<12} benchmark\n", "CPUs");
  for (const std::string& name : selected) {
    // Google Benchmark lists a name with its own segments appended (/iterations:N,
    // /manual_time): the registration is the longest registered name that prefixes it.
    const std::vector<int>* cpus = nullptr;
    std::size_t matched = 0;
    for (const auto& [registered, pinned] : registration.cpus)
      if (registered.size() > matched && name.starts_with(registered) &&
          (name.size() == registered.size() || name[registered.size()] == '/')) {
        cpus = &pinned;
        matched = registered.size();
      }
    std::cout << fmt::format(
        "  {:<12} {}\n",
        cpus && !cpus->empty() ? fmt::format("{}", fmt::join(*cpus, ",")) : "unpinned", name);
  }
  if (registration.skipped.empty()) return;
  std::cout << fmt::format("skipped ({}):\n", registration.skipped.size());
  for (const auto& s : registration.skipped)
    std::cout << fmt::format("  {}: {}\n", s.what, s.reason);
  if (selected.empty()) std::cout << "nothing would run: every selected case is skipped\n";
  std::cout << report::skipped_summary(registration.skipped);
}

std::vector<std::string> variant_keys() {
  // "wait" tells the reference's two round trips apart (join, and signal as the contract waits).
  std::vector<std::string> keys = {"wait"};
  for (const auto& entry : backend_registry())
    for (const auto& v : entry.variants) keys.emplace_back(v.key);
  return keys;
}

// A test hook that exercises the real Ctrl-C path at a known point: with
// TPB_TEST_INTERRUPT_AFTER_RUNS=N in the environment, the process sends itself SIGINT once N
// benchmark runs (over all passes) have been reported. Unset, it only forwards.
class InterruptAfterRuns : public benchmark::BenchmarkReporter {
 public:
  explicit InterruptAfterRuns(benchmark::BenchmarkReporter& sink) : sink_(sink) {
    if (const char* n = std::getenv("TPB_TEST_INTERRUPT_AFTER_RUNS")) limit_ = std::atol(n);
  }
  bool ReportContext(const Context& context) override { return sink_.ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override {
    sink_.ReportRuns(runs);
    if (limit_ > 0 && ++reported() == limit_) std::raise(SIGINT);
  }
  void Finalize() override { sink_.Finalize(); }

 private:
  static long& reported() {  // across passes: each pass has its own reporter
    static long count = 0;
    return count;
  }
  benchmark::BenchmarkReporter& sink_;
  long limit_ = 0;
};

// A test hook to look at the process from outside once the run is over (every case ended, every
// priority restored, the record written) but before it exits: with TPB_TEST_HOLD_BEFORE_EXIT=PATH
// in the environment, the process writes "ready <pid>" to PATH (whole: written aside, then renamed)
// and waits until PATH is removed, at most 30 s. Unset, it does nothing.
void hold_before_exit_if_asked() {
  const char* path = std::getenv("TPB_TEST_HOLD_BEFORE_EXIT");
  if (path == nullptr || *path == '\0') return;
  std::cout.flush();
  std::fflush(stdout);
  const std::filesystem::path ready = path;
  std::filesystem::path aside = ready;
  aside += ".writing";
  std::ofstream(aside) << "ready " << ::getpid() << '\n';
  std::error_code ignored;
  std::filesystem::rename(aside, ready, ignored);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::filesystem::exists(ready, ignored) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// Runs every selected benchmark once per pass, `options.repetitions` passes (fewer when
// interrupted), and returns Google Benchmark's JSON of each pass.
std::vector<report::BenchmarkOutput> run_passes(const RunOptions& options,
                                                ProgressReporter& progress) {
  std::ostringstream benchmark_errors;  // Google Benchmark's own complaints, replaced by ours
  progress.SetErrorStream(&benchmark_errors);
  std::vector<report::BenchmarkOutput> passes;
  for (int pass = 0; pass < options.repetitions && !interrupted(); ++pass) {
    std::ostringstream json_text;
    benchmark::JSONReporter json_reporter;
    json_reporter.SetOutputStream(&json_text);
    json_reporter.SetErrorStream(&benchmark_errors);
    InterruptAfterRuns sink(json_reporter);
    progress.set_sink(&sink);
    const std::size_t ran = benchmark::RunSpecifiedBenchmarks(&progress);
    progress.set_sink(nullptr);
    if (ran > 0) passes.push_back(report::parse_benchmark_output(json_text.str()));
  }
  progress.clear();
  progress.SetErrorStream(&std::cerr);
  return passes;
}

}  // namespace

int run_run(const Invocation& invocation) {
  const auto parsed = parse_run_options(invocation);
  if (!parsed) return kExitSuccess;
  const RunOptions& options = *parsed;

  const auto started = std::chrono::steady_clock::now();
  install_interrupt_handlers();
  const std::vector<Finding> findings =
      options.dry_run ? std::vector<Finding>{} : run_doctor_checks();
  bench::Registration registration;
  try {
    registration = bench::register_benchmarks(options.selection);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const std::vector<std::string> selected = selected_names(invocation.argv.front(), options);
  const std::size_t expected = selected.size();
  if (expected == 0 && !registration.names.empty())
    throw UsageError(fmt::format("{}: no benchmark matches '{}'",
                                 option_source(invocation, "filter"), options.filter));
  // Every selected case may be skipped here: a dry run lists them and succeeds.
  if (options.dry_run) {
    print_dry_run(selected, options, registration);
    return kExitSuccess;
  }
  if (expected == 0) {
    // A real run has nothing to measure (exit 2) and gives the reasons in its one line.
    std::string reasons = report::skipped_summary(registration.skipped);
    for (std::size_t at = 0; (at = reasons.find('\n')) != std::string::npos;)
      reasons.replace(at, 1, at + 1 == reasons.size() ? ")" : "; ");
    throw UsageError("nothing to run: the selection registered no benchmark on this machine" +
                     (reasons.empty() ? std::string() : " (" + reasons));
  }
  if (!options.db.empty() && options.selection.inject_slowdown_pct > 0)
    throw UsageError(
        fmt::format("{} with --inject-slowdown: a history holds only real "
                    "measurements (an injected slowdown is for testing the gate)",
                    option_source(invocation, "db")));
  // Opened before measuring, so a bad --db is refused before the run rather than after it.
  std::unique_ptr<history::HistoryStore> store;
  if (!options.db.empty()) try {
      store = history::open_history_store(options.db);
    } catch (const history::HistoryError& e) {
      throw UsageError(fmt::format("{}: {}", option_source(invocation, "db"), e.what()));
    }
  std::cout << fmt::format(
                   "tpbench run: {} benchmarks, {} repetitions of at least {} s; record: {}\n",
                   expected, options.repetitions, options.min_time, options.out.string())
            << std::flush;

  ProgressReporter progress(expected * static_cast<std::size_t>(options.repetitions),
                            options.progress);
  const std::vector<report::BenchmarkOutput> passes = run_passes(options, progress);
  benchmark::Shutdown();

  report::RunContext context =
      build_record_context(invocation, options, registration, bench::run_facts(), findings);
  context.partial = interrupted() || bench::stop_requested().load();
  context.wall_seconds = {
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
      progress.wall_seconds_by_case()};
  report::BenchmarkOutput merged = report::merge_repetitions(passes, options.repetitions);
  context.dispersion = dispersion_of(merged.benchmarks);
  const report::RunRecord record = report::make_record(std::move(merged), std::move(context));
  try {
    report::write_record(record, options.out);
  } catch (const std::exception& e) {
    // A full disk or a vanished directory must not lose what was measured: keep it in the
    // temporary directory and name both (exit 2).
    const auto saved =
        std::filesystem::temp_directory_path() / fmt::format("tpbench-unsaved-{}.json", ::getpid());
    try {
      report::write_record(record, saved);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("{} (and the record could not be kept in {} either)", e.what(),
                                   saved.string()));
    }
    throw UsageError(fmt::format("{}; the record was kept in {}", e.what(), saved.string()));
  }

  std::cout << '\n' << report::summary_table(record, {variant_keys()});
  std::string warned;
  for (const auto& f : findings)
    if (f.severity == Finding::Severity::warning) warned += (warned.empty() ? "" : ", ") + f.check;
  if (!warned.empty())
    std::cout << fmt::format("\ndoctor warnings: {} (see tpbench doctor)\n", warned);
  const bool partial = record.tpbench.partial;
  std::cout << fmt::format("\n{}record: {}\n", partial ? "interrupted; partial " : "",
                           options.out.string());
  if (store && partial) {
    std::cout << "history: a partial run is not appended\n";
  } else if (store) {
    // The record is already on disk: a failure here loses nothing measured.
    const bool added =
        append_record(*store, record, options.out.string(), current_branch(options.branch));
    std::cout << fmt::format("history: {} {}\n", added ? "appended to" : "already in",
                             store->location());
  }
  if (options.report)
    write_reports(options.out,
                  {{"html", beside(options.out, "html")}, {"md", beside(options.out, "md")}},
                  std::cout);
  hold_before_exit_if_asked();
  return partial ? kExitInterrupted : kExitSuccess;
}

}  // namespace tpb::cli
