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

// Fields of a run entry that are not user counters.
const std::set<std::string> kRunFields = {"name",
                                          "family_index",
                                          "per_family_instance_index",
                                          "run_name",
                                          "run_type",
                                          "repetitions",
                                          "repetition_index",
                                          "threads",
                                          "aggregate_name",
                                          "aggregate_unit",
                                          "error_occurred",
                                          "error_message",
                                          "iterations",
                                          "real_time",
                                          "cpu_time",
                                          "time_unit",
                                          "label",
                                          "big_o",
                                          "cpu_coefficient",
                                          "real_coefficient",
                                          "rms",
                                          "allocs_per_iter",
                                          "max_bytes_used",
                                          "total_allocated_bytes",
                                          "net_heap_growth"};

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

std::vector<double> column(const std::vector<const nlohmann::json*>& runs, const std::string& key) {
  std::vector<double> out;
  for (const auto* run : runs)
    if (const auto it = run->find(key); it != run->end() && it->is_number())
      out.push_back(it->get<double>());
  return out;
}

nlohmann::json aggregates(const std::vector<const nlohmann::json*>& runs, int repetitions) {
  std::vector<const nlohmann::json*> ok;
  for (const auto* run : runs)
    if (!run->value("error_occurred", false)) ok.push_back(run);
  nlohmann::json out = nlohmann::json::array();
  if (ok.size() < 2) return out;
  const nlohmann::json& first = *ok.front();
  std::set<std::string> counters;
  for (const auto* run : ok)
    for (const auto& [key, value] : run->items())
      if (!kRunFields.count(key) && value.is_number()) counters.insert(key);
  for (const Statistic& stat : kStatistics) {
    nlohmann::json a;
    a["name"] = first.value("run_name", std::string()) + "_" + stat.name;
    a["family_index"] = first.value("family_index", 0);
    a["per_family_instance_index"] = first.value("per_family_instance_index", 0);
    a["run_name"] = first.value("run_name", std::string());
    a["run_type"] = "aggregate";
    a["repetitions"] = repetitions;
    a["threads"] = first.value("threads", 1);
    a["aggregate_name"] = stat.name;
    a["aggregate_unit"] = stat.unit;
    a["iterations"] = ok.size();
    a["real_time"] = stat.compute(column(ok, "real_time"));
    a["cpu_time"] = stat.compute(column(ok, "cpu_time"));
    a["time_unit"] = first.value("time_unit", std::string("ns"));
    for (const auto& key : counters) {
      const auto values = column(ok, key);
      if (!values.empty()) a[key] = stat.compute(values);
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

nlohmann::json merge_repetitions(const std::vector<nlohmann::json>& passes, int repetitions) {
  nlohmann::json merged;
  merged["context"] = passes.empty() ? nlohmann::json::object()
                                     : passes.front().value("context", nlohmann::json::object());
  // run name -> its entries, one per pass, in the order names first appear.
  std::vector<std::string> order;
  std::map<std::string, std::vector<nlohmann::json>> runs;
  for (std::size_t pass = 0; pass < passes.size(); ++pass) {
    for (const auto& entry : passes[pass].value("benchmarks", nlohmann::json::array())) {
      if (entry.value("run_type", "iteration") != "iteration") continue;
      const std::string name = entry.value("run_name", entry.value("name", std::string()));
      if (!runs.count(name)) order.push_back(name);
      nlohmann::json run = entry;
      run["repetitions"] = repetitions;
      run["repetition_index"] = pass;
      runs[name].push_back(std::move(run));
    }
  }
  nlohmann::json benchmarks = nlohmann::json::array();
  for (const auto& name : order) {
    std::vector<const nlohmann::json*> pointers;
    for (const auto& run : runs[name]) {
      benchmarks.push_back(run);
      pointers.push_back(&run);
    }
    for (auto& a : aggregates(pointers, repetitions)) benchmarks.push_back(std::move(a));
  }
  merged["benchmarks"] = std::move(benchmarks);
  return merged;
}

}  // namespace tpb::report
