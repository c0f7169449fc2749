// Smoke test of the experiments library (docs/design.md 4-5): every suite registers and runs
// through Google Benchmark at the quick preset and a tiny min time, over every backend, and its
// results carry the promised names and counters. Where the process may use SCHED_FIFO, the
// inversion verdicts must show the protocols on every backend whose capabilities say host
// priorities are applied, and on the raw-pthread reference: none unbounded, inherit and ceiling
// bounded (with a wide margin: C is a tenth of S). Finally a run with stop_requested() set must
// end every benchmark as "interrupted".
#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <tpb/backend.hpp>
#include <tpb/bench.hpp>
#include <tpb/runtime.hpp>

#include "capture_reporter.hpp"

namespace {

using tpb::test::BenchRun;

class BenchSmoke : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static bool done = false;
    if (done) return;
    done = true;
    tpb::test::initialize_benchmark("bench_smoke_test");

    tpb::bench::Selection selection;
    selection.quick = true;
    registration_ = new tpb::bench::Registration(tpb::bench::register_benchmarks(selection));
    runs_ = new std::vector<BenchRun>(tpb::test::run_registered());
    facts_ = new tpb::bench::RunFacts(tpb::bench::run_facts());

    // A second, small registration with the stop flag already set.
    benchmark::ClearRegisteredBenchmarks();
    tpb::bench::stop_requested().store(true);
    tpb::bench::Selection small;
    small.quick = true;
    small.suites = {"creation", "ctxswitch"};
    small.backends = {"pthread"};
    tpb::bench::register_benchmarks(small);
    interrupted_ = new std::vector<BenchRun>(tpb::test::run_registered());
    tpb::bench::stop_requested().store(false);
  }

  static const BenchRun* find(const std::string& name) {
    for (const BenchRun& r : *runs_)
      if (r.run_name.function_name == name) return &r;
    return nullptr;
  }

  static tpb::bench::Registration* registration_;
  static std::vector<BenchRun>* runs_;
  static std::vector<BenchRun>* interrupted_;
  static tpb::bench::RunFacts* facts_;
};
tpb::bench::Registration* BenchSmoke::registration_ = nullptr;
std::vector<BenchRun>* BenchSmoke::runs_ = nullptr;
std::vector<BenchRun>* BenchSmoke::interrupted_ = nullptr;
tpb::bench::RunFacts* BenchSmoke::facts_ = nullptr;

bool has(const BenchRun& r, const char* counter) {
  return r.counters.count(counter) != 0;
}

// Names are suite/case then key:value segments, with a backend segment.
TEST_F(BenchSmoke, NamesFollowTheScheme) {
  ASSERT_FALSE(registration_->names.empty());
  const std::regex scheme(R"(^(creation|ctxswitch|c2c|inversion)/[a-z_0-9]+(/[a-z_0-9]+:[^/]+)+$)");
  std::set<std::string> suites;
  for (const std::string& name : registration_->names) {
    EXPECT_TRUE(std::regex_match(name, scheme)) << name;
    EXPECT_NE(name.find("/backend:"), std::string::npos) << name;
    suites.insert(name.substr(0, name.find('/')));
  }
  EXPECT_EQ(suites, (std::set<std::string>{"creation", "ctxswitch", "c2c", "inversion"}));
  for (const auto& entry : tpb::backend_registry()) {
    bool seen = false;
    for (const std::string& name : registration_->names)
      seen = seen || name.find("backend:" + std::string(entry.name)) != std::string::npos;
    EXPECT_TRUE(seen) << "no benchmark for backend " << entry.name;
  }
}

// Every registered benchmark ran once.
TEST_F(BenchSmoke, EveryRegisteredBenchmarkRan) {
  std::multiset<std::string> ran;
  for (const BenchRun& r : *runs_) ran.insert(r.run_name.function_name);
  for (const std::string& name : registration_->names) EXPECT_EQ(ran.count(name), 1u) << name;
}

// Latency experiments report the distribution, and vs_ref where a reference exists.
TEST_F(BenchSmoke, LatencyCountersPresent) {
  const bool rt = tpb::host_scheduling_rights().rt_permitted;
  for (const BenchRun& r : *runs_) {
    const std::string& name = r.run_name.function_name;
    if (r.error_occurred) {
      // Only what this host cannot do may be skipped in creation, ctxswitch and c2c.
      if (name.rfind("inversion/", 0) != 0 && (rt || name.find("priority:") == std::string::npos)) {
        ADD_FAILURE() << name << ": " << r.error_message;
      }
      continue;
    }
    for (const char* c : {"p50_ns", "p90_ns", "p99_ns", "max_ns", "samples"})
      EXPECT_TRUE(has(r, c)) << name << " lacks " << c;
    if (name.rfind("creation/", 0) == 0 || name.rfind("ctxswitch/", 0) == 0 ||
        name.rfind("inversion/", 0) == 0) {
      EXPECT_TRUE(has(r, "vs_ref")) << name;
    }
    // Creation through the contract on a backend with a host thread per system thread takes its
    // raw reference sample by sample beside its own, and vs_ref divides by that one; a backend
    // whose workers outlive a system thread is left alone between samples.
    if (name.rfind("creation/", 0) == 0 && name.find("backend:reference") == std::string::npos &&
        name.find("creation/burst/") == std::string::npos) {
      std::smatch backend;
      ASSERT_TRUE(std::regex_search(name, backend, std::regex("backend:([a-z_]+)"))) << name;
      const tpb::BackendEntry* entry = tpb::find_backend(backend[1].str());
      ASSERT_NE(entry, nullptr) << name;
      EXPECT_EQ(has(r, "ref_p50_ns"), !entry->capabilities.reuses_host_threads) << name;
      if (has(r, "ref_p50_ns")) {
        const double ref = r.counters.at("ref_p50_ns").value;
        EXPECT_GT(ref, 0.0) << name;
        EXPECT_DOUBLE_EQ(r.counters.at("vs_ref").value, r.counters.at("p50_ns").value / ref)
            << name;
      }
    }
    // The inherit placement records where each sample started, so its modes are told apart.
    if (name.rfind("creation/", 0) == 0 && name.find("placement:inherit") != std::string::npos &&
        name.find("wait:signal") == std::string::npos) {
      ASSERT_TRUE(has(r, "on_creator_cpu")) << name;
      EXPECT_GE(r.counters.at("on_creator_cpu").value, 0.0) << name;
      EXPECT_LE(r.counters.at("on_creator_cpu").value, 1.0) << name;
    }
    if (name.rfind("ctxswitch/", 0) == 0) {
      EXPECT_TRUE(has(r, "ctx_switches_per_op")) << name;
      EXPECT_TRUE(has(r, "migrations_per_op")) << name;
      // A blocking one-way hand-off is at least one switch when both run on one CPU.
      if (name.find("placement:same_cpu") != std::string::npos) {
        EXPECT_GE(r.counters.at("ctx_switches_per_op").value, 0.5) << name;
      }
    }
    if (name.rfind("inversion/", 0) == 0) {
      for (const char* c : {"high_wait_p50_ns", "critical_section_ns", "medium_spin_ns", "bounded"})
        EXPECT_TRUE(has(r, c)) << name << " lacks " << c;
    }
  }
}

// The c2c matrix is in the run's facts, square over the CPUs, with the references' medians.
TEST_F(BenchSmoke, C2cMatrixInFacts) {
  ASSERT_TRUE(facts_->c2c.has_value());
  const auto& c2c = *facts_->c2c;
  const auto n = c2c.cpus.size();
  ASSERT_EQ(c2c.matrix_ns.size(), n);
  for (const auto& row : c2c.matrix_ns) EXPECT_EQ(row.size(), n);
  if (n > 1) {
    EXPECT_TRUE(c2c.matrix_ns[0][1].has_value());
  }
  EXPECT_FALSE(facts_->bench.references_p50_ns.empty());
}

// Inversion: the protocol decides, wherever the backend says it applies host priorities.
TEST_F(BenchSmoke, InversionVerdicts) {
  if (!tpb::host_scheduling_rights().rt_permitted)
    GTEST_SKIP() << "no SCHED_FIFO here: " << tpb::host_scheduling_rights().detail;
  int checked = 0;
  // The raw-pthread reference applies host priorities by explicit attributes: it is held to the
  // same verdicts.
  std::vector<std::string> judged = {"reference"};
  for (const auto& entry : tpb::backend_registry())
    if (entry.capabilities.priority == tpb::Capabilities::Priority::applied)
      judged.emplace_back(entry.name);
  for (const std::string& backend : judged) {
    for (const BenchRun& r : *runs_) {
      const std::string& name = r.run_name.function_name;
      if (name.rfind("inversion/", 0) != 0 ||
          name.find("backend:" + backend + "/") == std::string::npos)
        continue;
      ASSERT_FALSE(r.error_occurred) << name << ": " << r.error_message;
      const double wait = r.counters.at("high_wait_p50_ns").value;
      const double c = r.counters.at("critical_section_ns").value;
      const double s = r.counters.at("medium_spin_ns").value;
      if (name.find("protocol:none") != std::string::npos) {
        EXPECT_GE(wait, 0.9 * s) << name << " (" << r.report_label << ")";
        EXPECT_EQ(r.counters.at("bounded").value, 0) << name;
      } else {
        EXPECT_LE(wait, 1.5 * c) << name << " (" << r.report_label << ")";
        // No run lets the medium spin through. A run may still miss the strict 1.5 x C verdict
        // by a VM hiccup (3.1-3.3 ms against 3 ms seen here, 1 run in ~25): that is jitter, 10x
        // away from an inversion, and the record reports it as "mixed".
        EXPECT_EQ(r.counters.at("unbounded").value, 0) << name << " (" << r.report_label << ")";
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

// With stop_requested() set, every benchmark ends at once as "interrupted".
TEST_F(BenchSmoke, StopRequestedInterruptsEverything) {
  ASSERT_FALSE(interrupted_->empty());
  for (const BenchRun& r : *interrupted_) {
    EXPECT_TRUE(r.error_occurred) << r.run_name.function_name;
    EXPECT_EQ(r.error_message, "interrupted") << r.run_name.function_name;
  }
}

}  // namespace
