// Kernel mutexes: docs/contracts.md section 7.5, behaviours 85-89. A satisfied wait makes the
// waiter the owner; the owner may wait again and releases once per wait; the last release hands
// the mutex to the first waiter in the same step. Misuse is a bug check (death tests).
#include <thread>

#include "conformance.hpp"

namespace tpb_conf {

// 85: KeInitializeMutex -> KeReadStateMutex reads 1
TEST_P(Conformance, NewMutexIsSignalled) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  EXPECT_EQ(KeReadStateMutex(&mutex), 1);
  EXPECT_EQ(mutex.OwnerThread, nullptr);
}

// 86: the owner acquires twice; the first release returns non-zero and another thread's poll
// still times out; the second returns 0 and the mutex reads 1
TEST_P(Conformance, MutexIsRecursive) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  ASSERT_EQ(wait_object(&mutex), STATUS_SUCCESS);
  ASSERT_EQ(KeWaitForMutexObject(&mutex, Executive, KernelMode, FALSE, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(mutex.OwnerThread, KeGetCurrentThread());
  EXPECT_EQ(KeReadStateMutex(&mutex), -1);
  EXPECT_NE(KeReleaseMutex(&mutex, FALSE), 0);
  NTSTATUS other = STATUS_PENDING;
  std::thread([&] { other = poll_object(&mutex); }).join();
  EXPECT_EQ(other, STATUS_TIMEOUT);
  EXPECT_EQ(KeReleaseMutex(&mutex, FALSE), 0);
  EXPECT_EQ(KeReadStateMutex(&mutex), 1);
  EXPECT_EQ(mutex.OwnerThread, nullptr);
}

// 87: the owner's last release hands the mutex to the blocked waiter: it reads 0 at once and the
// waiter returns STATUS_SUCCESS as the new owner
TEST_P(Conformance, MutexReleaseHandsOwnership) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  ASSERT_EQ(wait_object(&mutex), STATUS_SUCCESS);
  std::atomic<long> tid{0};
  std::atomic<NTSTATUS> result{STATUS_PENDING};
  std::atomic<bool> was_owner{false};
  Gate done;  // the new owner holds the mutex until the test has read its state
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [&] {
                    tid = gettid_now();
                    result = wait_object(&mutex);
                    if (result != STATUS_SUCCESS) return;
                    was_owner = mutex.OwnerThread == KeGetCurrentThread();
                    done.wait();
                    KeReleaseMutex(&mutex, FALSE);
                  }),
            STATUS_SUCCESS);
  ASSERT_TRUE(becomes_blocked(tid));
  EXPECT_EQ(KeReleaseMutex(&mutex, FALSE), 0);
  EXPECT_EQ(KeReadStateMutex(&mutex), 0);
  done.open();
  join_and_close(h);
  EXPECT_EQ(result.load(), STATUS_SUCCESS);
  EXPECT_TRUE(was_owner.load());
  EXPECT_EQ(KeReadStateMutex(&mutex), 1);
}

// wdm.h: a mutex in a WaitAll with an event: owned only once both are available
TEST_P(Conformance, MutexInWaitAll) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  PVOID objects[2] = {&mutex, &event};
  LARGE_INTEGER zero = zero_timeout();
  EXPECT_EQ(
      KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, &zero, nullptr),
      STATUS_TIMEOUT);
  EXPECT_EQ(KeReadStateMutex(&mutex), 1);
  KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
  EXPECT_EQ(
      KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, &zero, nullptr),
      STATUS_SUCCESS);
  EXPECT_EQ(KeReadStateMutex(&mutex), 0);
  EXPECT_EQ(KeReleaseMutex(&mutex, FALSE), 0);
}

// 88: KeReleaseMutex by a non-owner -> BUGCHECK 0xC4, exit 134
TEST_P(Conformance, ReleaseByNonOwnerIsBugCheckC4) {
  auto opts = options();
  EXPECT_EXIT(
      {
        tpb::Runtime rt(opts);
        tpb::RuntimeScope scope(rt);
        static KMUTEX mutex;
        KeInitializeMutex(&mutex, 0);
        HANDLE h = nullptr;
        if (spawn(&h, [] { KeReleaseMutex(&mutex, FALSE); }) == STATUS_SUCCESS) wait_handle(h);
        std::_Exit(0);
      },
      testing::ExitedWithCode(134), "BUGCHECK 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION.*MUTANT");
}

// 89: a system thread that returns, or terminates, owning a kernel mutex -> BUGCHECK 0x4000008A
TEST_P(Conformance, ThreadEndingWithMutexIsBugCheck4000008A) {
  auto opts = options();
  for (bool terminate : {false, true}) {
    SCOPED_TRACE(terminate);
    EXPECT_EXIT(
        {
          tpb::Runtime rt(opts);
          tpb::RuntimeScope scope(rt);
          static KMUTEX mutex;
          KeInitializeMutex(&mutex, 0);
          HANDLE h = nullptr;
          if (spawn(&h, [terminate] {
                if (wait_object(&mutex) != STATUS_SUCCESS) return;
                if (terminate) PsTerminateSystemThread(STATUS_SUCCESS);
              }) == STATUS_SUCCESS)
            wait_handle(h);
          std::_Exit(0);
        },
        testing::ExitedWithCode(134), "BUGCHECK 0x4000008A THREAD_TERMINATE_HELD_MUTEX");
  }
}

}  // namespace tpb_conf
