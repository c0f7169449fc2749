// Not a test: measures the history store at scale, for the notes (speed goals are not asserted in
// tests). Fills a fresh store at DB with RUNS runs of BENCHMARKS benchmarks x 3 repetitions, then
// prints the median time of the last 200 appends and of querying one benchmark's series over all
// runs (10 queries), in wall-clock and in this process's CPU time (the machine is shared: CPU time
// is the steadier figure). A store already holding the runs is reused, and then only queried.
// Usage: history_scale_probe DB RUNS BENCHMARKS
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <tpb/history.hpp>

namespace {

double median_ms(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: history_scale_probe DB RUNS BENCHMARKS\n");
    return 2;
  }
  const std::string db = argv[1];
  const int runs = std::stoi(argv[2]);
  const int benchmarks = std::stoi(argv[3]);
  try {
    auto store = tpb::history::open_history_store(db);
    std::vector<double> append_ms;
    const bool reused = store->read_run("probe-" + std::to_string(runs - 1)).has_value();
    using clock = std::chrono::steady_clock;
    for (int i = 0; i < runs && !reused; ++i) {
      tpb::history::Run run;
      char time[32];
      std::snprintf(time, sizeof time, "2026-01-01T00:00:00.%07dZ", i);
      run.info = {"probe-" + std::to_string(i),
                  "rev" + std::to_string(i),
                  "main",
                  time,
                  "0.1.0",
                  "fp-probe"};
      for (int b = 0; b < benchmarks; ++b) {
        tpb::history::BenchmarkResult result{"probe/bench" + std::to_string(b), {}};
        for (int rep = 0; rep < 3; ++rep)
          result.repetitions.push_back({rep, 1000.0 + rep + (i % 7), {{"p50_ns", 1000.0 + rep}}});
        run.benchmarks.push_back(std::move(result));
      }
      const auto start = clock::now();
      store->append_run(run);
      if (i >= runs - 200)
        append_ms.push_back(
            std::chrono::duration<double, std::milli>(clock::now() - start).count());
    }
    std::vector<double> query_ms;
    std::vector<double> query_cpu_ms;
    std::size_t points = 0;
    for (int q = 0; q < 10; ++q) {
      const auto start = clock::now();
      const double start_cpu = cpu_ms();
      const auto series = store->query_series({"^probe/bench3$", {"fp-probe", "main", 0}});
      query_cpu_ms.push_back(cpu_ms() - start_cpu);
      query_ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
      points = series.empty() ? 0 : series[0].points.size();
    }
    if (reused) append_ms.push_back(0);
    std::printf(
        "runs %d, benchmarks per run %d: append (last 200%s) median %.3f ms; query one "
        "series (%zu points) median %.1f ms wall, %.1f ms CPU\n",
        runs, benchmarks, reused ? ": not measured, runs already stored" : "", median_ms(append_ms),
        points, median_ms(query_ms), median_ms(query_cpu_ms));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "history_scale_probe: %s\n", e.what());
    return 2;
  }
}
