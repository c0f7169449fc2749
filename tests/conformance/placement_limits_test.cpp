// Placement and per-CPU limits: docs/contracts.md section 6 "Per-CPU placement and limits"
// (placement inherit / spread / cpu(N), the per-CPU limit of live Ps/Io threads ->
// STATUS_INSUFFICIENT_ RESOURCES with nothing leaked) and the affinity routines
// KeSetSystemAffinityThreadEx / KeRevertToUserAffinityThreadEx, KeQueryActiveProcessorCount.
// Affinity is read on the host with sched_getaffinity inside the routine. A backend whose
// capabilities say it cannot honour affinity must still fail loudly here: the suite asserts the
// contract for every backend.
#include <algorithm>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

// Restricts the calling (test) thread to `cpus` while alive.
struct PinCaller {
  std::vector<int> saved = own_affinity();
  explicit PinCaller(const std::vector<int>& cpus) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus) CPU_SET(c, &set);
    EXPECT_EQ(sched_setaffinity(0, sizeof set, &set), 0);
  }
  ~PinCaller() {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : saved) CPU_SET(c, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
};

std::vector<int> affinity_of_new_thread() {
  std::vector<int> seen;
  HANDLE h = nullptr;
  EXPECT_EQ(spawn(&h, [&] { seen = own_affinity(); }), STATUS_SUCCESS);
  if (h) join_and_close(h);
  return seen;
}

}  // namespace

// The affinity a thread got when the backend cannot honour placement: any non-empty subset of the
// CPUs this process may use.
void expect_some_allowed_cpus(const std::vector<int>& seen) {
  const auto allowed = allowed_cpus();
  EXPECT_FALSE(seen.empty());
  for (int c : seen) EXPECT_NE(std::find(allowed.begin(), allowed.end(), c), allowed.end()) << c;
}

// section 6 placement inherit (default): a new thread runs on the creator's CPUs (a backend with
// capabilities.affinity == false reports placement unsupported)
TEST_P(Conformance, PlacementInheritFollowsCreator) {
  const bool exact = affinity_honoured(caps(), GetParam().label);
  tpb::Runtime rt(options().placement(tpb::ThreadPlacement::inherit()));
  tpb::RuntimeScope scope(rt);
  for (int cpu : allowed_cpus()) {
    SCOPED_TRACE(cpu);
    PinCaller pin({cpu});
    const auto seen = affinity_of_new_thread();
    if (exact) {
      EXPECT_EQ(seen, std::vector<int>{cpu});
    } else {
      expect_some_allowed_cpus(seen);
    }
  }
  const auto all = own_affinity();
  const auto seen = affinity_of_new_thread();
  if (exact) {
    EXPECT_EQ(seen, all);
  } else {
    expect_some_allowed_cpus(seen);
  }
}

// section 6 placement spread: each new thread pinned to one CPU, round-robin in hwloc order
TEST_P(Conformance, PlacementSpreadRoundRobin) {
  const bool exact = affinity_honoured(caps(), GetParam().label);
  tpb::Runtime rt(options().placement(tpb::ThreadPlacement::spread()));
  tpb::RuntimeScope scope(rt);
  const auto cpus = allowed_cpus();
  std::vector<std::vector<int>> seen;
  for (std::size_t i = 0; i < 2 * cpus.size() + 1; ++i) seen.push_back(affinity_of_new_thread());
  if (!exact) {
    for (const auto& s : seen) expect_some_allowed_cpus(s);
    return;
  }
  // The round-robin may start anywhere; then it walks the hwloc order.
  ASSERT_EQ(seen.front().size(), 1u);
  auto start = std::find(cpus.begin(), cpus.end(), seen.front().front());
  ASSERT_NE(start, cpus.end());
  std::size_t offset = static_cast<std::size_t>(start - cpus.begin());
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(seen[i], std::vector<int>{cpus[(offset + i) % cpus.size()]}) << "thread " << i;
}

// section 6 placement cpu(N): every thread pinned to N, and runs there
TEST_P(Conformance, PlacementOnCpu) {
  const bool exact = affinity_honoured(caps(), GetParam().label);
  for (int cpu : allowed_cpus()) {
    SCOPED_TRACE(cpu);
    tpb::Runtime rt(options().placement(tpb::ThreadPlacement::on_cpu(cpu)));
    tpb::RuntimeScope scope(rt);
    int ran_on = -1;
    std::vector<int> affinity;
    HANDLE h = nullptr;
    ASSERT_EQ(spawn(&h,
                    [&] {
                      affinity = own_affinity();
                      ran_on = sched_getcpu();
                    }),
              STATUS_SUCCESS);
    join_and_close(h);
    if (exact) {
      EXPECT_EQ(affinity, std::vector<int>{cpu});
      EXPECT_EQ(ran_on, cpu);
    } else {
      expect_some_allowed_cpus(affinity);
    }
  }
}

// section 6 per-CPU limit with cpu(N): limit live threads fit, one more ->
// STATUS_INSUFFICIENT_RESOURCES, no thread, no handle written, stats unchanged; the limit counts
// live threads only
TEST_P(Conformance, PerCpuLimitOnOneCpu) {
  const int cpu = allowed_cpus().front();
  constexpr unsigned kLimit = 3;
  tpb::Runtime rt(options().per_cpu_limit(kLimit).placement(tpb::ThreadPlacement::on_cpu(cpu)));
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  Gate gate;
  std::vector<HANDLE> handles;
  for (unsigned i = 0; i < kLimit; ++i) {
    HANDLE h = nullptr;
    ASSERT_EQ(spawn(&h, [&] { gate.wait(); }), STATUS_SUCCESS) << i;
    handles.push_back(h);
  }
  const auto at_limit = Counters::of(rt);
  std::atomic<int> runs{0};
  HANDLE h = reinterpret_cast<HANDLE>(0x99);
  CLIENT_ID cid{reinterpret_cast<HANDLE>(0x55), reinterpret_cast<HANDLE>(0x66)};
  PVOID job = make_job([&] { runs = 1; });
  NTSTATUS s =
      PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, &cid, &function_routine, job);
  if (!NT_SUCCESS(s)) drop_job(job);
  EXPECT_EQ(s, STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(h, reinterpret_cast<HANDLE>(0x99));
  EXPECT_EQ(cid.UniqueThread, reinterpret_cast<HANDLE>(0x66));
  EXPECT_EQ(Counters::of(rt), at_limit);
  EXPECT_EQ(rt.stats().live_threads, kLimit);
  // The limit counts live threads: once they ended, creation works again.
  gate.open();
  for (HANDLE t : handles) join_and_close(t);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
  HANDLE again = nullptr;
  ASSERT_EQ(spawn(&again, [] {}), STATUS_SUCCESS);
  join_and_close(again);
}

// section 6 per-CPU limit with spread: limit x CPUs live threads fit, then
// STATUS_INSUFFICIENT_RESOURCES; nothing leaks
TEST_P(Conformance, PerCpuLimitWithSpread) {
  constexpr unsigned kLimit = 2;
  const auto cpus = allowed_cpus();
  tpb::Runtime rt(options().per_cpu_limit(kLimit).placement(tpb::ThreadPlacement::spread()));
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  Gate gate;
  std::vector<HANDLE> handles;
  for (unsigned i = 0; i < kLimit * cpus.size(); ++i) {
    HANDLE h = nullptr;
    ASSERT_EQ(spawn(&h, [&] { gate.wait(); }), STATUS_SUCCESS) << i;
    handles.push_back(h);
  }
  const auto at_limit = Counters::of(rt);
  HANDLE h = reinterpret_cast<HANDLE>(0x99);
  EXPECT_EQ(spawn(&h, [] {}), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(h, reinterpret_cast<HANDLE>(0x99));
  EXPECT_EQ(Counters::of(rt), at_limit);
  gate.open();
  for (HANDLE t : handles) join_and_close(t);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

// section 6 per-CPU limit with inherit: a creator pinned to one CPU charges its threads there
TEST_P(Conformance, PerCpuLimitWithInheritPinnedCreator) {
  const int cpu = allowed_cpus().back();
  tpb::Runtime rt(options().per_cpu_limit(1));
  tpb::RuntimeScope scope(rt);
  PinCaller pin({cpu});
  Gate gate;
  HANDLE first = nullptr;
  ASSERT_EQ(spawn(&first, [&] { gate.wait(); }), STATUS_SUCCESS);
  HANDLE second = reinterpret_cast<HANDLE>(0x99);
  EXPECT_EQ(spawn(&second, [] {}), STATUS_INSUFFICIENT_RESOURCES);
  gate.open();
  join_and_close(first);
}

// wdm.h affinity: KeSetSystemAffinityThreadEx pins the caller and returns the previous system
// affinity (0: it ran at its user affinity); KeRevertToUserAffinityThreadEx(0) restores the user
// affinity; a mask naming no usable CPU changes nothing
TEST_P(Conformance, SystemAffinityAndRevert) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const int cpu = allowed_cpus().back();
  struct {
    std::vector<int> before, pinned, after, after_bad;
    KAFFINITY previous = 0;
  } seen;
  HANDLE h = nullptr;
  ASSERT_EQ(
      spawn(&h,
            [&] {
              seen.before = own_affinity();
              seen.previous = KeSetSystemAffinityThreadEx(KAFFINITY(1) << cpu);
              seen.pinned = own_affinity();
              KeRevertToUserAffinityThreadEx(seen.previous);
              seen.after = own_affinity();
              KAFFINITY unusable = 0;
              for (int c = 63; c >= 0; --c) {
                if (std::find(seen.before.begin(), seen.before.end(), c) == seen.before.end()) {
                  unusable = KAFFINITY(1) << c;
                  break;
                }
              }
              KAFFINITY prev2 = KeSetSystemAffinityThreadEx(unusable);
              seen.after_bad = own_affinity();
              KeRevertToUserAffinityThreadEx(prev2);
            }),
      STATUS_SUCCESS);
  join_and_close(h);
  EXPECT_EQ(seen.previous, KAFFINITY{0});
  EXPECT_EQ(seen.pinned, std::vector<int>{cpu});
  EXPECT_EQ(seen.after, seen.before);
  EXPECT_EQ(seen.after_bad, seen.before);
}

// wdm.h: KeQueryActiveProcessorCount returns the count and the mask of the machine's CPUs
TEST_P(Conformance, ActiveProcessorCount) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KAFFINITY mask = 0;
  ULONG count = KeQueryActiveProcessorCount(&mask);
  EXPECT_GE(count, 1u);
  EXPECT_EQ(count, static_cast<ULONG>(__builtin_popcountll(mask)));
  for (int cpu : allowed_cpus()) EXPECT_TRUE(mask & (KAFFINITY(1) << cpu)) << cpu;
  EXPECT_EQ(KeQueryActiveProcessorCount(nullptr), count);
}

}  // namespace tpb_conf
