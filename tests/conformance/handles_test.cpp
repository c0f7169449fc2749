// Handles and references: docs/contracts.md section 3 behaviours 26-32 (1.7
// ObReferenceObjectByHandle, ZwClose; object lifetime), with bad input: NULL, garbage, closed and
// double-closed handles, wrong object types, NULL out-pointers, handles of another runtime. Leaks
// are checked with Runtime::stats() (live_objects, open_handles).
#include "conformance.hpp"

namespace tpb_conf {

// 26, 29: reference by handle with *PsThreadType -> 0, twice the same pointer, which is the
// thread's KTHREAD (header Type 6)
TEST_P(Conformance, ReferenceByHandleYieldsTheThread) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Gate gate;
  PKTHREAD inside = nullptr;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [&] {
                    inside = KeGetCurrentThread();
                    gate.wait();
                  }),
            STATUS_SUCCESS);
  PVOID a = nullptr, b = nullptr;
  ASSERT_EQ(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &a, nullptr),
            STATUS_SUCCESS);
  ASSERT_EQ(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &b, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(a, b);
  EXPECT_EQ(static_cast<DISPATCHER_HEADER*>(a)->Type, ThreadObject);
  // ObjectType NULL accepts any type.
  PVOID c = nullptr;
  EXPECT_EQ(ObReferenceObjectByHandle(h, SYNCHRONIZE, nullptr, KernelMode, &c, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(c, a);
  gate.open();
  EXPECT_EQ(wait_object(a), STATUS_SUCCESS);
  EXPECT_EQ(inside, static_cast<PKTHREAD>(a));
  ObDereferenceObject(a);
  ObDereferenceObject(b);
  if (c) ObDereferenceObject(c);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// 9 (section 6: DesiredAccess 0): a handle opened with access 0 is referenced and waited on by the
// kernel
TEST_P(Conformance, ZeroAccessHandleIsUsableByTheKernel) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  HANDLE h = nullptr;
  PVOID job = make_job([] {});
  ASSERT_EQ(PsCreateSystemThread(&h, 0, nullptr, nullptr, nullptr, &function_routine, job),
            STATUS_SUCCESS);
  PVOID t = nullptr;
  EXPECT_EQ(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &t, nullptr),
            STATUS_SUCCESS);
  EXPECT_EQ(wait_handle(h), STATUS_SUCCESS);
  if (t) ObDereferenceObject(t);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// 27, 31: NULL, garbage and closed handles -> STATUS_INVALID_HANDLE for reference, wait, query
// and close; the out-pointer is not written
TEST_P(Conformance, BadHandlesAreInvalid) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  HANDLE closed = nullptr;
  ASSERT_EQ(spawn(&closed, [] {}), STATUS_SUCCESS);
  join_and_close(closed);
  for (HANDLE bad : {static_cast<HANDLE>(nullptr), reinterpret_cast<HANDLE>(0x1234),
                     reinterpret_cast<HANDLE>(0xFFFFFFFF80001230ull), closed}) {
    SCOPED_TRACE(bad);
    PVOID object = reinterpret_cast<PVOID>(0x42);
    EXPECT_EQ(
        ObReferenceObjectByHandle(bad, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr),
        STATUS_INVALID_HANDLE);
    EXPECT_EQ(object, reinterpret_cast<PVOID>(0x42));
    LARGE_INTEGER zero = zero_timeout();
    EXPECT_EQ(ZwWaitForSingleObject(bad, FALSE, &zero), STATUS_INVALID_HANDLE);
    EXPECT_EQ(ZwClose(bad), STATUS_INVALID_HANDLE);
  }
  // Double close of a live thread's handle.
  Gate gate;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [&] { gate.wait(); }), STATUS_SUCCESS);
  PKTHREAD t = reference_thread(h);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(h), STATUS_INVALID_HANDLE);
  gate.open();
  EXPECT_EQ(wait_object(t), STATUS_SUCCESS);
  ObDereferenceObject(t);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

// 1.7 (bad input): a NULL Object out-pointer is refused without a reference being taken
TEST_P(Conformance, NullObjectOutPointerIsRefused) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [] {}), STATUS_SUCCESS);
  EXPECT_FALSE(NT_SUCCESS(
      ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, nullptr, nullptr)));
  const auto before_close = Counters::of(rt);
  join_and_close(h);
  // The failed call took no reference: closing the last handle frees the thread object.
  EXPECT_TRUE(eventually([&] { return Counters::of(rt).live_objects < before_close.live_objects; }))
      << Counters::of(rt);
  THREAD_BASIC_INFORMATION info{};
  ULONG length = 0;
  HANDLE live = nullptr;
  ASSERT_EQ(spawn(&live, [] {}), STATUS_SUCCESS);
  EXPECT_FALSE(NT_SUCCESS(
      ZwQueryInformationThread(live, ThreadBasicInformation, nullptr, sizeof info, &length)));
  join_and_close(live);
}

// 28: a thread handle with *PsProcessType or *ExEventObjectType, and a process handle with
// *PsThreadType -> STATUS_OBJECT_TYPE_MISMATCH, nothing written
TEST_P(Conformance, WrongObjectTypeIsMismatch) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [] {}), STATUS_SUCCESS);
  for (POBJECT_TYPE type : {*PsProcessType, *ExEventObjectType, *ExSemaphoreObjectType}) {
    PVOID object = reinterpret_cast<PVOID>(0x42);
    EXPECT_EQ(ObReferenceObjectByHandle(h, SYNCHRONIZE, type, KernelMode, &object, nullptr),
              STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(object, reinterpret_cast<PVOID>(0x42));
  }
  join_and_close(h);
  HANDLE process = nullptr;
  ASSERT_EQ(SysThreadCreateProcess(&process), STATUS_SUCCESS);
  PVOID object = reinterpret_cast<PVOID>(0x42);
  EXPECT_EQ(
      ObReferenceObjectByHandle(process, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr),
      STATUS_OBJECT_TYPE_MISMATCH);
  EXPECT_EQ(object, reinterpret_cast<PVOID>(0x42));
  EXPECT_EQ(
      ObReferenceObjectByHandle(process, SYNCHRONIZE, *PsProcessType, KernelMode, &object, nullptr),
      STATUS_SUCCESS);
  EXPECT_EQ(static_cast<DISPATCHER_HEADER*>(object)->Type, ProcessObject);
  ObDereferenceObject(object);
  EXPECT_EQ(ZwClose(process), STATUS_SUCCESS);
}

// 30: ZwClose(thread handle) -> 0; the thread keeps running, and a referenced pointer stays
// waitable until ObDereferenceObject
TEST_P(Conformance, ClosingHandleDoesNotStopTheThread) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Gate gate;
  std::atomic<int> finished{0};
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [&] {
                    gate.wait();
                    finished = 1;
                  }),
            STATUS_SUCCESS);
  PKTHREAD t = reference_thread(h);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(poll_object(t), STATUS_TIMEOUT);
  EXPECT_EQ(rt.stats().live_threads, 1u);
  gate.open();
  EXPECT_EQ(wait_object(t), STATUS_SUCCESS);
  EXPECT_EQ(finished.load(), 1);
  EXPECT_EQ(poll_object(t), STATUS_SUCCESS);
  ObDereferenceObject(t);
}

// 32: the thread object is freed only after the last handle and the last reference are gone
TEST_P(Conformance, ObjectFreedAfterLastHandleAndReference) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [] {}), STATUS_SUCCESS);
  EXPECT_EQ(Counters::of(rt).open_handles, before.open_handles + 1);
  PKTHREAD t = reference_thread(h);
  ObReferenceObject(t);  // two references
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(Counters::of(rt).open_handles, before.open_handles);
  EXPECT_EQ(Counters::of(rt).live_objects, before.live_objects + 1) << "freed while referenced";
  ObDereferenceObject(t);
  EXPECT_EQ(Counters::of(rt).live_objects, before.live_objects + 1) << "freed while referenced";
  EXPECT_EQ(poll_object(t), STATUS_SUCCESS);  // still a valid, signaled object
  ObDereferenceObject(t);
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);

  // Reverse order: references dropped first, the handle keeps the object.
  ASSERT_EQ(spawn(&h, [] {}), STATUS_SUCCESS);
  t = reference_thread(h);
  ObDereferenceObject(t);
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(Counters::of(rt).live_objects, before.live_objects + 1);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

// 31 (runtimes are separate kernels): a handle of one runtime is invalid in another
TEST_P(Conformance, HandlesBelongToTheirRuntime) {
  tpb::Runtime a(options());
  tpb::Runtime b(options());
  HANDLE h = nullptr;
  {
    tpb::RuntimeScope scope(a);
    ASSERT_EQ(spawn(&h, [] {}), STATUS_SUCCESS);
    ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  }
  {
    tpb::RuntimeScope scope(b);
    PVOID object = nullptr;
    EXPECT_EQ(
        ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &object, nullptr),
        STATUS_INVALID_HANDLE);
    EXPECT_EQ(ZwClose(h), STATUS_INVALID_HANDLE);
  }
  tpb::RuntimeScope scope(a);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// 30-32 under contention: system threads creating, waiting for and closing threads concurrently
// (each also referencing and dereferencing) leave no handle or object behind, and every thread ran
TEST_P(Conformance, ConcurrentCreateWaitClose) {
  // Room for creators, children and children still returning their worker: this test is about
  // concurrency, not pool exhaustion (ExhaustionReportsInsufficientResources).
  tpb::BackendOptions roomy = GetParam().options;
  roomy.set("capacity", "16");
  tpb::Runtime rt(options().backend_options(roomy));
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  const auto created_before = rt.stats().threads_created;
  constexpr int kCreators = 3, kEach = 20;
  std::atomic<int> ran{0}, errors{0};
  HANDLE creators[kCreators] = {};
  for (auto& c : creators) {
    ASSERT_EQ(spawn(&c,
                    [&] {
                      for (int i = 0; i < kEach; ++i) {
                        HANDLE h = nullptr;
                        if (spawn(&h, [&] { ran.fetch_add(1); }) != STATUS_SUCCESS) {
                          errors.fetch_add(1);
                          continue;
                        }
                        PVOID t = nullptr;
                        if (ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &t,
                                                      nullptr) != STATUS_SUCCESS)
                          errors.fetch_add(1);
                        if (i % 2 == 0 && ZwClose(h) != STATUS_SUCCESS) errors.fetch_add(1);
                        if (t != nullptr) {
                          if (wait_object(t) != STATUS_SUCCESS) errors.fetch_add(1);
                          ObDereferenceObject(t);
                        }
                        if (i % 2 == 1 && ZwClose(h) != STATUS_SUCCESS) errors.fetch_add(1);
                      }
                    }),
              STATUS_SUCCESS);
  }
  for (HANDLE c : creators) join_and_close(c);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(ran.load(), kCreators * kEach);
  EXPECT_EQ(rt.stats().threads_created,
            created_before + kCreators + std::uint64_t{kCreators} * kEach);
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

}  // namespace tpb_conf
