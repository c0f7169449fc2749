// Backend contract (tpb/backend.hpp; docs/contracts.md 6, "Priorities on Linux" and "Per-CPU
// placement and limits"): each backend, driven directly through ThreadBackend with no runtime, runs
// every launched trampoline exactly once, honours the affinity and priority its capabilities
// promise, refuses what it cannot give without running anything, and is what its registry row
// says. One suite, one instance per registry row and variant (pool once per wake strategy).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <thread>

#include "backend_test_support.hpp"
#include "host/cpus.hpp"
#include "host/sched.hpp"

namespace tpb::test {
namespace {

class BackendTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override { backend_ = GetParam().make(Topology::host()); }
  std::unique_ptr<ThreadBackend> backend_;
};

// Runs one job to completion and returns what its system thread saw.
Seen run_and_observe(ThreadBackend& backend, const std::function<void(Launch&)>& adjust = {}) {
  Counter done;
  Seen seen;
  Job job{[&] { seen = observe_self(); }, &done};
  Launch launch = launch_of(job);
  if (adjust) adjust(launch);
  EXPECT_EQ(launch_when_free(backend, launch), LaunchStatus::ok);
  EXPECT_TRUE(done.wait_for(1));
  return seen;
}

// The registry row (what `tpbench list`, the benchmarks and the conformance suite read) agrees
// with the object the row creates: same name, same capabilities.
TEST_P(BackendTest, RegistryRowAgreesWithTheBackend) {
  const BackendEntry& row = *GetParam().entry;
  EXPECT_EQ(backend_->name(), row.name);
  const Capabilities object = backend_->capabilities();
  EXPECT_EQ(to_string(object.priority), std::string(to_string(row.capabilities.priority)));
  EXPECT_EQ(object.affinity, row.capabilities.affinity);
  EXPECT_EQ(object.unpinned_window, row.capabilities.unpinned_window);
  EXPECT_EQ(object.per_cpu_limit, row.capabilities.per_cpu_limit);
  EXPECT_EQ(object.termination, row.capabilities.termination);
  EXPECT_EQ(object.reuses_host_threads, row.capabilities.reuses_host_threads);
  EXPECT_EQ(object.names_host_threads, row.capabilities.names_host_threads);
  EXPECT_TRUE(object == row.capabilities) << "a field the checks above do not name differs";
}

// Every registry row is under test, pthread included: the cases come from the one table.
TEST(BackendRegistry, EveryRowIsUnderTest) {
  const std::vector<BackendCase> cases = backend_cases();
  for (const BackendEntry& row : backend_registry()) {
    bool found = false;
    for (const BackendCase& c : cases) found = found || c.entry == &row;
    EXPECT_TRUE(found) << row.name;
  }
  EXPECT_NE(find_backend("pthread"), nullptr);
}

// Every successful launch runs its trampoline once, and nothing runs late.
TEST_P(BackendTest, LaunchRunsTrampolineExactlyOnce) {
  constexpr int kJobs = 16;
  Counter done;
  std::vector<Job> jobs(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    jobs[i].done = &done;
    ASSERT_EQ(launch_when_free(*backend_, launch_of(jobs[i])), LaunchStatus::ok);
    ASSERT_TRUE(done.wait_for(i + 1));
  }
  backend_.reset();
  EXPECT_EQ(done.value(), kJobs);
  for (const Job& job : jobs) EXPECT_EQ(job.runs, 1);
}

// A launch without a trampoline is invalid.
TEST_P(BackendTest, NullTrampolineIsInvalid) {
  Launch launch;
  EXPECT_EQ(backend_->launch(launch), LaunchStatus::invalid);
}

// A stack the backend cannot give is refused, and the trampoline never runs.
TEST_P(BackendTest, OversizedStackIsRefusedAndNothingRuns) {
  Counter done;
  Job job{{}, &done};
  Launch launch = launch_of(job);
  launch.stack_size = std::size_t{1} << 40;
  EXPECT_EQ(backend_->launch(launch), LaunchStatus::no_resources);
  backend_.reset();
  EXPECT_EQ(job.runs, 0);
}

// Launch::cpus pins the system thread before its routine runs (for backends that promise it).
TEST_P(BackendTest, HonoursAffinity) {
  if (!backend_->capabilities().affinity) GTEST_SKIP() << "affinity is not a capability";
  for (const LogicalCpu& cpu : Topology::host().cpus()) {
    Seen seen = run_and_observe(*backend_, [&](Launch& l) { l.cpus = {cpu.os_index}; });
    EXPECT_EQ(seen.cpu, cpu.os_index);
    EXPECT_EQ(seen.affinity, std::vector<int>{cpu.os_index});
  }
}

// Empty Launch::cpus: the system thread runs on its creator's CPUs.
TEST_P(BackendTest, EmptyCpusInheritTheCreatorsCpus) {
  if (!backend_->capabilities().affinity) GTEST_SKIP() << "affinity is not a capability";
  for (const LogicalCpu& cpu : Topology::host().cpus()) {
    Seen seen;
    std::thread creator([&] {
      ASSERT_EQ(host::set_thread_affinity(0, {cpu.os_index}), 0);
      seen = run_and_observe(*backend_);
    });
    creator.join();
    EXPECT_EQ(seen.affinity, std::vector<int>{cpu.os_index});
  }
  // And an unpinned creator gets an unpinned thread.
  std::vector<int> mine;
  ASSERT_EQ(host::get_thread_affinity(0, mine), 0);
  EXPECT_EQ(run_and_observe(*backend_).affinity, mine);
}

// A SCHED_OTHER priority (a nice value anyone may raise to) is applied, or its class level is.
TEST_P(BackendTest, AppliesSchedOtherPriority) {
  const HostPriority nice5{HostPriority::Policy::other, 5, 0};
  Seen seen = run_and_observe(*backend_, [&](Launch& l) { l.priority = nice5; });
  switch (backend_->capabilities().priority) {
    case Capabilities::Priority::applied:
      EXPECT_EQ(seen.priority, nice5) << to_string(seen.priority);
      break;
    case Capabilities::Priority::arena_level:  // the variable class runs at nice 0
      EXPECT_EQ(seen.priority, HostPriority{}) << to_string(seen.priority);
      break;
    case Capabilities::Priority::none:
      break;
  }
}

// A SCHED_FIFO priority is applied (its level, or the class's) when the process may use it.
TEST_P(BackendTest, AppliesFifoPriorityWhenPermitted) {
  if (!rt_permitted()) GTEST_SKIP() << "this process may not use SCHED_FIFO";
  if (backend_->capabilities().priority == Capabilities::Priority::none) GTEST_SKIP();
  Seen seen = run_and_observe(*backend_, [](Launch& l) {
    l.priority = {HostPriority::Policy::fifo, 0, 2};
  });
  EXPECT_EQ(seen.priority.policy, HostPriority::Policy::fifo) << to_string(seen.priority);
  if (backend_->capabilities().priority == Capabilities::Priority::applied) {
    EXPECT_EQ(seen.priority.rt_priority, 2);
  }
}

// apply_priority = false leaves the host priority at the backend's (or creator's) default.
TEST_P(BackendTest, LeavesPriorityAloneWhenNotAsked) {
  Seen seen = run_and_observe(*backend_, [](Launch& l) {
    l.priority = {HostPriority::Policy::other, 9, 0};
    l.apply_priority = false;
  });
  EXPECT_EQ(seen.priority, HostPriority{}) << to_string(seen.priority);
}

// Launch::name names the host thread while the system thread runs (where the backend applies it).
TEST_P(BackendTest, NamesTheHostThread) {
  if (!backend_->capabilities().names_host_threads)
    GTEST_SKIP() << "names are not applied by this backend";
  Seen seen = run_and_observe(*backend_);
  EXPECT_EQ(seen.name, "tpb-unit");
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest, ::testing::ValuesIn(backend_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace tpb::test
