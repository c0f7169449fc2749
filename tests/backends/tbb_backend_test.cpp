// oneTBB backend (backends/tbb/tbb_backend.hpp; docs/contracts.md 6, "Per-CPU placement and limits"
// and "Priorities on Linux"): system threads that block do not starve each other up to the
// admission limit (node CPUs x capacity), past it launch() fails at once; the
// realtime class runs at SCHED_FIFO when permitted; workers go back to their class after each
// system thread.
#include <gtest/gtest.h>

#include <memory>

#include "backend_test_support.hpp"
#include "host/cpus.hpp"
#include "host/sched.hpp"
#include "tbb/tbb_backend.hpp"

namespace tpb::test {
namespace {

constexpr unsigned kCapacity = 2;

std::unique_ptr<ThreadBackend> make_tbb() {
  return make_tbb_backend(BackendOptions().set("capacity", std::to_string(kCapacity)),
                          Topology::host());
}

// Every admitted system thread gets a worker of its own, even when all of them block; one more
// is refused at once and never runs; the budget comes back when they end.
TEST(TbbBackendTest, BlockedSystemThreadsUpToTheLimitAllRun) {
  if (Topology::host().numa_nodes() != 1) GTEST_SKIP() << "the limit below assumes one node";
  const int limit = Topology::host().logical_cpus() * static_cast<int>(kCapacity);
  auto tbb = make_tbb();
  Gate gate;
  Counter started, done;
  std::vector<Job> held(limit);
  for (Job& job : held) {
    job = Job{[&] {
                started.add();
                gate.wait();
              },
              &done};
    ASSERT_EQ(tbb->launch(launch_of(job)), LaunchStatus::ok);
  }
  ASSERT_TRUE(started.wait_for(limit)) << started.value() << " of " << limit << " started";
  Job refused{{}, &done};
  EXPECT_EQ(tbb->launch(launch_of(refused)), LaunchStatus::no_resources);
  gate.open();
  ASSERT_TRUE(done.wait_for(limit));

  Job again{{}, &done};
  ASSERT_EQ(launch_when_free(*tbb, launch_of(again)), LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(limit + 1));
  tbb.reset();
  EXPECT_EQ(refused.runs, 0);
}

// The realtime class runs at SCHED_FIFO 1; a variable-class thread afterwards is at SCHED_OTHER.
TEST(TbbBackendTest, RealtimeClassRunsAtFifo) {
  if (!rt_permitted()) GTEST_SKIP() << "this process may not use SCHED_FIFO";
  auto tbb = make_tbb();
  Counter done;
  Seen rt_seen, other_seen;
  Job rt{[&] { rt_seen = observe_self(); }, &done};
  Launch launch = launch_of(rt);
  launch.priority = {HostPriority::Policy::fifo, 0, 40};
  ASSERT_EQ(tbb->launch(launch), LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(1));
  Job other{[&] { other_seen = observe_self(); }, &done};
  ASSERT_EQ(tbb->launch(launch_of(other)), LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(2));
  EXPECT_EQ(rt_seen.priority, (HostPriority{HostPriority::Policy::fifo, 0, 1}))
      << to_string(rt_seen.priority);
  EXPECT_EQ(other_seen.priority, HostPriority{}) << to_string(other_seen.priority);
}

// Changes a system thread made to its worker by tid do not reach the system threads after it.
TEST(TbbBackendTest, WorkersAreRestoredAfterASystemThreadChangedThem) {
  if (!may_lower_nice()) GTEST_SKIP() << "restoring nice 0 needs CAP_SYS_NICE or RLIMIT_NICE";
  std::vector<int> all;
  for (const LogicalCpu& cpu : Topology::host().cpus()) all.push_back(cpu.os_index);
  auto tbb = make_tbb();
  Counter done;
  constexpr int kRounds = 8;
  std::vector<Seen> seen(kRounds);
  std::vector<Job> changers(kRounds), readers(kRounds);
  for (int i = 0; i < kRounds; ++i) {
    changers[i] = Job{[&] {
                        host::set_thread_nice(host::current_tid(), 12);
                        host::set_thread_affinity(host::current_tid(), {all.front()});
                      },
                      &done};
    ASSERT_EQ(tbb->launch(launch_of(changers[i])), LaunchStatus::ok);
    ASSERT_TRUE(done.wait_for(2 * i + 1));
    readers[i] = Job{[&, i] { seen[i] = observe_self(); }, &done};
    ASSERT_EQ(tbb->launch(launch_of(readers[i])), LaunchStatus::ok);
    ASSERT_TRUE(done.wait_for(2 * i + 2));
  }
  tbb.reset();
  for (const Seen& s : seen) {
    EXPECT_EQ(s.priority, HostPriority{}) << to_string(s.priority);
    EXPECT_EQ(s.affinity, all);
  }
}

}  // namespace
}  // namespace tpb::test
