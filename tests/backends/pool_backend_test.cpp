// Pool backend (backends/pool/pool_backend.hpp; docs/contracts.md 6, "Per-CPU placement and
// limits"): a system thread borrows an idle worker of its home CPU's group; past the group's
// capacity launch() answers no_resources and leaks nothing; a worker survives its system thread and
// goes back to its own CPU and SCHED_OTHER nice 0 before the next one. Each case runs with both
// wake strategies (park, spin).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <memory>
#include <thread>

#include "backend_test_support.hpp"
#include "host/cpus.hpp"
#include "host/sched.hpp"
#include "pool/pool_backend.hpp"

namespace tpb::test {
namespace {

// Parameter: the wake strategy, as the registry's variants spell it.
class PoolTest : public ::testing::TestWithParam<const char*> {
 protected:
  std::unique_ptr<ThreadBackend> make(const Topology& topology, unsigned capacity) {
    // A configured limit ("max"): these cases check a pool that refuses past it.
    const std::string n = std::to_string(capacity);
    return make_pool_backend(
        BackendOptions().set("wake", GetParam()).set("capacity", n).set("max", n), topology);
  }
};

// The group's capacity bounds live system threads; the refused launch never runs and its slot
// is not lost once the others end.
TEST_P(PoolTest, PastCapacityReturnsNoResourcesAndLeaksNothing) {
  const Topology topology = first_cpu_topology();
  auto pool = make(topology, 2);
  Gate gate;
  Counter started, done;
  std::vector<Job> held(2);
  for (Job& job : held) {
    job = Job{[&] {
                started.add();
                gate.wait();
              },
              &done};
    ASSERT_EQ(pool->launch(launch_of(job)), LaunchStatus::ok);
  }
  ASSERT_TRUE(started.wait_for(2));
  Job refused{{}, &done};
  EXPECT_EQ(pool->launch(launch_of(refused)), LaunchStatus::no_resources);
  gate.open();
  ASSERT_TRUE(done.wait_for(2));

  std::vector<Job> again(2, Job{{}, &done});
  // A worker takes a new system thread once it has restored itself after the last one.
  for (Job& job : again) ASSERT_EQ(launch_when_free(*pool, launch_of(job)), LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(4));
  pool.reset();
  EXPECT_EQ(refused.runs, 0);
  EXPECT_EQ(done.value(), 4);
}

// home_cpu picks the worker group, and its capacity is that group's alone.
TEST_P(PoolTest, HomeCpuPicksTheWorkerGroup) {
  const auto& cpus = Topology::host().cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs two CPUs";
  auto pool = make(Topology::host(), 1);
  const int a = cpus[0].os_index, b = cpus[1].os_index;
  Gate gate;
  Counter started, done;
  Seen seen_a, seen_b;
  Job job_a{[&] {
              seen_a = observe_self();
              started.add();
              gate.wait();
            },
            &done};
  Job job_b{[&] {
              seen_b = observe_self();
              started.add();
              gate.wait();
            },
            &done};
  Launch launch_a = launch_of(job_a), launch_b = launch_of(job_b);
  launch_a.home_cpu = a;
  launch_a.cpus = {a};
  launch_b.home_cpu = b;
  launch_b.cpus = {b};
  ASSERT_EQ(pool->launch(launch_a), LaunchStatus::ok);
  ASSERT_EQ(pool->launch(launch_b), LaunchStatus::ok);
  ASSERT_TRUE(started.wait_for(2));
  Job refused{{}, &done};
  Launch launch_refused = launch_of(refused);
  launch_refused.home_cpu = a;
  EXPECT_EQ(pool->launch(launch_refused), LaunchStatus::no_resources);
  gate.open();
  ASSERT_TRUE(done.wait_for(2));
  EXPECT_EQ(seen_a.cpu, a);
  EXPECT_EQ(seen_a.affinity, std::vector<int>{a});
  EXPECT_EQ(seen_b.cpu, b);
  EXPECT_EQ(seen_b.affinity, std::vector<int>{b});
  EXPECT_EQ(refused.runs, 0);
}

// With home_cpu -1 the group is the one of the CPU the caller runs on.
TEST_P(PoolTest, NoHomeCpuUsesTheCallersCpu) {
  const auto& cpus = Topology::host().cpus();
  auto pool = make(Topology::host(), 1);
  for (const LogicalCpu& cpu : cpus) {
    Counter done;
    Seen seen;
    Job job{[&] { seen = observe_self(); }, &done};
    std::thread caller([&] {
      ASSERT_EQ(host::set_thread_affinity(0, {cpu.os_index}), 0);
      EXPECT_EQ(pool->launch(launch_of(job)), LaunchStatus::ok);
    });
    caller.join();
    ASSERT_TRUE(done.wait_for(1));
    EXPECT_EQ(seen.cpu, cpu.os_index);
  }
}

// A worker runs the next system thread on its own CPU at SCHED_OTHER nice 0, whatever the previous
// one was launched with or changed by tid meanwhile (as KeSetPriorityThread does); tids repeat.
TEST_P(PoolTest, WorkerIsRestoredAfterASystemThreadChangedIt) {
  if (!may_lower_nice()) GTEST_SKIP() << "restoring nice 0 needs CAP_SYS_NICE or RLIMIT_NICE";
  const Topology topology = first_cpu_topology();
  const int own = topology.cpus().front().os_index;
  std::vector<int> all;
  for (const LogicalCpu& cpu : Topology::host().cpus()) all.push_back(cpu.os_index);
  auto pool = make(topology, 1);

  Counter done;
  Seen first, second;
  Job changer{[&] {
                first = observe_self();
                // What the runtime does by tid while a system thread runs.
                host::set_thread_nice(host::current_tid(), 12);
                host::set_thread_affinity(host::current_tid(), {own});
              },
              &done};
  Launch launch = launch_of(changer);
  launch.cpus = all;
  launch.priority = {HostPriority::Policy::other, 7, 0};
  ASSERT_EQ(pool->launch(launch), LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(1));
  EXPECT_EQ(first.priority, launch.priority) << to_string(first.priority);
  EXPECT_EQ(first.affinity, all);

  // Asks for nothing the worker does not already have, so what it sees is what restoring left.
  Job plain{[&] { second = observe_self(); }, &done};
  Launch untouched = launch_of(plain);
  untouched.apply_priority = false;
  untouched.cpus = {own};
  ASSERT_EQ(launch_when_free(*pool, untouched), LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(2));
  EXPECT_EQ(second.tid, first.tid);
  EXPECT_EQ(second.priority, HostPriority{}) << to_string(second.priority);
  EXPECT_EQ(second.affinity, std::vector<int>{own});
}

// The same after a SCHED_FIFO system thread: the worker is back at SCHED_OTHER before it idles.
TEST_P(PoolTest, WorkerLeavesFifoAfterARealtimeSystemThread) {
  if (!rt_permitted()) GTEST_SKIP() << "this process may not use SCHED_FIFO";
  auto pool = make(first_cpu_topology(), 1);
  Counter done;
  Seen first, second;
  Job rt{[&] { first = observe_self(); }, &done};
  Launch launch = launch_of(rt);
  launch.priority = {HostPriority::Policy::fifo, 0, 3};
  ASSERT_EQ(pool->launch(launch), LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(1));
  Job plain{[&] { second = observe_self(); }, &done};
  Launch untouched = launch_of(plain);
  untouched.apply_priority = false;
  ASSERT_EQ(launch_when_free(*pool, untouched), LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(2));
  EXPECT_EQ(first.priority, launch.priority) << to_string(first.priority);
  EXPECT_EQ(second.tid, first.tid);
  EXPECT_EQ(second.priority, HostPriority{}) << to_string(second.priority);
}

// Host tids repeat: system threads borrow the same workers, never the caller's thread.
TEST_P(PoolTest, HostTidsRepeat) {
  auto pool = make(first_cpu_topology(), 1);
  Counter done;
  std::vector<Seen> seen(4);
  std::vector<Job> jobs(4);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i] = Job{[&, i] { seen[i] = observe_self(); }, &done};
    ASSERT_EQ(launch_when_free(*pool, launch_of(jobs[i])), LaunchStatus::ok);
    ASSERT_TRUE(done.wait_for(static_cast<int>(i) + 1));
  }
  for (const Seen& s : seen) EXPECT_EQ(s.tid, seen.front().tid);
  EXPECT_NE(seen.front().tid, host::current_tid());
}

// A system thread may launch another one (launch() is safe from inside a worker).
TEST_P(PoolTest, SystemThreadCanLaunchFromAWorker) {
  auto pool = make(first_cpu_topology(), 2);
  Counter done;
  Job inner{{}, &done};
  LaunchStatus inner_status = LaunchStatus::invalid;
  Job outer{[&] { inner_status = pool->launch(launch_of(inner)); }, &done};
  ASSERT_EQ(pool->launch(launch_of(outer)), LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(2));
  EXPECT_EQ(inner_status, LaunchStatus::ok);
}

// Destruction stops workers that are spinning (a long spin_us) or parked, and joins them.
TEST_P(PoolTest, DestructionStopsIdleWorkers) {
  auto pool = make_pool_backend(BackendOptions().set("wake", GetParam()).set("spin_us", "30000000"),
                                Topology::host());
  Counter done;
  Job job{{}, &done};
  ASSERT_EQ(pool->launch(launch_of(job)), LaunchStatus::ok);
  ASSERT_TRUE(done.wait_for(1));
  pool.reset();  // a hang here fails the test by its CTest timeout
  EXPECT_EQ(job.runs, 1);
}

// Settings the pool cannot read make its factory throw, naming the key.
TEST(PoolOptionsTest, UnreadableSettingsAreRefused) {
  EXPECT_THROW(PoolOptions::from(BackendOptions().set("wake", "doze")), std::invalid_argument);
  EXPECT_THROW(PoolOptions::from(BackendOptions().set("capacity", "many")), std::invalid_argument);
  EXPECT_THROW(PoolOptions::from(BackendOptions().set("spin_us", "-1")), std::invalid_argument);
  const PoolOptions read = PoolOptions::from(
      BackendOptions().set("wake", "spin").set("capacity", "3").set("spin_us", "7"));
  EXPECT_EQ(read.wake, PoolOptions::Wake::spin);
  EXPECT_EQ(read.capacity_per_cpu, 3u);
  EXPECT_EQ(read.spin, std::chrono::microseconds(7));
  // Keys of other backends are ignored; defaults stay.
  const PoolOptions plain = PoolOptions::from(BackendOptions().set("other", "x"));
  EXPECT_EQ(plain.wake, PoolOptions::Wake::park);
  EXPECT_EQ(plain.capacity_per_cpu, kDefaultCapacityPerCpu);
}

INSTANTIATE_TEST_SUITE_P(Wake, PoolTest, ::testing::Values("park", "spin"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace tpb::test
