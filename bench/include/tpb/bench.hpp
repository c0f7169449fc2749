// tpb/bench.hpp - the experiments as a library: what suites exist, and registering a selection of
// them with Google Benchmark. The tpbench command (cli/) is the only caller in the project.
//
// Benchmark names: "suite/case" then key:value segments, e.g.
//   creation/start_latency/backend:pool/placement:same_cpu/priority:8
// References (raw OS primitives measured in the same run) use backend:reference.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <tpb/record.hpp>

namespace tpb::bench {

struct SuiteInfo {
  std::string name;     // creation, ctxswitch, c2c, inversion
  std::string summary;  // one line
  std::vector<std::string> cases;
};
// Every suite, in the order they run.
const std::vector<SuiteInfo>& suites();

// What to register. Empty lists mean "all that apply".
struct Selection {
  std::vector<std::string> suites;
  std::vector<std::string> backends;    // registry names; the reference always runs
  std::vector<std::string> placements;  // tpb::placement_names(): inherit, same_cpu, ...
  std::vector<int> priorities;          // KPRIORITY values
  bool quick = false;                   // the CI preset: fewer cases and sizes
  double inject_slowdown_pct = 0;       // busy delay added to creation and wake paths
};

// A case, placement or experiment left out, and why: recorded as it is in the run record.
using Skipped = report::SkippedCase;

struct Registration {
  std::vector<std::string> names;  // registered benchmark names, in order
  // Per name, the CPUs (Linux numbers) its threads are pinned to; empty: unpinned.
  std::map<std::string, std::vector<int>> cpus;
  std::vector<Skipped> skipped;  // placements, priorities or experiments left out, and why
};

// Registers the selected benchmarks with Google Benchmark (benchmark::RegisterBenchmark). Call
// once per process, before benchmark::RunSpecifiedBenchmarks. Throws std::invalid_argument naming
// an unknown suite, backend or placement.
Registration register_benchmarks(const Selection& selection);

// Facts measured or decided while registering and running, beyond the benchmarks themselves:
// whether perf counters were used, reference medians, the calibrated slowdown, the perf anchor,
// the inversion parameters, RT leftovers, and the c2c matrix when that suite ran. Facts about the
// host (priority map, rights, topology, backends) are not repeated here: they have their owners.
struct RunFacts {
  report::BenchFacts bench;
  std::optional<report::C2cMatrix> c2c;
};
// A copy of the facts so far; call after benchmark::RunSpecifiedBenchmarks. Thread-safe.
RunFacts run_facts();

// Set from a signal handler to stop the run: the running benchmark finishes or abandons its
// current measurement, every later one ends at once with an error "interrupted".
std::atomic<bool>& stop_requested();

}  // namespace tpb::bench
