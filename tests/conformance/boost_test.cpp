// Priority increments of a wake: docs/contracts.md section 7.3, behaviours 74-79 and the
// decisions of 7.10 (decay per 30 ms of the thread's own CPU time; the host priority does not
// follow a boost). Each waiter is a system thread seen asleep before the test signals.
#include <ctime>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

long long own_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

// Burns the calling thread's CPU until it has used `ns` more of it (bounded by kWaitMs of wall
// time: on a starved machine the caller sees too little CPU time and its expectation fails).
bool burn_cpu(long long ns) {
  const long long end = own_cpu_ns() + ns;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  volatile unsigned sink = 0;
  while (own_cpu_ns() < end) {
    for (int i = 0; i < 1000; ++i) sink = sink + 1;
    if (std::chrono::steady_clock::now() > give_up) return false;
  }
  return true;
}

struct BoostedWaiter {
  std::atomic<long> tid{0};
  std::atomic<KPRIORITY> before{0}, after{0};
  std::atomic<NTSTATUS> result{STATUS_PENDING};
  HANDLE handle = nullptr;

  // `prepare` runs first in the thread (priority changes); `then` right after `after` is read.
  NTSTATUS start(PVOID object, const std::function<void()>& prepare = {},
                 const std::function<void()>& then = {}) {
    return spawn(&handle, [this, object, prepare, then] {
      if (prepare) prepare();
      before = KeQueryPriorityThread(KeGetCurrentThread());
      tid = gettid_now();
      result = wait_object(object);
      after = KeQueryPriorityThread(KeGetCurrentThread());
      if (then) then();
    });
  }
  void join() { join_and_close(handle); }
};

}  // namespace

// 74: a priority-8 thread woken by KeSetEvent(&ev, 2, FALSE) reads 10
TEST_P(Conformance, SetEventIncrementBoostsWaiter) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  BoostedWaiter waiter;
  ASSERT_EQ(waiter.start(&event), STATUS_SUCCESS);
  ASSERT_TRUE(becomes_blocked(waiter.tid));
  KeSetEvent(&event, 2, FALSE);
  waiter.join();
  EXPECT_EQ(waiter.result.load(), STATUS_SUCCESS);
  EXPECT_EQ(waiter.before.load(), 8);
  EXPECT_EQ(waiter.after.load(), 10);
}

// 75: a thread with base 14 woken with increment 4 reads 15, not 18
TEST_P(Conformance, BoostCappedAtFifteen) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  BoostedWaiter waiter;
  ASSERT_EQ(waiter.start(&event, [] { KeSetBasePriorityThread(KeGetCurrentThread(), 6); }),
            STATUS_SUCCESS);
  ASSERT_TRUE(becomes_blocked(waiter.tid));
  KeSetEvent(&event, 4, FALSE);
  waiter.join();
  EXPECT_EQ(waiter.before.load(), 14);
  EXPECT_EQ(waiter.after.load(), 15);
}

// 76: a real-time thread (16) woken with increment 2 reads 16
TEST_P(Conformance, RealTimeThreadIsNotBoosted) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  BoostedWaiter waiter;
  // The thread only sleeps at 16 and ends right after the wake: nothing spins at RT.
  ASSERT_EQ(waiter.start(&event, [] { KeSetPriorityThread(KeGetCurrentThread(), 16); }),
            STATUS_SUCCESS);
  ASSERT_TRUE(becomes_blocked(waiter.tid));
  KeSetEvent(&event, 2, FALSE);
  waiter.join();
  EXPECT_EQ(waiter.before.load(), 16);
  EXPECT_EQ(waiter.after.load(), 16);
}

// 77: KeReleaseSemaphore(SEMAPHORE_INCREMENT) and KeReleaseMutex each give 9; IO_NO_INCREMENT 8
TEST_P(Conformance, SemaphoreAndMutexReleasesBoostByOne) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  {
    KSEMAPHORE semaphore;
    KeInitializeSemaphore(&semaphore, 0, 1);
    BoostedWaiter waiter;
    ASSERT_EQ(waiter.start(&semaphore), STATUS_SUCCESS);
    ASSERT_TRUE(becomes_blocked(waiter.tid));
    KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 1, FALSE);
    waiter.join();
    EXPECT_EQ(waiter.after.load(), 9) << "semaphore";
  }
  {
    KMUTEX mutex;
    KeInitializeMutex(&mutex, 0);
    ASSERT_EQ(wait_object(&mutex), STATUS_SUCCESS);
    BoostedWaiter waiter;
    ASSERT_EQ(waiter.start(&mutex, {}, [&] { KeReleaseMutex(&mutex, FALSE); }), STATUS_SUCCESS);
    ASSERT_TRUE(becomes_blocked(waiter.tid));
    KeReleaseMutex(&mutex, FALSE);
    waiter.join();
    EXPECT_EQ(waiter.after.load(), 9) << "mutex";
  }
  {
    KEVENT event;
    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    BoostedWaiter waiter;
    ASSERT_EQ(waiter.start(&event), STATUS_SUCCESS);
    ASSERT_TRUE(becomes_blocked(waiter.tid));
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    waiter.join();
    EXPECT_EQ(waiter.after.load(), 8) << "no increment";
  }
}

// wdm.h: a wait satisfied without blocking (the event was already set) gives no boost
TEST_P(Conformance, WaitThatDoesNotBlockIsNotBoosted) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  KeSetEvent(&event, 2, FALSE);
  KPRIORITY after = 0;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [&] {
                    if (wait_object(&event) == STATUS_SUCCESS)
                      after = KeQueryPriorityThread(KeGetCurrentThread());
                  }),
            STATUS_SUCCESS);
  join_and_close(h);
  EXPECT_EQ(after, 8);
}

// 78: a boost from 8 to 10 reads 9 after one quantum (30 ms) of the thread's CPU time and 8 after
// two; KeSetPriorityThread on a boosted thread replaces the boost
TEST_P(Conformance, BoostDecaysPerQuantumOfCpuTime) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  std::atomic<KPRIORITY> one{0}, two{0}, replaced{0}, after_set{0};
  std::atomic<bool> burned{false};
  BoostedWaiter waiter;
  ASSERT_EQ(waiter.start(&event, {},
                         [&] {
                           PKTHREAD self = KeGetCurrentThread();
                           bool ok = burn_cpu(32'000'000);
                           one = KeQueryPriorityThread(self);
                           ok = ok && burn_cpu(30'000'000);
                           two = KeQueryPriorityThread(self);
                           burned = ok;
                         }),
            STATUS_SUCCESS);
  ASSERT_TRUE(becomes_blocked(waiter.tid));
  KeSetEvent(&event, 2, FALSE);
  waiter.join();
  ASSERT_TRUE(burned.load()) << "the thread got too little CPU time to decay";
  EXPECT_EQ(waiter.after.load(), 10);
  EXPECT_EQ(one.load(), 9);
  EXPECT_EQ(two.load(), 8);

  // A fresh boost, then an explicit priority: the value set wins.
  BoostedWaiter again;
  ASSERT_EQ(again.start(&event, {},
                        [&] {
                          replaced = KeSetPriorityThread(KeGetCurrentThread(), 7);
                          after_set = KeQueryPriorityThread(KeGetCurrentThread());
                        }),
            STATUS_SUCCESS);
  ASSERT_TRUE(becomes_blocked(again.tid));
  KeSetEvent(&event, 3, FALSE);
  again.join();
  EXPECT_EQ(again.after.load(), 11);
  EXPECT_EQ(replaced.load(), 11);
  EXPECT_EQ(after_set.load(), 7);
}

// 79: a boost leaves the host priority alone: the host level read while boosted is the one read
// before the wait
TEST_P(Conformance, BoostLeavesHostPriorityAlone) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  tpb::HostPriority host_before, host_boosted;
  std::atomic<long> tid{0};
  std::atomic<KPRIORITY> boosted{0};
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [&] {
                    host_before = read_own_host_priority();
                    tid = gettid_now();
                    if (wait_object(&event) != STATUS_SUCCESS) return;
                    boosted = KeQueryPriorityThread(KeGetCurrentThread());
                    host_boosted = read_own_host_priority();
                  }),
            STATUS_SUCCESS);
  ASSERT_TRUE(becomes_blocked(tid));
  KeSetEvent(&event, 2, FALSE);
  join_and_close(h);
  EXPECT_EQ(boosted.load(), 10);
  EXPECT_EQ(host_boosted, host_before);
}

}  // namespace tpb_conf
