// Waiting and signaling: docs/contracts.md section 3 behaviours 18-25 (1.7 KeWaitForSingleObject,
// ZwWaitForSingleObject, KeWaitForMultipleObjects), with the timeout forms of the wdm.h header
// (NULL, zero, relative, absolute), and the dispatcher objects a driver thread sleeps on
// (1.10: events and semaphores). Count limits of KeWaitForMultipleObjects are in violations_test.
#include "conformance.hpp"

namespace tpb_conf {

// 18: KeWaitForSingleObject(running thread, timeout 0) -> STATUS_TIMEOUT
TEST_P(Conformance, ZeroTimeoutOnRunningThreadTimesOut) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Gate gate;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [&] { gate.wait(); }), STATUS_SUCCESS);
  PKTHREAD t = reference_thread(h);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(poll_object(t), STATUS_TIMEOUT);
  LARGE_INTEGER zero = zero_timeout();
  EXPECT_EQ(ZwWaitForSingleObject(h, FALSE, &zero), STATUS_TIMEOUT);
  gate.open();
  EXPECT_EQ(wait_object(t), STATUS_SUCCESS);
  ObDereferenceObject(t);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// 19, 20, 22: after the thread ends, infinite waits on the object and on the handle return 0, and
// keep returning 0 (the signal is sticky)
TEST_P(Conformance, EndedThreadStaysSignaled) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [] {}), STATUS_SUCCESS);
  PKTHREAD t = reference_thread(h);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(wait_object(t), STATUS_SUCCESS);  // bounded first: the infinite waits below are safe
  EXPECT_EQ(KeWaitForSingleObject(t, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(ZwWaitForSingleObject(h, FALSE, nullptr), STATUS_SUCCESS);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(poll_object(t), STATUS_SUCCESS);
    EXPECT_EQ(KeWaitForSingleObject(t, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
  }
  ObDereferenceObject(t);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// 21: ZwWaitForSingleObject(handle, -50 ms) while the thread is blocked -> STATUS_TIMEOUT
TEST_P(Conformance, RelativeTimeoutOnBlockedThread) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Gate gate;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [&] { gate.wait(); }), STATUS_SUCCESS);
  LARGE_INTEGER t = relative_ms(50);
  EXPECT_EQ(ZwWaitForSingleObject(h, FALSE, &t), STATUS_TIMEOUT);
  gate.open();
  join_and_close(h);
}

// 23: KeWaitForMultipleObjects(N threads, WaitAny) -> STATUS_WAIT_0 + index of the thread that
// ended
TEST_P(Conformance, WaitAnyReturnsIndexOfEndedThread) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  constexpr int kThreads = 3;
  for (int ending = 0; ending < kThreads; ++ending) {
    SCOPED_TRACE(ending);
    Gate gates[kThreads];
    HANDLE handles[kThreads] = {};
    PVOID objects[kThreads] = {};
    for (int i = 0; i < kThreads; ++i) {
      ASSERT_EQ(spawn(&handles[i], [&gates, i] { gates[i].wait(); }), STATUS_SUCCESS);
      objects[i] = reference_thread(handles[i]);
    }
    gates[ending].open();
    LARGE_INTEGER timeout = relative_ms(kWaitMs);
    EXPECT_EQ(KeWaitForMultipleObjects(kThreads, objects, WaitAny, Executive, KernelMode, FALSE,
                                       &timeout, nullptr),
              STATUS_WAIT_0 + ending);
    for (auto& g : gates) g.open();
    for (int i = 0; i < kThreads; ++i) {
      join_and_close(handles[i]);
      ObDereferenceObject(objects[i]);
    }
  }
}

// 23 (WaitAll): returns STATUS_WAIT_0 only once every thread ended; times out before that
TEST_P(Conformance, WaitAllNeedsEveryThread) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  constexpr int kThreads = 3;
  Gate gates[kThreads];
  HANDLE handles[kThreads] = {};
  PVOID objects[kThreads] = {};
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_EQ(spawn(&handles[i], [&gates, i] { gates[i].wait(); }), STATUS_SUCCESS);
    objects[i] = reference_thread(handles[i]);
  }
  gates[0].open();
  gates[1].open();
  LARGE_INTEGER short_wait = relative_ms(50);
  EXPECT_EQ(KeWaitForMultipleObjects(kThreads, objects, WaitAll, Executive, KernelMode, FALSE,
                                     &short_wait, nullptr),
            STATUS_TIMEOUT);
  gates[2].open();
  LARGE_INTEGER timeout = relative_ms(kWaitMs);
  EXPECT_EQ(KeWaitForMultipleObjects(kThreads, objects, WaitAll, Executive, KernelMode, FALSE,
                                     &timeout, nullptr),
            STATUS_WAIT_0);
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(ZwClose(handles[i]), STATUS_SUCCESS);
    ObDereferenceObject(objects[i]);
  }
}

// 23 (wdm.h: more than THREAD_WAIT_OBJECTS with a WaitBlockArray): a wait on 64 objects works
TEST_P(Conformance, WaitOnSixtyFourObjectsWithWaitBlocks) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT events[MAXIMUM_WAIT_OBJECTS];
  PVOID objects[MAXIMUM_WAIT_OBJECTS];
  for (int i = 0; i < MAXIMUM_WAIT_OBJECTS; ++i) {
    KeInitializeEvent(&events[i], NotificationEvent, FALSE);
    objects[i] = &events[i];
  }
  std::vector<KWAIT_BLOCK> blocks(MAXIMUM_WAIT_OBJECTS);
  KeSetEvent(&events[63], 0, FALSE);
  LARGE_INTEGER timeout = relative_ms(kWaitMs);
  EXPECT_EQ(KeWaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, objects, WaitAny, Executive, KernelMode,
                                     FALSE, &timeout, blocks.data()),
            STATUS_WAIT_63);
  for (auto& e : events) KeSetEvent(&e, 0, FALSE);
  EXPECT_EQ(KeWaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, objects, WaitAll, Executive, KernelMode,
                                     FALSE, &timeout, blocks.data()),
            STATUS_WAIT_0);
}

// 24: every thread waiting on one thread object is released when it exits
TEST_P(Conformance, AllWaitersReleasedAtExit) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Gate gate;
  HANDLE target = nullptr;
  ASSERT_EQ(spawn(&target, [&] { gate.wait(); }), STATUS_SUCCESS);
  PKTHREAD t = reference_thread(target);
  constexpr int kWaiters = 3;
  NTSTATUS results[kWaiters];
  std::atomic<int> waiting{0};
  HANDLE waiters[kWaiters] = {};
  for (int i = 0; i < kWaiters; ++i) {
    results[i] = -1;
    ASSERT_EQ(spawn(&waiters[i],
                    [&, i] {
                      waiting.fetch_add(1);
                      results[i] = wait_object(t);
                    }),
              STATUS_SUCCESS);
  }
  ASSERT_TRUE(eventually([&] { return waiting.load() == kWaiters; }));
  gate.open();
  for (int i = 0; i < kWaiters; ++i) {
    join_and_close(waiters[i]);
    EXPECT_EQ(results[i], STATUS_SUCCESS) << "waiter " << i;
  }
  ObDereferenceObject(t);
  join_and_close(target);
}

// 25: a zero-timeout wait racing with the thread's exit returns 0 or STATUS_TIMEOUT, nothing else
TEST_P(Conformance, ZeroTimeoutRacingExit) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  for (int round = 0; round < 20; ++round) {
    HANDLE h = nullptr;
    ASSERT_EQ(spawn(&h, [] {}), STATUS_SUCCESS);
    LARGE_INTEGER zero = zero_timeout();
    NTSTATUS s = ZwWaitForSingleObject(h, FALSE, &zero);
    EXPECT_TRUE(s == STATUS_SUCCESS || s == STATUS_TIMEOUT) << std::hex << s;
    join_and_close(h);
  }
}

// 1.7 timeouts: an absolute time in the past polls; a positive timeout on a signaled object
// returns 0
TEST_P(Conformance, AbsoluteTimeouts) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  LARGE_INTEGER past;
  past.QuadPart = 1;  // 1601-01-01 plus 100 ns
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &past), STATUS_TIMEOUT);
  KeSetEvent(&event, 0, FALSE);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &past), STATUS_SUCCESS);
}

// 1.10: notification events release every waiter and stay signaled; KeSetEvent/KeResetEvent
// return the previous state; the header Type names the event kind
TEST_P(Conformance, NotificationEventSemantics) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  EXPECT_EQ(event.Header.Type, EventNotificationObject);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
  EXPECT_EQ(poll_object(&event), STATUS_TIMEOUT);
  constexpr int kWaiters = 3;
  NTSTATUS results[kWaiters];
  HANDLE waiters[kWaiters] = {};
  for (int i = 0; i < kWaiters; ++i) {
    results[i] = -1;
    ASSERT_EQ(spawn(&waiters[i], [&, i] { results[i] = wait_object(&event); }), STATUS_SUCCESS);
  }
  EXPECT_EQ(KeSetEvent(&event, 0, FALSE), 0);
  for (int i = 0; i < kWaiters; ++i) {
    join_and_close(waiters[i]);
    EXPECT_EQ(results[i], STATUS_SUCCESS);
  }
  EXPECT_NE(KeReadStateEvent(&event), 0);
  EXPECT_EQ(poll_object(&event), STATUS_SUCCESS);
  EXPECT_EQ(poll_object(&event), STATUS_SUCCESS);
  EXPECT_NE(KeSetEvent(&event, 0, FALSE), 0);
  EXPECT_NE(KeResetEvent(&event), 0);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
  KeSetEvent(&event, 0, FALSE);
  KeClearEvent(&event);
  EXPECT_EQ(poll_object(&event), STATUS_TIMEOUT);
}

// 1.10: a synchronization event releases one waiter per signal and resets itself
TEST_P(Conformance, SynchronizationEventSemantics) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, TRUE);
  EXPECT_EQ(event.Header.Type, EventSynchronizationObject);
  EXPECT_EQ(poll_object(&event), STATUS_SUCCESS);
  EXPECT_EQ(poll_object(&event), STATUS_TIMEOUT) << "auto-reset did not happen";
  std::atomic<int> released{0};
  constexpr int kWaiters = 2;
  HANDLE waiters[kWaiters] = {};
  for (auto& w : waiters)
    ASSERT_EQ(spawn(&w,
                    [&] {
                      if (wait_object(&event) == STATUS_SUCCESS) released.fetch_add(1);
                    }),
              STATUS_SUCCESS);
  for (int i = 1; i <= kWaiters; ++i) {
    // Each signal is consumed by exactly one waiter (or stays set until one arrives).
    KeSetEvent(&event, 0, FALSE);
    EXPECT_TRUE(eventually([&] { return released.load() == i; })) << released.load();
  }
  for (auto w : waiters) join_and_close(w);
  EXPECT_EQ(released.load(), kWaiters);
  EXPECT_EQ(poll_object(&event), STATUS_TIMEOUT);
}

// 1.10: semaphores count; KeReleaseSemaphore returns the previous count; a wait takes one unit
TEST_P(Conformance, SemaphoreSemantics) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KSEMAPHORE sem;
  KeInitializeSemaphore(&sem, 0, 3);
  EXPECT_EQ(sem.Header.Type, SemaphoreObject);
  EXPECT_EQ(sem.Limit, 3);
  EXPECT_EQ(KeReadStateSemaphore(&sem), 0);
  EXPECT_EQ(poll_object(&sem), STATUS_TIMEOUT);
  EXPECT_EQ(KeReleaseSemaphore(&sem, 0, 2, FALSE), 0);
  EXPECT_EQ(KeReleaseSemaphore(&sem, 0, 1, FALSE), 2);
  EXPECT_EQ(KeReadStateSemaphore(&sem), 3);
  HANDLE consumer = nullptr;
  std::atomic<int> taken{0};
  ASSERT_EQ(spawn(&consumer,
                  [&] {
                    while (poll_object(&sem) == STATUS_SUCCESS) taken.fetch_add(1);
                  }),
            STATUS_SUCCESS);
  join_and_close(consumer);
  EXPECT_EQ(taken.load(), 3);
  EXPECT_EQ(KeReadStateSemaphore(&sem), 0);
}

// 1.10: KeDelayExecutionThread with a relative and a zero interval returns STATUS_SUCCESS from a
// system thread and from the test thread
TEST_P(Conformance, DelayExecution) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  LARGE_INTEGER interval = relative_ms(5);
  EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &interval), STATUS_SUCCESS);
  LARGE_INTEGER zero = zero_timeout();
  EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &zero), STATUS_SUCCESS);
  NTSTATUS inside = -1;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [&] {
                    LARGE_INTEGER i = relative_ms(5);
                    inside = KeDelayExecutionThread(KernelMode, FALSE, &i);
                  }),
            STATUS_SUCCESS);
  join_and_close(h);
  EXPECT_EQ(inside, STATUS_SUCCESS);
}

// 23 (mixed dispatcher objects): WaitAny over an event and a thread returns the index of whichever
// is signaled
TEST_P(Conformance, WaitAnyOverEventAndThread) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Gate gate;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [&] { gate.wait(); }), STATUS_SUCCESS);
  PKTHREAD t = reference_thread(h);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  PVOID objects[2] = {&event, t};
  LARGE_INTEGER short_wait = relative_ms(20);
  EXPECT_EQ(KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, &short_wait,
                                     nullptr),
            STATUS_TIMEOUT);
  gate.open();
  LARGE_INTEGER timeout = relative_ms(kWaitMs);
  EXPECT_EQ(KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, &timeout,
                                     nullptr),
            STATUS_WAIT_0 + 1);
  KeSetEvent(&event, 0, FALSE);
  EXPECT_EQ(KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, &timeout,
                                     nullptr),
            STATUS_WAIT_0);
  ObDereferenceObject(t);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

}  // namespace tpb_conf
