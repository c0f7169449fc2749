// Repetitions measured as separate passes, merged into Google Benchmark's own layout.
//
// Why not Google Benchmark's --benchmark_repetitions: in 1.7.1 its ComputeStats aborts when a
// repetition that reported an error ran a different number of iterations than the first one, and
// dereferences a null pointer when the first repetition reported an error but two later ones did
// not. Both happen in practice: an interrupted run always ends its current benchmark early, and an
// RT case can fail one repetition. With one repetition per pass Google Benchmark never aggregates,
// and the aggregates are computed here the way it does (mean, median, stddev, cv over the
// repetitions without an error, when there are at least two).
#include <tpb/report.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace tpb::report {
namespace {

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double stddev(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean(v);
  double sq = 0;
  for (double x : v) sq += (x - m) * (x - m);
  return std::sqrt(sq / static_cast<double>(v.size() - 1));
}

double cv(const std::vector<double>& v) {
  const double m = mean(v);
  return m == 0 ? 0 : stddev(v) / m;
}

struct Statistic {
  const char* name;
  double (*compute)(const std::vector<double>&);
  const char* unit;
};
double median_of(const std::vector<double>& v) {
  return median(v);
}
const Statistic kStatistics[] = {{"mean", &mean, "time"},
                                 {"median", &median_of, "time"},
                                 {"stddev", &stddev, "time"},
                                 {"cv", &cv, "percentage"}};

template <class Field>
std::vector<double> column(const std::vector<const BenchmarkEntry*>& runs, Field field) {
  std::vector<double> out;
  for (const auto* run : runs)
    if (const std::optional<double> v = field(*run); v && std::isfinite(*v)) out.push_back(*v);
  return out;
}

std::vector<BenchmarkEntry> aggregates(const std::vector<const BenchmarkEntry*>& runs,
                                       int repetitions) {
  std::vector<const BenchmarkEntry*> ok;
  for (const auto* run : runs)
    if (!run->error_occurred) ok.push_back(run);
  std::vector<BenchmarkEntry> out;
  if (ok.size() < 2) return out;
  const BenchmarkEntry& first = *ok.front();
  std::set<std::string> counters;
  for (const auto* run : ok)
    for (const auto& [key, value] : run->counters) counters.insert(key);
  for (const Statistic& stat : kStatistics) {
    BenchmarkEntry a;
    a.name = first.run_name + "_" + stat.name;
    a.family_index = first.family_index;
    a.per_family_instance_index = first.per_family_instance_index;
    a.run_name = first.run_name;
    a.run_type = "aggregate";
    a.repetitions = repetitions;
    a.threads = first.threads;
    a.aggregate_name = stat.name;
    a.aggregate_unit = stat.unit;
    a.iterations = static_cast<std::int64_t>(ok.size());
    a.real_time = stat.compute(
        column(ok, [](const BenchmarkEntry& e) { return std::optional<double>(e.real_time); }));
    a.cpu_time = stat.compute(
        column(ok, [](const BenchmarkEntry& e) { return std::optional<double>(e.cpu_time); }));
    a.time_unit = first.time_unit;
    for (const std::string& key : counters) {
      const auto values = column(ok, [&key](const BenchmarkEntry& e) -> std::optional<double> {
        const auto it = e.counters.find(key);
        if (it == e.counters.end()) return std::nullopt;
        return it->second;
      });
      if (!values.empty()) a.counters[key] = stat.compute(values);
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

BenchmarkOutput merge_repetitions(const std::vector<BenchmarkOutput>& passes, int repetitions) {
  BenchmarkOutput merged;
  if (!passes.empty()) merged.context = passes.front().context;
  // run name -> its entries, one per pass, in the order names first appear.
  std::vector<std::string> order;
  std::map<std::string, std::vector<BenchmarkEntry>> runs;
  for (std::size_t pass = 0; pass < passes.size(); ++pass) {
    for (const BenchmarkEntry& entry : passes[pass].benchmarks) {
      if (entry.run_type != "iteration") continue;
      // Stopped before it measured: no repetition to record (a zero time would read as a
      // speed-up to every reader of the record).
      if (entry.error_occurred && entry.error_message == kNotMeasuredError) continue;
      if (!runs.count(entry.run_name)) order.push_back(entry.run_name);
      BenchmarkEntry run = entry;
      run.repetitions = repetitions;
      run.repetition_index = static_cast<int>(pass);
      runs[entry.run_name].push_back(std::move(run));
    }
  }
  for (const auto& name : order) {
    std::vector<const BenchmarkEntry*> pointers;
    for (const auto& run : runs[name]) {
      merged.benchmarks.push_back(run);
      pointers.push_back(&run);
    }
    for (auto& a : aggregates(pointers, repetitions)) merged.benchmarks.push_back(std::move(a));
  }
  return merged;
}

}  // namespace tpb::report
