#include "run_options.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <regex>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <tpb/backend.hpp>
#include <tpb/report.hpp>
#include <tpb/topology.hpp>

#include "options.hpp"

namespace tpb::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// "all" (or nothing) -> empty, meaning every one; else each item must be in `known`.
std::vector<std::string> checked_list(const std::string& option, const std::string& value,
                                      const std::vector<std::string>& known, const char* what) {
  // `option` is already the name to show (option_source()).
  auto items = split_list(value);
  // "," names nothing: refused rather than read as "all" (a whole run nobody asked for).
  if (items.empty() && value.find_first_not_of(" \t") != std::string::npos)
    throw UsageError(fmt::format("{}: '{}' names no {}", option, value, what));
  if (items.empty() || (items.size() == 1 && items[0] == "all")) return {};
  for (const auto& item : items)
    if (std::find(known.begin(), known.end(), item) == known.end())
      throw UsageError(
          fmt::format("{}: unknown {} '{}' (known: {}, all)", option, what, item, join(known)));
  return items;
}

std::vector<int> parse_priorities(const std::string& option, const std::string& value) {
  std::vector<int> out;
  for (const auto& item : split_list(value)) {
    int priority = -1;
    std::size_t used = 0;
    try {
      priority = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || priority < 0 || priority > 31)
      throw UsageError(
          fmt::format("{}: '{}' is not a KPRIORITY (a whole number 0..31)", option, item));
    out.push_back(priority);
  }
  return out;
}

}  // namespace

std::filesystem::path default_record_path() {
  return fmt::format(
      "reports/out/run-{:%Y%m%dT%H%M%SZ}.json",
      fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

std::optional<RunOptions> parse_run_options(const Invocation& invocation) {
  // Which placements this machine offers is the topology's business: an absent one is skipped
  // with a reason, not refused.
  const std::string placement_help =
      fmt::format("placements, comma-separated ({}); default: all this machine offers",
                  join(placement_names()));
  po::options_description options = option_table();
  options.add_options()                                                                   //
      ("backend", po::value<std::string>()->default_value("all"),                         //
       "backends to run, comma-separated, or all (the reference always runs)")            //
      ("suite", po::value<std::string>()->default_value("all"),                           //
       "suites to run, comma-separated, or all")                                          //
      ("filter", po::value<std::string>()->default_value(""),                             //
       "only benchmarks whose name matches this regular expression (Google Benchmark's "  //
       "--benchmark_filter)")                                                             //
      ("placement", po::value<std::string>()->default_value(""),                          //
       placement_help.c_str())                                                            //
      ("priority", po::value<std::string>()->default_value(""),                           //
       "KPRIORITY values 0..31, comma-separated; default: the suites' own")               //
      ("repetitions", po::value<int>()->default_value(kDefaultRepetitions),               //
       "repetitions of each benchmark (--quick: 3); every one is kept in the record")     //
      ("min-time",
       po::value<double>()->default_value(kDefaultMinTime, fmt::format("{}", kDefaultMinTime)),  //
       "minimum seconds per repetition (--quick: 0.005)")                                        //
      ("quick", flag(), "the CI preset: 3 repetitions, short min-time, the gating cases")        //
      ("out", po::value<std::string>()->default_value(""),                                       //
       "record file (default reports/out/run-<UTC timestamp>.json)")                             //
      ("inject-slowdown", po::value<double>()->default_value(0),                                 //
       "add a busy delay of PCT percent to creation and wake paths (tests the gate)")            //
      ("no-progress", flag(), "no progress line (it is shown only on a terminal anyway)")        //
      ("db", po::value<std::string>()->default_value(""),
       "FILE or postgresql:// URI: also append the run to this history (reports/history.sqlite "
       "is the usual one)")  //
      ("branch", po::value<std::string>()->default_value(""),
       "NAME: the branch the run is recorded under with --db (default: the git branch)")  //
      ("dry-run", flag(),
       "list the benchmarks the run would register and their CPUs, and what it would skip; "
       "measure nothing")  //
      ("report", flag(), "also write the HTML and Markdown reports beside the record");
  po::variables_map values;
  if (!parse_options(invocation,
                     {"run",
                      "[--backend LIST|all] [--suite LIST|all] [--filter REGEX] "
                      "[--placement LIST]\n                   [--priority LIST] [--repetitions N] "
                      "[--min-time SECONDS] [--quick]\n                   [--out FILE] "
                      "[--inject-slowdown PCT] [--no-progress] [--dry-run]\n                   "
                      "[--db FILE] [--branch NAME] [--report]",
                      "Runs the selected benchmarks with Google Benchmark, writes the run record "
                      "(Google Benchmark's JSON plus a \"tpbench\" block describing the machine "
                      "and the run) and prints a summary. LIST is comma-separated."},
                     options, values))
    return std::nullopt;

  const auto source = [&invocation](std::string_view option) {
    return option_source(invocation, option);
  };
  RunOptions run;
  run.selection.quick = values["quick"].as<bool>();
  run.repetitions = values["repetitions"].as<int>();
  if (values["repetitions"].defaulted() && run.selection.quick) run.repetitions = kQuickRepetitions;
  if (run.repetitions <= 0)
    throw UsageError(fmt::format("{}: must be a positive whole number, got {}",
                                 source("repetitions"), run.repetitions));
  run.min_time = values["min-time"].as<double>();
  if (values["min-time"].defaulted() && run.selection.quick) run.min_time = kQuickMinTime;
  // Infinite or absurdly long: a run that never ends is a hang, not a measurement.
  if (!(run.min_time > 0) || !(run.min_time <= kMaxMinTime))
    throw UsageError(fmt::format("{}: must be more than 0 and at most {} seconds, got {}",
                                 source("min-time"), kMaxMinTime, run.min_time));

  std::vector<std::string> backends;
  for (const auto& entry : backend_registry()) backends.emplace_back(entry.name);
  run.selection.backends =
      checked_list(source("backend"), values["backend"].as<std::string>(), backends, "backend");
  std::vector<std::string> suites;
  for (const auto& suite : bench::suites()) suites.push_back(suite.name);
  run.selection.suites =
      checked_list(source("suite"), values["suite"].as<std::string>(), suites, "suite");
  run.selection.placements = checked_list(
      source("placement"), values["placement"].as<std::string>(), placement_names(), "placement");
  run.selection.priorities =
      parse_priorities(source("priority"), values["priority"].as<std::string>());

  run.selection.inject_slowdown_pct = values["inject-slowdown"].as<double>();
  if (!(run.selection.inject_slowdown_pct >= 0))
    throw UsageError(fmt::format("{}: must be a percentage of 0 or more, got {}",
                                 source("inject-slowdown"), run.selection.inject_slowdown_pct));

  run.filter = values["filter"].as<std::string>();
  if (!run.filter.empty()) {
    const std::string pattern = run.filter[0] == '-' ? run.filter.substr(1) : run.filter;
    try {
      std::regex check(pattern, std::regex::extended);
    } catch (const std::regex_error& e) {
      throw UsageError(fmt::format("{}: invalid regular expression '{}': {}", source("filter"),
                                   run.filter, e.what()));
    }
  }

  const std::string out = values["out"].as<std::string>();
  run.out = out.empty() ? default_record_path() : std::filesystem::path(out);
  run.dry_run = values["dry-run"].as<bool>();
  // A dry run writes no record, so it leaves no directory behind either.
  if (const std::string problem = run.dry_run ? std::string() : report::check_writable(run.out);
      !problem.empty())
    throw UsageError(fmt::format("{}: {}: {}", source("out"), run.out.string(), problem));

  run.progress = !values["no-progress"].as<bool>() && ::isatty(STDOUT_FILENO);
  run.db = values["db"].as<std::string>();
  run.branch = values["branch"].as<std::string>();
  run.report = values["report"].as<bool>();
  return run;
}

}  // namespace tpb::cli
