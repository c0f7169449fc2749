// Backend contract under concurrent launches (tpb/backend.hpp: launch() is thread-safe;
// docs/contracts.md 6, "Per-CPU placement and limits"): several threads launching at once each get
// their trampoline run exactly once, and a pool never runs more system threads on a group than its
// capacity. Labelled `concurrency`: the ThreadSanitizer tree runs these.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "backend_test_support.hpp"
#include "pool/pool_backend.hpp"
#if TPB_TEST_TBB
#include "tbb/tbb_backend.hpp"
#endif

namespace tpb::test {
namespace {

constexpr int kLaunchers = 4;
constexpr int kPerLauncher = 50;

class ConcurrentLaunchTest : public ::testing::TestWithParam<BackendCase> {};

// Launchers race; each accepted launch runs once (a refused one is retried until accepted).
TEST_P(ConcurrentLaunchTest, EachLaunchRunsExactlyOnce) {
  auto backend = GetParam().make(Topology::host());
  Counter done;
  std::vector<Job> jobs(std::size_t{kLaunchers} * kPerLauncher, Job{{}, &done});
  std::vector<LaunchStatus> status(kLaunchers, LaunchStatus::ok);
  std::vector<std::thread> launchers;
  launchers.reserve(kLaunchers);
  for (int t = 0; t < kLaunchers; ++t) {
    launchers.emplace_back([&, t] {
      for (int i = 0; i < kPerLauncher && status[t] == LaunchStatus::ok; ++i)
        status[t] = launch_when_free(*backend, launch_of(jobs[t * kPerLauncher + i]));
    });
  }
  for (auto& launcher : launchers) launcher.join();
  for (LaunchStatus s : status) ASSERT_EQ(s, LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(static_cast<int>(jobs.size())));
  backend.reset();
  for (const Job& job : jobs) EXPECT_EQ(job.runs, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConcurrentLaunchTest, ::testing::ValuesIn(backend_cases()),
                         [](const auto& info) { return info.param.name; });

// Counts system threads running at once and remembers the most.
struct Occupancy {
  std::atomic<int> now{0};
  std::atomic<int> most{0};
  void enter() {
    int n = now.fetch_add(1) + 1;
    for (int m = most.load(); n > m && !most.compare_exchange_weak(m, n);) {
    }
  }
  void leave() { now.fetch_sub(1); }
};

// Racing launchers never get more system threads running than the capacity allows; refused ones
// never run.
void check_capacity_under_races(std::unique_ptr<ThreadBackend> backend, int capacity) {
  Occupancy occupancy;
  Counter done;
  std::vector<Job> jobs(std::size_t{kLaunchers} * kPerLauncher);
  for (Job& job : jobs) {
    job = Job{[&] {
                occupancy.enter();
                std::this_thread::yield();
                occupancy.leave();
              },
              &done};
  }
  std::atomic<int> accepted{0};
  std::vector<std::thread> launchers;
  launchers.reserve(kLaunchers);
  for (int t = 0; t < kLaunchers; ++t) {
    launchers.emplace_back([&, t] {
      for (int i = 0; i < kPerLauncher; ++i) {
        LaunchStatus s = backend->launch(launch_of(jobs[t * kPerLauncher + i]));
        EXPECT_TRUE(s == LaunchStatus::ok || s == LaunchStatus::no_resources);
        if (s == LaunchStatus::ok) accepted.fetch_add(1);
      }
    });
  }
  for (auto& launcher : launchers) launcher.join();
  ASSERT_TRUE(done.wait_for(accepted.load()));
  backend.reset();
  EXPECT_LE(occupancy.most.load(), capacity);
  int ran = 0;
  for (const Job& job : jobs) {
    EXPECT_LE(job.runs, 1);
    ran += job.runs;
  }
  EXPECT_EQ(ran, accepted.load());
}

TEST(PoolConcurrencyTest, NeverRunsMoreThanItsCapacity) {
  for (const char* wake : {"park", "spin"}) {
    SCOPED_TRACE(wake);
    check_capacity_under_races(
        make_pool_backend(BackendOptions().set("wake", wake).set("capacity", "2").set("max", "2"),
                          first_cpu_topology()),
        2);
  }
}

#if TPB_TEST_TBB
TEST(TbbConcurrencyTest, NeverAdmitsMoreThanItsLimit) {
  if (Topology::host().numa_nodes() != 1) GTEST_SKIP() << "the limit below assumes one node";
  check_capacity_under_races(
      make_tbb_backend(BackendOptions().set("capacity", "1"), Topology::host()),
      Topology::host().logical_cpus());
}
#endif

}  // namespace
}  // namespace tpb::test
