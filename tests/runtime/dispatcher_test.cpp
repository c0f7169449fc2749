// Dispatcher objects under contention (docs/contracts.md 1.7; behaviours 18-25): no lost wake-ups,
// synchronization events and semaphores hand out exactly what was signaled.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <systhread/wdm.h>
#include <tpb/runtime.hpp>

namespace {

LARGE_INTEGER relative_ms(long long ms) {
  LARGE_INTEGER t;
  t.QuadPart = -ms * 10000;
  return t;
}

// A synchronization event wakes exactly one waiter per KeSetEvent, however many race.
TEST(Dispatcher, SynchronizationEventReleasesOneWaiterPerSet) {
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  std::atomic<int> woken{0};
  constexpr int kWaiters = 4, kRounds = 200;
  std::vector<std::thread> waiters;
  waiters.reserve(kWaiters);
  for (int i = 0; i < kWaiters; ++i)
    waiters.emplace_back([&] {
      LARGE_INTEGER t = relative_ms(5000);
      for (int r = 0; r < kRounds; ++r)
        if (KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &t) == STATUS_SUCCESS)
          woken.fetch_add(1);
    });
  for (int i = 0; i < kWaiters * kRounds; ++i) {
    while (KeReadStateEvent(&event) != 0) std::this_thread::yield();
    KeSetEvent(&event, 0, FALSE);
  }
  for (auto& t : waiters) t.join();
  EXPECT_EQ(woken.load(), kWaiters * kRounds);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
}

// A semaphore hands out exactly its releases, across waiters.
TEST(Dispatcher, SemaphoreCountsAreExact) {
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 0, 1000);
  std::atomic<int> taken{0};
  std::vector<std::thread> takers;
  takers.reserve(3);
  for (int i = 0; i < 3; ++i)
    takers.emplace_back([&] {
      LARGE_INTEGER t = relative_ms(5000);
      for (int r = 0; r < 300; ++r)
        if (KeWaitForSingleObject(&semaphore, Executive, KernelMode, FALSE, &t) == STATUS_SUCCESS)
          taken.fetch_add(1);
    });
  for (int i = 0; i < 900; ++i) KeReleaseSemaphore(&semaphore, 0, 1, FALSE);
  for (auto& t : takers) t.join();
  EXPECT_EQ(taken.load(), 900);
  EXPECT_EQ(KeReadStateSemaphore(&semaphore), 0);
}

// 23: WaitAny returns the index of a signaled object; WaitAll takes them all atomically.
TEST(Dispatcher, MultipleWaitsSeeSignalsFromOtherThreads) {
  KEVENT a, b;
  KeInitializeEvent(&a, SynchronizationEvent, FALSE);
  KeInitializeEvent(&b, SynchronizationEvent, FALSE);
  PVOID objects[] = {&a, &b};
  LARGE_INTEGER t = relative_ms(5000);
  for (int round = 0; round < 200; ++round) {
    std::thread signaler([&] { KeSetEvent(round % 2 ? &b : &a, 0, FALSE); });
    NTSTATUS s =
        KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, &t, nullptr);
    signaler.join();
    ASSERT_EQ(s, STATUS_WAIT_0 + (round % 2)) << round;
  }
  for (int round = 0; round < 100; ++round) {
    std::thread sa([&] { KeSetEvent(&a, 0, FALSE); });
    std::thread sb([&] { KeSetEvent(&b, 0, FALSE); });
    NTSTATUS s =
        KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, &t, nullptr);
    sa.join();
    sb.join();
    ASSERT_EQ(s, STATUS_SUCCESS) << round;
    EXPECT_EQ(KeReadStateEvent(&a), 0);
    EXPECT_EQ(KeReadStateEvent(&b), 0);
  }
}

// 21: a relative timeout on an unsignaled object returns STATUS_TIMEOUT; zero polls.
TEST(Dispatcher, TimeoutsExpire) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  LARGE_INTEGER short_wait = relative_ms(20);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &short_wait),
            STATUS_TIMEOUT);
  KeSetEvent(&event, 0, FALSE);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
  EXPECT_EQ(KeReadStateEvent(&event), 1);  // notification events stay signaled
}

}  // namespace
