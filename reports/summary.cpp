// The short table printed after every run: per suite and case, backends ranked by their median,
// each with vs_ref (its median over the reference's median in the same scenario). A repetition's
// value is its p50_ns counter (per operation) where it has one, else Google Benchmark's time.
// Medians are taken over the repetitions of each benchmark; a case measured in several scenarios
// (placements, priorities) shows the geometric mean over the scenarios all its backends measured,
// which keeps rows and ratios comparable.
#include <tpb/report.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>

namespace tpb::report {
namespace {

// Segments Google Benchmark appends to a name by itself; they are not part of the scenario.
const std::set<std::string, std::less<>> kBenchmarkKeys = {"repeats", "min_time", "min_warmup_time",
                                                           "iterations", "threads"};
const std::set<std::string, std::less<>> kBenchmarkFlags = {"manual_time", "real_time",
                                                            "process_time"};

struct ParsedName {
  std::string suite_case;  // "suite/case"
  std::string backend;     // "pool wake:spin"
  std::string scenario;    // every other key:value segment
};

ParsedName parse_name(const std::string& run_name, const SummaryOptions& options) {
  ParsedName out;
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= run_name.size()) {
    const std::size_t slash = std::min(run_name.find('/', start), run_name.size());
    segments.push_back(run_name.substr(start, slash - start));
    start = slash + 1;
  }
  std::string variants;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    const std::size_t colon = seg.find(':');
    const std::string key = colon == std::string::npos ? seg : seg.substr(0, colon);
    if (i < 2 && colon == std::string::npos) {
      out.suite_case += (i == 0 ? "" : "/") + seg;
    } else if (key == "backend") {
      out.backend = seg.substr(colon + 1);
    } else if (kBenchmarkKeys.count(key) || kBenchmarkFlags.count(seg)) {
      continue;
    } else if (std::find(options.variant_keys.begin(), options.variant_keys.end(), key) !=
               options.variant_keys.end()) {
      variants += " " + seg;
    } else {
      out.scenario += "/" + seg;
    }
  }
  if (out.backend.empty()) out.backend = "-";
  out.backend += variants;
  return out;
}

double to_ns(double value, const std::string& unit) {
  if (unit == "us") return value * 1e3;
  if (unit == "ms") return value * 1e6;
  if (unit == "s") return value * 1e9;
  return value;
}

std::string format_ns(double ns) {
  if (ns < 1e3) return fmt::format("{:.1f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.2f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double geomean(const std::vector<double>& values) {
  double log_sum = 0;
  for (double v : values) log_sum += std::log(v);
  return std::exp(log_sum / static_cast<double>(values.size()));
}

struct Row {
  std::string backend;
  double median_ns = 0;
  std::optional<double> vs_ref;
  std::size_t scenarios = 0;
};

}  // namespace

std::string summary_table(const RunRecord& record, const SummaryOptions& options) {
  // suite/case -> backend -> scenario -> repetition times (ns)
  std::map<std::string, std::map<std::string, std::map<std::string, std::vector<double>>>> times;
  std::size_t errors = 0;
  std::string first_error;
  std::set<std::string> errored_names;
  for (const BenchmarkEntry& entry : record.benchmarks) {
    if (entry.run_type != "iteration") continue;
    const std::string& run_name = entry.run_name;
    if (entry.error_occurred) {
      if (errored_names.insert(run_name).second) ++errors;
      if (first_error.empty())
        first_error = run_name + ": " + entry.error_message.value_or("error");
      continue;
    }
    // A latency benchmark's p50_ns is per operation; Google Benchmark's time column may hold a
    // whole timed batch (16 round trips, a burst) and is a mean that one preemption can swamp.
    double ns = 0;
    if (const auto p50 = entry.counters.find("p50_ns");
        p50 != entry.counters.end() && std::isfinite(p50->second)) {
      ns = p50->second;
    } else if (std::isfinite(entry.real_time)) {
      ns = to_ns(entry.real_time, entry.time_unit);
    } else {
      continue;
    }
    const ParsedName name = parse_name(run_name, options);
    times[name.suite_case][name.backend][name.scenario].push_back(ns);
  }

  std::string out;
  if (times.empty()) out += "No benchmark produced a measurement.\n";
  for (const auto& [suite_case, backends] : times) {
    std::map<std::string, double> reference;  // scenario -> median
    if (const auto ref = backends.find("reference"); ref != backends.end())
      for (const auto& [scenario, values] : ref->second) reference[scenario] = median(values);
    // Rank over the scenarios every backend of this case measured, so each row averages the
    // same things; when they share none, each row uses its own.
    std::set<std::string> common;
    bool first = true;
    for (const auto& [backend, scenarios] : backends) {
      std::set<std::string> mine;
      for (const auto& [scenario, values] : scenarios) mine.insert(scenario);
      if (first) {
        common = std::move(mine);
        first = false;
      } else {
        std::set<std::string> both;
        std::set_intersection(common.begin(), common.end(), mine.begin(), mine.end(),
                              std::inserter(both, both.begin()));
        common = std::move(both);
      }
    }
    std::vector<Row> rows;
    for (const auto& [backend, scenarios] : backends) {
      std::vector<double> medians, ratios;
      for (const auto& [scenario, values] : scenarios) {
        if (!common.empty() && !common.count(scenario)) continue;
        const double m = median(values);
        if (m <= 0) continue;
        medians.push_back(m);
        if (const auto r = reference.find(scenario); r != reference.end() && r->second > 0)
          ratios.push_back(m / r->second);
      }
      if (medians.empty()) continue;
      Row row{backend, geomean(medians), std::nullopt, medians.size()};
      if (!ratios.empty()) row.vs_ref = geomean(ratios);
      rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end(),
              [](const Row& a, const Row& b) { return a.median_ns < b.median_ns; });
    out += fmt::format("{}\n", suite_case);
    int rank = 0;
    for (const Row& row : rows) {
      out += fmt::format(
          "  {:>2}. {:<24} {:>11}  vs_ref {:>6}{}\n", ++rank, row.backend, format_ns(row.median_ns),
          row.vs_ref ? fmt::format("{:.2f}", *row.vs_ref) : std::string("-"),
          row.scenarios > 1 ? fmt::format("  ({} scenarios)", row.scenarios) : std::string());
    }
  }
  constexpr std::size_t kMaxMessage = 160;
  if (first_error.size() > kMaxMessage) first_error = first_error.substr(0, kMaxMessage) + "...";
  if (errors > 0)
    out += fmt::format("{} benchmark{} reported an error; first: {}\n", errors,
                       errors == 1 ? "" : "s", first_error);
  return out;
}

}  // namespace tpb::report
