// tpbench gate: run the selection, judge it against a baseline record (--baseline) or the recent
// history of the same machine and branch (--db), and re-run only the suspected regressions, a
// bounded number of times, before failing. Each run is a child `tpbench run` process. Options the
// gate does not know are handed to `tpbench run` (which checks them).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include <tpb/history.hpp>
#include <tpb/report.hpp>

#include "command.hpp"
#include "compare_io.hpp"
#include "gate.hpp"
#include "history_io.hpp"
#include "interrupt.hpp"
#include "options.hpp"
#include "run_options.hpp"

namespace tpb::cli {
namespace {

constexpr int kDefaultReruns = 2;
constexpr std::size_t kDefaultHistoryRuns = 20;

// Drops --filter and --out (the gate sets them) from run arguments.
std::vector<std::string> without(const std::vector<std::string>& args,
                                 std::initializer_list<std::string_view> names) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    bool dropped = false;
    for (const auto name : names) {
      const std::string flag = "--" + std::string(name);
      if (args[i] == flag) {
        ++i;  // and its value
        dropped = true;
      } else if (args[i].starts_with(flag + "=")) {
        dropped = true;
      }
    }
    if (!dropped) out.push_back(args[i]);
  }
  return out;
}

// The history failed while the gate's baseline was being read.
struct HistoryUnavailable {
  std::string why;
};

std::filesystem::path make_work_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tpbench-gate-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    throw UsageError(fmt::format("cannot create a scratch directory: {}",
                                 std::error_code(errno, std::generic_category()).message()));
  return pattern;
}

}  // namespace

std::string exact_filter(const std::vector<std::string>& names) {
  std::string out = "^(";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += '|';
    for (char c : names[i]) {
      if (std::strchr(".[]{}()\\*+?^$|", c)) out += '\\';
      out += c;
    }
  }
  return out + ")$";
}

report::RunRecord run_child(const std::vector<std::string>& run_args,
                            const std::filesystem::path& out) {
  std::vector<std::string> args = {"/proc/self/exe", "run"};
  args.insert(args.end(), run_args.begin(), run_args.end());
  args.insert(args.end(), {"--out", out.string(), "--no-progress"});
  const std::string log = out.string() + ".log";
  const pid_t pid = ::fork();
  if (pid < 0)
    throw UsageError(fmt::format("cannot start a run: {}",
                                 std::error_code(errno, std::generic_category()).message()));
  if (pid == 0) {
    if (FILE* f = std::freopen(log.c_str(), "w", stdout); !f) ::_exit(2);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code == kExitInterrupted || interrupted()) throw GateInterrupted{};
  if (code != kExitSuccess)
    throw UsageError(fmt::format("the run failed (exit {}); its output is in {}", code, log));
  try {
    return report::load_record(out);
  } catch (const report::RecordError& e) {
    throw UsageError(e.what());
  }
}

compare::RunValues run_values(const compare::SampleSet& samples) {
  compare::RunValues out;
  for (const auto& [name, s] : samples)
    if (s.invalid.empty() && !s.values.empty()) out[name] = {compare::median(s.values)};
  return out;
}

compare::Comparison judge(const Baseline& baseline, const compare::SampleSet& samples,
                          const compare::RunValues& per_run,
                          const compare::CompareOptions& options) {
  if (baseline.record) return compare::compare_samples(*baseline.record, samples, options);
  return compare::compare_with_history(baseline.history, per_run, options);
}

std::vector<std::string> suspects(const compare::Comparison& comparison, double threshold) {
  std::vector<std::string> out;
  for (const auto& b : comparison.benchmarks)
    if (b.verdict == compare::Verdict::kRegression ||
        ((b.verdict == compare::Verdict::kTooNoisy || b.verdict == compare::Verdict::kUnchanged) &&
         compare::worse_than_threshold(b, threshold)))
      out.push_back(b.name);
  return out;
}

GateResult gate_once(const BaselineMaker& make_baselines, const std::vector<std::string>& run_args,
                     const compare::CompareOptions& options, int max_reruns,
                     const std::filesystem::path& work_dir, const std::string& tag) {
  GateResult result;
  result.first_record = run_child(without(run_args, {"out"}), work_dir / (tag + "-0.json"));
  const std::vector<Baseline> baselines = make_baselines(result.first_record);
  compare::SampleSet samples;
  try {
    samples = compare::samples_from_record(result.first_record, tag);
  } catch (const compare::CompareInputError& e) {
    throw UsageError(e.what());
  }
  result.first_samples = samples;
  compare::RunValues per_run = run_values(samples);
  const auto judge_all = [&] {
    result.comparisons.clear();
    for (const auto& baseline : baselines)
      result.comparisons.push_back(judge(baseline, samples, per_run, options));
  };
  judge_all();
  std::set<std::string> rerun;
  const auto rerun_args = without(run_args, {"filter", "out"});
  for (int round = 1; round <= max_reruns; ++round) {
    std::set<std::string> names;
    for (const auto& c : result.comparisons)
      for (auto& name : suspects(c, options.threshold)) names.insert(std::move(name));
    if (names.empty()) break;
    const std::vector<std::string> list(names.begin(), names.end());
    std::cerr << fmt::format("gate: re-running {} suspected regression(s), round {} of {}\n",
                             list.size(), round, max_reruns);
    auto args = rerun_args;
    args.insert(args.end(), {"--filter", exact_filter(list)});
    const auto record = run_child(args, work_dir / fmt::format("{}-{}.json", tag, round));
    compare::SampleSet again;
    try {
      again = compare::samples_from_record(record, tag);
    } catch (const compare::CompareInputError& e) {
      throw UsageError(e.what());
    }
    for (const auto& [name, s] : again) {
      if (!names.contains(name)) continue;
      auto& merged = samples[name];
      if (!s.invalid.empty()) merged.invalid = s.invalid;
      merged.values.insert(merged.values.end(), s.values.begin(), s.values.end());
      if (s.invalid.empty() && !s.values.empty())
        per_run[name].push_back(compare::median(s.values));
    }
    rerun.insert(list.begin(), list.end());
    result.reruns = static_cast<std::size_t>(round);
    judge_all();
  }
  result.rerun_names.assign(rerun.begin(), rerun.end());
  return result;
}

int run_gate(const Invocation& invocation) {
  po::options_description options = option_table();
  add_comparison_options(options);
  add_history_options(options);
  options.add_options()                                                                //
      ("baseline", po::value<std::string>(), "BASE.json: the record to compare with")  //
      ("reruns", po::value<int>()->default_value(kDefaultReruns),
       "re-runs of the suspected regressions before failing (0..10)")  //
      // Read as a signed number: Boost reads "-1" into a size_t as its largest value.
      ("history-runs", po::value<long long>()->default_value(kDefaultHistoryRuns),
       "with --db: how many recent runs of this machine and branch form the baseline")     //
      ("allow-mismatch", flag(), "compare with a baseline made on another machine")        //
      ("self-test", flag(), "measure the gate's false-positive and detection rates here")  //
      ("pairs", po::value<int>()->default_value(3), "with --self-test: A/A pairs to run")  //
      ("help,h", "show this help");
  po::variables_map values;
  std::vector<std::string> run_args;
  try {
    const auto parsed =
        po::command_line_parser(invocation.args).options(options).allow_unregistered().run();
    run_args = po::collect_unrecognized(parsed.options, po::include_positional);
    po::store(parsed, values);
    po::notify(values);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  if (values.count("help")) {
    std::cout << "Usage: tpbench gate (--baseline BASE.json | --db DB) [options] [run options]\n"
                 "       tpbench gate --self-test [--pairs N] [run options]\n\n"
                 "Runs the selection (any `tpbench run` option), compares it with the baseline "
                 "record or with the recent history of this machine and branch, re-runs only the "
                 "suspected regressions, and fails (exit 1) on a confirmed one. Exit 0 pass, 1 "
                 "regression, 2 bad input, 3 untrustworthy (machines differ, nothing judged).\n\n"
              << options << '\n';
    return kExitSuccess;
  }
  const auto compare_options = comparison_options(invocation, values);
  const int reruns = values["reruns"].as<int>();
  if (reruns < 0 || reruns > 10) throw UsageError("--reruns: must be 0..10");
  if (values["history-runs"].as<long long>() < 1)
    throw UsageError(fmt::format("--history-runs: must be 1 or more, got {}",
                                 values["history-runs"].as<long long>()));
  const auto history_runs = static_cast<std::size_t>(values["history-runs"].as<long long>());
  install_interrupt_handlers();

  if (values["self-test"].as<bool>()) {
    SelfTestOptions self;
    self.pairs = values["pairs"].as<int>();
    if (self.pairs < 0 || self.pairs > 1000) throw UsageError("--pairs: must be 0..1000");
    self.max_reruns = reruns;
    self.compare = compare_options;
    self.run_args = run_args.empty() ? std::vector<std::string>{"--quick"} : run_args;
    self.history_runs = std::min<std::size_t>(history_runs, 10);
    if (!values["db"].defaulted()) self.db = values["db"].as<std::string>();
    try {
      return run_gate_self_test(self);
    } catch (const GateInterrupted&) {
      return kExitInterrupted;
    }
  }

  const bool file_mode = values.count("baseline") > 0;
  const bool db_mode = !values["db"].defaulted();
  if (file_mode == db_mode)
    throw UsageError("give exactly one of --baseline BASE.json and --db DB");
  std::optional<LoadedRecord> base_record;
  std::unique_ptr<history::HistoryStore> store;
  std::string branch;
  if (file_mode) {
    base_record = load_for_compare(values["baseline"].as<std::string>());
  } else {
    // Without its history a gate cannot judge: exit 3, before measuring anything. A history
    // written by a newer tpbench is bad input instead (exit 2).
    try {
      store = history::open_history_store(values["db"].as<std::string>());
    } catch (const history::HistorySchemaTooNew& e) {
      throw UsageError(fmt::format("--db: {}", e.what()));
    } catch (const history::HistoryError& e) {
      std::cerr << fmt::format("tpbench gate: --db: {} (no baseline: cannot judge)\n", e.what());
      return kExitUntrusted;
    }
    branch = current_branch(values["branch"].as<std::string>());
  }
  const bool allow_mismatch = values["allow-mismatch"].as<bool>();
  const BaselineMaker make_baselines = [&](const report::RunRecord& first) {
    Baseline baseline;
    if (base_record) {
      const LoadedRecord next = loaded(first, "the gate's run");
      if (auto why = machine_mismatch(*base_record, next, allow_mismatch); !why.empty())
        throw GateUntrusted{why};
      baseline.record = base_record->samples;
    } else {
      const auto fingerprint = report::machine_identity(first.tpbench).fingerprint;
      std::vector<history::Series> recent;
      try {
        recent = store->query_series({"", {fingerprint, branch, history_runs}});
      } catch (const history::HistoryError& e) {
        throw HistoryUnavailable{e.what()};
      }
      for (const auto& series : recent) {
        auto& values_of = baseline.history[series.benchmark];
        for (const auto& point : series.points) values_of.push_back(compare::median(point.values));
      }
    }
    return std::vector<Baseline>{baseline};
  };

  const auto out = std::find(run_args.begin(), run_args.end(), std::string("--out"));
  const bool out_given = out != run_args.end() && out + 1 != run_args.end();
  const auto work_dir = make_work_dir();
  GateResult result;
  try {
    result = gate_once(make_baselines, run_args, compare_options, reruns, work_dir, "gate");
  } catch (const GateInterrupted&) {
    std::cerr << "tpbench gate: interrupted\n";
    return kExitInterrupted;
  } catch (const GateUntrusted& e) {
    std::cerr << "tpbench gate: " << e.why << " (--allow-mismatch to compare anyway)\n";
    return kExitUntrusted;
  } catch (const HistoryUnavailable& e) {
    // The run was measured: keep its record where --out says, else where it is.
    std::filesystem::path kept = work_dir / "gate-0.json";
    if (out_given) {
      std::ifstream in(kept, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      report::write_text_file(text.str(), *(out + 1));  // atomically and durably, as every record
      kept = *(out + 1);
    }
    std::cerr << fmt::format(
        "tpbench gate: --db: {} (no baseline: cannot judge; the run's record: "
        "{})\n",
        e.why, kept.string());
    return kExitUntrusted;
  }
  // The gate's own run is kept: in --out when asked, and in the history with --db. When the
  // history cannot take it, the record is written all the same (to the default path when no
  // --out was given), so nothing measured is lost.
  if (out_given) report::write_record(result.first_record, *(out + 1));
  std::string history_failure;
  if (store && result.first_record.tpbench.options.inject_slowdown_pct > 0) {
    std::cout << "gate: the run is not added to the history (it was made with "
                 "--inject-slowdown)\n";
  } else if (store) {
    try {
      append_record(*store, result.first_record, "the gate's run", branch);
    } catch (const UsageError& e) {
      const std::filesystem::path kept =
          out_given ? std::filesystem::path(*(out + 1)) : default_record_path();
      if (!out_given) report::write_record(result.first_record, kept);
      history_failure = fmt::format("--db: {} (the run's record: {})", e.what(), kept.string());
    }
  }
  if (result.reruns > 0)
    std::cout << fmt::format("gate: {} benchmark(s) re-run, {} round(s)\n",
                             result.rerun_names.size(), result.reruns);
  const auto& comparison = result.comparisons.front();
  report_comparison(comparison, values);
  std::filesystem::remove_all(work_dir);
  int verdict = comparison_exit_code(comparison);
  const bool any_valid =
      comparison.count(compare::Verdict::kInvalid) < comparison.benchmarks.size();
  if (file_mode && any_valid && !compare::regression_reachable(comparison)) {
    // A verdict that could not have been a failure: too few repetitions for Holm's bound.
    std::cerr << "tpbench gate: --baseline: these repetition counts cannot reach significance "
                 "over this many benchmarks, so no regression could be found (record the "
                 "baseline with --quick --repetitions 10 or more, or gate with --db)\n";
    verdict = kExitUntrusted;
  } else if (verdict == kExitUntrusted) {
    std::cerr << "tpbench gate: " << nothing_judged_reason(comparison) << '\n';
  }
  if (history_failure.empty()) return verdict;
  std::cerr << "tpbench gate: " << history_failure << '\n';
  return verdict == kExitSuccess ? kExitUsage : verdict;
}

}  // namespace tpb::cli
