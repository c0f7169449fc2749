// Signal hand-off: docs/contracts.md section 7.1, behaviours 60-69. A signal and the waiters it
// satisfies change in one step: right after the signalling call returns the signal belongs to a
// waiter, WaitAll takes all of its objects together, and equal waiters go first in, first out.
// Behaviour 66 (a semaphore past its limit) is a death test in violations_test.cpp. Every waiter
// announces its Linux tid and is seen asleep before the test signals.
#include <thread>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

// A system thread that waits once on `objects` (WaitAny over one object is a single wait) and
// records the status.
struct Waiter {
  std::atomic<long> tid{0};
  std::atomic<NTSTATUS> result{STATUS_PENDING};
  HANDLE handle = nullptr;

  NTSTATUS start(PVOID object) {
    return spawn(&handle, [this, object] {
      tid = gettid_now();
      result = wait_object(object);
    });
  }
  NTSTATUS start_all(PVOID a, PVOID b) {
    return spawn(&handle, [this, a, b] {
      tid = gettid_now();
      PVOID objects[2] = {a, b};
      LARGE_INTEGER timeout = relative_ms(kWaitMs);
      result = KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, &timeout,
                                        nullptr);
    });
  }
  void join() { join_and_close(handle); }
};

// A poll of `object` from a thread other than the caller.
NTSTATUS poll_from_third_thread(PVOID object) {
  NTSTATUS status = STATUS_PENDING;
  std::thread([&] { status = poll_object(object); }).join();
  return status;
}

}  // namespace

// 60: KeSetEvent on a SynchronizationEvent with a blocked waiter -> the event reads 0 right after
// KeSetEvent returns and the waiter gets STATUS_SUCCESS, in each of 20 rounds
TEST_P(Conformance, SetEventHandsSignalToWaiter) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    KEVENT event;
    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    Waiter waiter;
    ASSERT_EQ(waiter.start(&event), STATUS_SUCCESS);
    ASSERT_TRUE(becomes_blocked(waiter.tid));
    EXPECT_EQ(KeSetEvent(&event, IO_NO_INCREMENT, FALSE), 0);
    EXPECT_EQ(KeReadStateEvent(&event), 0);
    waiter.join();
    EXPECT_EQ(waiter.result.load(), STATUS_SUCCESS);
  }
}

// 61: the same, and a third thread's poll right after KeSetEvent returns -> STATUS_TIMEOUT
TEST_P(Conformance, ThirdThreadCannotStealHandedSignal) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    KEVENT event;
    KeInitializeEvent(&event, SynchronizationEvent, FALSE);
    Waiter waiter;
    ASSERT_EQ(waiter.start(&event), STATUS_SUCCESS);
    ASSERT_TRUE(becomes_blocked(waiter.tid));
    KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
    EXPECT_EQ(poll_from_third_thread(&event), STATUS_TIMEOUT);
    waiter.join();
    EXPECT_EQ(waiter.result.load(), STATUS_SUCCESS);
  }
}

// 62: KeSetEvent with nobody waiting -> reads 1 until one wait consumes it; the next poll times out
TEST_P(Conformance, UnwaitedSynchronizationEventStaysSignalled) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  EXPECT_EQ(KeSetEvent(&event, IO_NO_INCREMENT, FALSE), 0);
  EXPECT_EQ(KeReadStateEvent(&event), 1);
  EXPECT_EQ(KeReadStateEvent(&event), 1);
  EXPECT_EQ(poll_from_third_thread(&event), STATUS_SUCCESS);
  EXPECT_EQ(poll_object(&event), STATUS_TIMEOUT);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
}

// 63: KeSetEvent on a NotificationEvent with 3 waiters -> all return STATUS_SUCCESS; it reads 1
TEST_P(Conformance, NotificationEventReleasesAllWaiters) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  Waiter waiters[3];
  for (auto& w : waiters) ASSERT_EQ(w.start(&event), STATUS_SUCCESS);
  for (auto& w : waiters) ASSERT_TRUE(becomes_blocked(w.tid));
  KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
  EXPECT_EQ(KeReadStateEvent(&event), 1);
  for (auto& w : waiters) {
    w.join();
    EXPECT_EQ(w.result.load(), STATUS_SUCCESS);
  }
}

// 64: KePulseEvent with 2 waiters -> both released, the event reads 0; with none it stays 0
TEST_P(Conformance, PulseEventReleasesCurrentWaitersOnly) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  Waiter waiters[2];
  for (auto& w : waiters) ASSERT_EQ(w.start(&event), STATUS_SUCCESS);
  for (auto& w : waiters) ASSERT_TRUE(becomes_blocked(w.tid));
  EXPECT_EQ(KePulseEvent(&event, IO_NO_INCREMENT, FALSE), 0);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
  for (auto& w : waiters) {
    w.join();
    EXPECT_EQ(w.result.load(), STATUS_SUCCESS);
  }
  EXPECT_EQ(KePulseEvent(&event, IO_NO_INCREMENT, FALSE), 0);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
  EXPECT_EQ(poll_object(&event), STATUS_TIMEOUT);
}

// 65: KeReleaseSemaphore(&s, 0, 3) at count 0 with 2 waiters returns 0; the count reads 1 at once
TEST_P(Conformance, SemaphoreReleaseHandsCountToWaiters) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 0, 10);
  Waiter waiters[2];
  for (auto& w : waiters) ASSERT_EQ(w.start(&semaphore), STATUS_SUCCESS);
  for (auto& w : waiters) ASSERT_TRUE(becomes_blocked(w.tid));
  EXPECT_EQ(KeReleaseSemaphore(&semaphore, IO_NO_INCREMENT, 3, FALSE), 0);
  EXPECT_EQ(KeReadStateSemaphore(&semaphore), 1);
  for (auto& w : waiters) {
    w.join();
    EXPECT_EQ(w.result.load(), STATUS_SUCCESS);
  }
  EXPECT_EQ(KeReadStateSemaphore(&semaphore), 1);
}

// 67: WaitAll on {A, B} with only A set -> still blocked and A still reads 1; once B is set the
// wait returns STATUS_SUCCESS and both read 0
TEST_P(Conformance, WaitAllTakesEveryObjectTogether) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT a, b;
  KeInitializeEvent(&a, SynchronizationEvent, FALSE);
  KeInitializeEvent(&b, SynchronizationEvent, FALSE);
  Waiter waiter;
  ASSERT_EQ(waiter.start_all(&a, &b), STATUS_SUCCESS);
  ASSERT_TRUE(becomes_blocked(waiter.tid));
  KeSetEvent(&a, IO_NO_INCREMENT, FALSE);
  EXPECT_EQ(KeReadStateEvent(&a), 1);
  EXPECT_TRUE(asleep(waiter.tid));
  EXPECT_EQ(waiter.result.load(), STATUS_PENDING);
  KeSetEvent(&b, IO_NO_INCREMENT, FALSE);
  EXPECT_EQ(KeReadStateEvent(&a), 0);
  EXPECT_EQ(KeReadStateEvent(&b), 0);
  waiter.join();
  EXPECT_EQ(waiter.result.load(), STATUS_SUCCESS);
}

// 68: two equal waiters on one SynchronizationEvent, W1 blocked first -> one KeSetEvent releases
// W1 only, the second releases W2
TEST_P(Conformance, EqualWaitersReleasedFirstInFirstOut) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  Waiter first, second;
  ASSERT_EQ(first.start(&event), STATUS_SUCCESS);
  ASSERT_TRUE(becomes_blocked(first.tid));
  ASSERT_EQ(second.start(&event), STATUS_SUCCESS);
  ASSERT_TRUE(becomes_blocked(second.tid));
  KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
  first.join();
  EXPECT_EQ(first.result.load(), STATUS_SUCCESS);
  EXPECT_EQ(second.result.load(), STATUS_PENDING);
  KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
  second.join();
  EXPECT_EQ(second.result.load(), STATUS_SUCCESS);
}

// 69: ZwWaitForMultipleObjects on two thread handles: WaitAny -> STATUS_WAIT_0 + index of the one
// that ended; WaitAll -> STATUS_SUCCESS once both have
TEST_P(Conformance, ZwWaitForMultipleObjectsOnThreadHandles) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Gate gates[2];
  HANDLE handles[2] = {};
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(spawn(&handles[i], [&gates, i] { gates[i].wait(); }), STATUS_SUCCESS);
  LARGE_INTEGER zero = zero_timeout();
  EXPECT_EQ(ZwWaitForMultipleObjects(2, handles, WaitAny, FALSE, &zero), STATUS_TIMEOUT);
  gates[1].open();
  LARGE_INTEGER timeout = relative_ms(kWaitMs);
  EXPECT_EQ(ZwWaitForMultipleObjects(2, handles, WaitAny, FALSE, &timeout), STATUS_WAIT_0 + 1);
  EXPECT_EQ(ZwWaitForMultipleObjects(2, handles, WaitAll, FALSE, &zero), STATUS_TIMEOUT);
  gates[0].open();
  EXPECT_EQ(ZwWaitForMultipleObjects(2, handles, WaitAll, FALSE, &timeout), STATUS_SUCCESS);
  HANDLE bad[2] = {handles[0], reinterpret_cast<HANDLE>(0x7ff0)};
  EXPECT_EQ(ZwWaitForMultipleObjects(2, bad, WaitAny, FALSE, &zero), STATUS_INVALID_HANDLE);
  for (HANDLE h : handles) EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

}  // namespace tpb_conf
