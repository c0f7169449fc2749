// tpbench gate --self-test: how often the gate fails an unchanged build here, and how often it
// catches an injected slowdown, beside compare.py's rule on the same runs; then the change-point
// detector on synthetic histories whose noise is this machine's.
//
// Gate part. A few unchanged runs first form a history. Then each pair: an unchanged baseline
// run A, and three gate runs against it (unchanged, --inject-slowdown 5, --inject-slowdown 10),
// each with its re-runs of suspects. Every gate run is judged three ways on the same samples:
// the gate with --baseline A (repetitions, Mann-Whitney, Holm), the gate with --db (the history's
// recent runs, between-run t test, Holm), and compare.py's rule (Google Benchmark's
// tools/compare.py: any benchmark slower with a two-sided U test p < 0.05, no correction, no
// threshold, first run only). Unchanged runs join the history after their pair.
//
// Detector part. Seeded series of 100 run values: stationary, and with steps of 2%, 5%, 10% and
// 2.5 sigma at run 60, with Gaussian noise of this machine's between-run spread (the median over
// benchmarks of the history's relative standard deviation of run medians). Reported: series with
// a false change point, exact and +-1 run location, and the delay (runs after the step before the
// detector, run on the history as it grows, reports it).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include <tpb/compare.hpp>
#include <tpb/history.hpp>

#include "command.hpp"
#include "gate.hpp"
#include "options.hpp"

namespace tpb::cli {
namespace {

// compare.py's decision rule on two records' repetitions.
bool compare_py_fails(const compare::SampleSet& base, const compare::SampleSet& next) {
  for (const auto& [name, b] : base) {
    const auto n = next.find(name);
    if (n == next.end() || !b.invalid.empty() || !n->second.invalid.empty()) continue;
    if (b.values.empty() || n->second.values.empty()) continue;
    const auto test = compare::mann_whitney(b.values, n->second.values);
    if (test.p_two_sided < 0.05 && compare::median(n->second.values) > compare::median(b.values))
      return true;
  }
  return false;
}

bool gate_fails(const compare::Comparison& c) {
  return c.count(compare::Verdict::kRegression) > 0;
}

struct Tally {
  int runs = 0;
  int failed = 0;
  std::string rate() const {
    return runs ? fmt::format("{}/{} ({:.0f}%)", failed, runs, 100.0 * failed / runs) : "-";
  }
};

// Between-run relative standard deviation of run medians, median over benchmarks.
double machine_noise(const std::vector<compare::SampleSet>& runs) {
  std::map<std::string, std::vector<double>> per_benchmark;
  for (const auto& run : runs)
    for (const auto& [name, values] : run_values(run)) per_benchmark[name].push_back(values[0]);
  std::vector<double> spreads;
  for (const auto& [name, values] : per_benchmark) {
    if (values.size() < 3) continue;
    double mean = 0;
    for (double v : values) mean += std::log(v);
    mean /= static_cast<double>(values.size());
    double squares = 0;
    for (double v : values) squares += (std::log(v) - mean) * (std::log(v) - mean);
    spreads.push_back(std::sqrt(squares / static_cast<double>(values.size() - 1)));
  }
  return spreads.empty() ? 0.0 : compare::median(spreads);
}

class Gaussian {
 public:
  explicit Gaussian(std::uint64_t seed) : state_(seed) {}
  double next() {
    // Box-Muller over a splitmix64 stream: the same numbers for the same seed everywhere.
    const double u1 = (static_cast<double>(raw() >> 11) + 0.5) / 9007199254740992.0;
    const double u2 = (static_cast<double>(raw() >> 11) + 0.5) / 9007199254740992.0;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::uint64_t raw() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t state_;
};

void detector_self_test(double noise, const std::string& noise_source) {
  constexpr std::size_t kLength = 100;
  constexpr std::size_t kStepAt = 60;
  constexpr int kSeries = 200;
  constexpr int kStationarySeries = 1000;  // false alarms are rare: more series to count them
  constexpr int kDelaySeries = kSeries;    // a median of 40 moved by a run between seeds
  constexpr std::size_t kMaxDelay = 15;
  std::cout << fmt::format(
      "\nChange-point detector on synthetic histories: {} stationary series and {} per step, "
      "{} runs each, noise {:.2f}% ({}), step at run {}, seeded\n",
      kStationarySeries, kSeries, kLength, noise * 100, noise_source, kStepAt + 1);
  std::cout << fmt::format("  {:<14} {:>18} {:>10} {:>10} {:>10} {:>14}\n", "series",
                           "with a change pt", "exact", "+-1 run", "missed", "median delay");
  struct Row {
    std::string name;
    double step;
  };
  const std::vector<Row> rows = {{"stationary", 0},
                                 {"step 2%", 0.02},
                                 {"step 5%", 0.05},
                                 {"step 10%", 0.10},
                                 {"step 2.5 sigma", 2.5 * noise}};
  std::uint64_t seed = 1;
  for (const auto& row : rows) {
    int with_change = 0;
    int exact = 0;
    int near = 0;
    int missed = 0;
    std::vector<double> delays;
    const int count = row.step == 0 ? kStationarySeries : kSeries;
    for (int s = 0; s < count; ++s) {
      Gaussian noise_source_stream(seed++ * 0x1000193ULL);
      std::vector<double> series;
      for (std::size_t i = 0; i < kLength; ++i)
        series.push_back(1000.0 * (1.0 + (i >= kStepAt ? row.step : 0.0)) *
                         std::exp(noise * noise_source_stream.next()));
      const auto found = compare::detect_change_points(series);
      if (!found.empty()) ++with_change;
      if (row.step == 0) continue;
      const bool at_step = std::any_of(found.begin(), found.end(),
                                       [&](const auto& c) { return c.index == kStepAt; });
      const bool near_step = std::any_of(found.begin(), found.end(), [&](const auto& c) {
        return c.index + 1 >= kStepAt && c.index <= kStepAt + 1;
      });
      exact += at_step;
      near += near_step;
      missed += !near_step;
      if (s < kDelaySeries) {
        // Runs after the step (the first run after it counts 1) until a change point within one
        // run of the step is reported.
        for (std::size_t after = 1; after <= kMaxDelay; ++after) {
          const std::vector<double> prefix(series.begin(),
                                           series.begin() + static_cast<long>(kStepAt + after));
          const auto online = compare::detect_change_points(prefix);
          if (std::any_of(online.begin(), online.end(), [&](const auto& c) {
                return c.index + 1 >= kStepAt && c.index <= kStepAt + 1;
              })) {
            delays.push_back(static_cast<double>(after));
            break;
          }
        }
      }
    }
    const auto percent = [count](int n) { return fmt::format("{:.1f}%", 100.0 * n / count); };
    std::cout << fmt::format(
        "  {:<14} {:>18} {:>10} {:>10} {:>10} {:>14}\n", row.name, percent(with_change),
        row.step == 0 ? "-" : percent(exact), row.step == 0 ? "-" : percent(near),
        row.step == 0 ? "-" : percent(missed),
        row.step == 0 ? "-"
        : delays.empty()
            ? fmt::format("> {}", kMaxDelay)
            : fmt::format("{} ({} of {})", compare::median(delays), delays.size(), kDelaySeries));
  }
}

}  // namespace

int run_gate_self_test(const SelfTestOptions& options) {
  std::vector<compare::SampleSet> unchanged_runs;  // the history, oldest first
  const auto history_values = [&] {
    Baseline baseline;
    const std::size_t first = unchanged_runs.size() > options.history_runs
                                  ? unchanged_runs.size() - options.history_runs
                                  : 0;
    for (std::size_t i = first; i < unchanged_runs.size(); ++i)
      for (const auto& [name, values] : run_values(unchanged_runs[i]))
        baseline.history[name].push_back(values[0]);
    return baseline;
  };
  std::string run_line;
  for (const auto& a : options.run_args) run_line += " " + a;
  std::filesystem::path work_dir =
      std::filesystem::temp_directory_path() / fmt::format("tpbench-gate-self-test-{}", ::getpid());
  std::filesystem::create_directories(work_dir);

  if (options.pairs > 0) {
    const std::size_t warmup = std::min<std::size_t>(options.history_runs, 6);
    std::cout << fmt::format(
        "Gate self-test: {} pair(s) of `tpbench run{}`, threshold {:.1f}%, alpha {} "
        "(family-wise, Holm), up to {} re-run(s); {} unchanged run(s) first form the history\n",
        options.pairs, run_line, options.compare.threshold * 100, options.compare.alpha,
        options.max_reruns, warmup);
    for (std::size_t i = 0; i < warmup; ++i) {
      const auto record = run_child(options.run_args, work_dir / fmt::format("warmup-{}.json", i));
      unchanged_runs.push_back(compare::samples_from_record(record, "warm-up run"));
      std::cout << fmt::format("  warm-up run {} of {} done\n", i + 1, warmup) << std::flush;
    }
    // [slowdown][rule]: rule 0 gate --baseline, 1 gate --db, 2 compare.py's rule.
    const std::vector<int> slowdowns = {0, 5, 10};
    std::map<int, std::array<Tally, 3>> tallies;
    std::size_t benchmarks = 0;
    for (int pair = 0; pair < options.pairs; ++pair) {
      const auto base_record =
          run_child(options.run_args, work_dir / fmt::format("pair{}-base.json", pair));
      const auto base = compare::samples_from_record(base_record, "baseline run");
      benchmarks = base.size();
      std::vector<compare::SampleSet> new_unchanged;
      for (const int slowdown : slowdowns) {
        auto args = options.run_args;
        if (slowdown) args.insert(args.end(), {"--inject-slowdown", std::to_string(slowdown)});
        Baseline file_baseline;
        file_baseline.record = base;
        const Baseline db_baseline = history_values();
        const auto result = gate_once(
            [&](const report::RunRecord&) {
              return std::vector<Baseline>{file_baseline, db_baseline};
            },
            args, options.compare, options.max_reruns, work_dir,
            fmt::format("pair{}-slow{}", pair, slowdown));
        auto& t = tallies[slowdown];
        const bool fails[3] = {gate_fails(result.comparisons[0]), gate_fails(result.comparisons[1]),
                               compare_py_fails(base, result.first_samples)};
        for (int rule = 0; rule < 3; ++rule) {
          ++t[rule].runs;
          t[rule].failed += fails[rule];
        }
        std::cout << fmt::format(
                         "  pair {} +{}%: gate --baseline {}, gate --db {}, compare.py rule {} "
                         "({} re-run round(s), {} benchmark(s) re-run)\n",
                         pair + 1, slowdown, fails[0] ? "FAIL" : "pass", fails[1] ? "FAIL" : "pass",
                         fails[2] ? "FAIL" : "pass", result.reruns, result.rerun_names.size())
                  << std::flush;
        if (slowdown == 0) new_unchanged.push_back(result.first_samples);
      }
      unchanged_runs.push_back(base);
      for (auto& s : new_unchanged) unchanged_runs.push_back(std::move(s));
    }
    std::cout << fmt::format(
        "\n{} benchmarks per run. Share of gate runs that fail:\n  {:<34} {:>14} {:>14} {:>14}\n",
        benchmarks, "rule", "A/A (+0%)", "+5% injected", "+10% injected");
    const char* names[3] = {"gate --baseline (one record)", "gate --db (history of runs)",
                            "compare.py rule (U p<0.05, any)"};
    for (int rule = 0; rule < 3; ++rule)
      std::cout << fmt::format("  {:<34} {:>14} {:>14} {:>14}\n", names[rule],
                               tallies[0][rule].rate(), tallies[5][rule].rate(),
                               tallies[10][rule].rate());
  }

  double noise = machine_noise(unchanged_runs);
  std::string source = fmt::format("from {} unchanged runs here", unchanged_runs.size());
  if (noise == 0 && !options.db.empty()) {
    auto store = history::open_history_store(options.db);
    std::vector<compare::SampleSet> from_db;
    std::map<std::string, compare::SampleSet> by_run;
    for (const auto& series : store->query_series({"", {}}))
      for (const auto& point : series.points) {
        auto& s = by_run[point.run.run_id][series.benchmark];
        s.values = point.values;
      }
    from_db.reserve(by_run.size());
    for (auto& [id, set] : by_run) from_db.push_back(std::move(set));
    noise = machine_noise(from_db);
    source = fmt::format("from {} runs in {}", from_db.size(), options.db);
  }
  if (noise == 0) {
    noise = 0.02;
    source = "no runs measured here: an assumed 2%";
  }
  detector_self_test(noise, source);
  std::filesystem::remove_all(work_dir);
  return kExitSuccess;
}

}  // namespace tpb::cli
