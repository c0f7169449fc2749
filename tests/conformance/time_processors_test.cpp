// Time and processors: docs/contracts.md section 7.7, behaviours 99-104. One processor group;
// processor number n is Linux CPU n; the active processors are the CPUs this process may use.
#include <ctime>

#include "conformance.hpp"

namespace tpb_conf {

// 99: system time is the real-time clock in 100 ns units since 1601, within one second
TEST_P(Conformance, SystemTimeCountsFrom1601) {
  const long long unix_now = static_cast<long long>(std::time(nullptr));
  const long long expected = (unix_now + 11644473600LL) * 10000000LL;
  LARGE_INTEGER coarse, precise;
  KeQuerySystemTime(&coarse);
  KeQuerySystemTimePrecise(&precise);
  EXPECT_LT(std::llabs(coarse.QuadPart - expected), 20000000LL);
  EXPECT_LT(std::llabs(precise.QuadPart - expected), 20000000LL);
}

// 100: interrupt time never decreases and advances by at least 100000 across a 10 ms delay
TEST_P(Conformance, InterruptTimeIsMonotonic) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  ULONGLONG first = KeQueryInterruptTime();
  ULONG64 qpc = 0;
  ULONG64 second = KeQueryInterruptTimePrecise(&qpc);
  EXPECT_GE(second, first);
  EXPECT_GT(qpc, 0u);
  LARGE_INTEGER delay = relative_ms(10);
  EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &delay), STATUS_SUCCESS);
  EXPECT_GE(KeQueryInterruptTime(), second + 100000);
}

// 101: the performance counter has a positive frequency and never decreases; NULL is allowed
TEST_P(Conformance, PerformanceCounter) {
  LARGE_INTEGER frequency;
  frequency.QuadPart = 0;
  LARGE_INTEGER a = KeQueryPerformanceCounter(&frequency);
  LARGE_INTEGER b = KeQueryPerformanceCounter(nullptr);
  EXPECT_GT(frequency.QuadPart, 0);
  EXPECT_GE(b.QuadPart, a.QuadPart);
  EXPECT_EQ(KeQueryTimeIncrement(), 156250u);
}

// 102: KeStallExecutionProcessor(50) returns after at least 50 us of interrupt time
TEST_P(Conformance, StallLastsAtLeastTheTimeAsked) {
  ULONGLONG before = KeQueryInterruptTimePrecise(nullptr);
  KeStallExecutionProcessor(50);
  EXPECT_GE(KeQueryInterruptTimePrecise(nullptr), before + 500);
}

// 103: one group; the active counts agree with each other and with the mask; group 1 has none
TEST_P(Conformance, ProcessorCountsAgree) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const ULONG count = KeQueryActiveProcessorCount(nullptr);
  EXPECT_EQ(KeQueryActiveGroupCount(), 1);
  EXPECT_EQ(KeQueryMaximumGroupCount(), 1);
  EXPECT_EQ(KeQueryActiveProcessorCountEx(0), count);
  EXPECT_EQ(KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS), count);
  EXPECT_EQ(static_cast<ULONG>(__builtin_popcountll(KeQueryActiveProcessors())), count);
  EXPECT_EQ(KeQueryActiveProcessorCountEx(1), 0u);
  EXPECT_GE(KeQueryMaximumProcessorCountEx(ALL_PROCESSOR_GROUPS), count);
  EXPECT_EQ(KeQueryMaximumProcessorCountEx(1), 0u);
  EXPECT_EQ(static_cast<size_t>(count), allowed_cpus().size());
}

// 104: index <-> number round trip; past the last index -> STATUS_INVALID_PARAMETER; a thread
// pinned to a CPU reads that CPU
TEST_P(Conformance, ProcessorNumbersAndIndexes) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  for (int cpu : allowed_cpus()) {
    PROCESSOR_NUMBER pn{9, 99, 0};
    ASSERT_EQ(KeGetProcessorNumberFromIndex(static_cast<ULONG>(cpu), &pn), STATUS_SUCCESS);
    EXPECT_EQ(pn.Group, 0);
    EXPECT_EQ(pn.Number, cpu);
    EXPECT_EQ(KeGetProcessorIndexFromNumber(&pn), static_cast<ULONG>(cpu));
  }
  PROCESSOR_NUMBER pn{};
  const ULONG past = KeQueryMaximumProcessorCountEx(ALL_PROCESSOR_GROUPS);
  EXPECT_EQ(KeGetProcessorNumberFromIndex(past, &pn), STATUS_INVALID_PARAMETER);
  PROCESSOR_NUMBER other_group{1, 0, 0};
  EXPECT_EQ(KeGetProcessorIndexFromNumber(&other_group), INVALID_PROCESSOR_INDEX);

  const int cpu = allowed_cpus().back();
  ULONG index = 0;
  PROCESSOR_NUMBER seen{9, 99, 0};
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [&] {
                    KAFFINITY previous = KeSetSystemAffinityThreadEx(KAFFINITY{1} << cpu);
                    index = KeGetCurrentProcessorNumberEx(&seen);
                    KeRevertToUserAffinityThreadEx(previous);
                  }),
            STATUS_SUCCESS);
  join_and_close(h);
  EXPECT_EQ(index, static_cast<ULONG>(cpu));
  EXPECT_EQ(seen.Group, 0);
  EXPECT_EQ(seen.Number, cpu);
}

}  // namespace tpb_conf
