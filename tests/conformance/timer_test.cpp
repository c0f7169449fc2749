// Timers: docs/contracts.md section 7.6, behaviours 90-98. A timer is a dispatcher object every
// wait routine accepts; notification timers release every waiter and stay signalled,
// synchronization timers release one and reset. Waits on timers are bounded by kWaitMs.
#include <sched.h>

#include <filesystem>
#include <string>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

LARGE_INTEGER system_time_plus_ms(LONGLONG ms) {
  LARGE_INTEGER now;
  KeQuerySystemTimePrecise(&now);
  now.QuadPart += ms * 10000;
  return now;
}

}  // namespace

// 90: KeInitializeTimer -> not signalled
TEST_P(Conformance, NewTimerIsNotSignalled) {
  KTIMER timer;
  KeInitializeTimer(&timer);
  EXPECT_EQ(KeReadStateTimer(&timer), FALSE);
  EXPECT_EQ(KeCancelTimer(&timer), FALSE);
}

// 91: KeSetTimer on an idle timer -> FALSE, again before expiry -> TRUE; a wait then succeeds, the
// timer reads TRUE and a second wait returns at once
TEST_P(Conformance, RelativeTimerSignalsAllWaiters) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KTIMER timer;
  KeInitializeTimer(&timer);
  EXPECT_EQ(KeSetTimer(&timer, relative_ms(10), nullptr), FALSE);
  EXPECT_EQ(KeSetTimer(&timer, relative_ms(10), nullptr), TRUE);
  EXPECT_EQ(wait_object(&timer), STATUS_SUCCESS);
  EXPECT_EQ(KeReadStateTimer(&timer), TRUE);
  EXPECT_EQ(poll_object(&timer), STATUS_SUCCESS);
  EXPECT_EQ(KeCancelTimer(&timer), FALSE);
}

// 92: an absolute due time 10 ms ahead -> the wait succeeds; one already past -> signalled at once
TEST_P(Conformance, AbsoluteTimer) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KTIMER timer;
  KeInitializeTimer(&timer);
  KeSetTimer(&timer, system_time_plus_ms(10), nullptr);
  EXPECT_EQ(wait_object(&timer), STATUS_SUCCESS);
  KeSetTimer(&timer, system_time_plus_ms(-1000), nullptr);
  EXPECT_EQ(wait_object(&timer), STATUS_SUCCESS);
}

// 93: KeCancelTimer on a queued timer -> TRUE and it never signals; on an idle one -> FALSE
TEST_P(Conformance, CancelledTimerNeverSignals) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KTIMER timer;
  KeInitializeTimer(&timer);
  KeSetTimer(&timer, relative_ms(20), nullptr);
  EXPECT_EQ(KeCancelTimer(&timer), TRUE);
  EXPECT_EQ(wait_object(&timer, 100), STATUS_TIMEOUT);
  EXPECT_EQ(KeReadStateTimer(&timer), FALSE);
  EXPECT_EQ(KeCancelTimer(&timer), FALSE);
}

// 94: a SynchronizationTimer with two waiters expires once -> exactly one returns; it reads FALSE
TEST_P(Conformance, SynchronizationTimerReleasesOneWaiter) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KTIMER timer;
  KeInitializeTimerEx(&timer, SynchronizationTimer);
  std::atomic<int> released{0};
  std::atomic<long> tids[2] = {0, 0};
  HANDLE handles[2] = {};
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(spawn(&handles[i],
                    [&, i] {
                      tids[i] = gettid_now();
                      if (wait_object(&timer) == STATUS_SUCCESS) ++released;
                    }),
              STATUS_SUCCESS);
  for (auto& tid : tids) ASSERT_TRUE(becomes_blocked(tid));
  KeSetTimer(&timer, relative_ms(1), nullptr);
  EXPECT_TRUE(eventually([&] { return released.load() >= 1; }));
  EXPECT_EQ(KeReadStateTimer(&timer), FALSE);
  EXPECT_EQ(released.load(), 1);
  KeSetTimer(&timer, relative_ms(1), nullptr);  // lets the second waiter go
  for (HANDLE h : handles) join_and_close(h);
  EXPECT_EQ(released.load(), 2);
}

// 95: a periodic SynchronizationTimer (1 ms, then every 5 ms) -> three successive waits succeed;
// KeCancelTimer -> TRUE, and no further expiry arrives
TEST_P(Conformance, PeriodicTimerRepeatsUntilCancelled) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KTIMER timer;
  KeInitializeTimerEx(&timer, SynchronizationTimer);
  EXPECT_EQ(KeSetTimerEx(&timer, relative_ms(1), 5, nullptr), FALSE);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(wait_object(&timer), STATUS_SUCCESS) << i;
  EXPECT_EQ(KeCancelTimer(&timer), TRUE);
  (void)poll_object(&timer);  // an expiry may have landed between the last wait and the cancel
  EXPECT_EQ(wait_object(&timer, 50), STATUS_TIMEOUT);
}

// 96: a signalled timer set again one-shot reads FALSE at once; set periodic it stays TRUE
TEST_P(Conformance, ResettingSignalledTimer) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KTIMER timer;
  KeInitializeTimer(&timer);
  KeSetTimer(&timer, relative_ms(1), nullptr);
  ASSERT_EQ(wait_object(&timer), STATUS_SUCCESS);
  KeSetTimerEx(&timer, relative_ms(kWaitMs), 0, nullptr);
  EXPECT_EQ(KeReadStateTimer(&timer), FALSE);
  KeSetTimer(&timer, relative_ms(1), nullptr);
  ASSERT_EQ(wait_object(&timer), STATUS_SUCCESS);
  KeSetTimerEx(&timer, relative_ms(kWaitMs), 1000, nullptr);
  EXPECT_EQ(KeReadStateTimer(&timer), TRUE);
  EXPECT_EQ(KeCancelTimer(&timer), TRUE);
}

// 97: a non-NULL DPC -> BUGCHECK 0xC4 naming the routine, exit 134
TEST_P(Conformance, TimerWithDpcIsBugCheckC4) {
  EXPECT_EXIT(
      {
        KTIMER timer;
        KeInitializeTimer(&timer);
        KeSetTimerEx(&timer, relative_ms(1), 0, reinterpret_cast<PKDPC>(&timer));
        std::_Exit(0);
      },
      testing::ExitedWithCode(134),
      "BUGCHECK 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION: KeSetTimerEx");
}

// 98: WaitAny({event, timer}) with only the timer expiring -> STATUS_WAIT_0 + 1
TEST_P(Conformance, WaitAnyOnEventAndTimer) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KTIMER timer;
  KeInitializeTimer(&timer);
  KeSetTimer(&timer, relative_ms(5), nullptr);
  PVOID objects[2] = {&event, &timer};
  LARGE_INTEGER timeout = relative_ms(kWaitMs);
  EXPECT_EQ(KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, &timeout,
                                     nullptr),
            STATUS_WAIT_0 + 1);
}

// Safety (docs/design.md 5): the timer service thread, started by whichever thread first queues a
// timer, never runs at a real-time priority it inherited from a SCHED_FIFO system thread; checked
// in a fresh process (the service starts once per process) by reading every thread's policy.
TEST_P(Conformance, TimerServiceNeverInheritsRealTime) {
  if (!tpb::host_scheduling_rights().rt_permitted) GTEST_SKIP() << "SCHED_FIFO not permitted here";
  auto opts = options().initial_thread_priority(LOW_REALTIME_PRIORITY);
  EXPECT_EXIT(
      {
        int fifo_threads = 0;
        {
          tpb::Runtime rt(opts);
          tpb::RuntimeScope scope(rt);
          static KTIMER timer;
          KeInitializeTimer(&timer);
          HANDLE h = nullptr;
          if (spawn(&h, [] { KeSetTimer(&timer, relative_ms(60'000), nullptr); }) != STATUS_SUCCESS)
            std::_Exit(2);
          if (wait_handle(h) != STATUS_SUCCESS) std::_Exit(3);
          ZwClose(h);
          for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
            int policy = sched_getscheduler(std::stoi(task.path().filename().string()));
            if (policy >= 0 && (policy & ~SCHED_RESET_ON_FORK) == SCHED_FIFO) ++fifo_threads;
          }
          KeCancelTimer(&timer);
        }
        std::_Exit(fifo_threads == 0 ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace tpb_conf
