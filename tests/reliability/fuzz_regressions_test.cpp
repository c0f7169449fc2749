// Inputs the fuzz targets (tests/fuzz) found, kept as plain tests so the ASan and TSan trees check
// them on every run: each names what went wrong before it was fixed.
#include <chrono>

#include <gtest/gtest.h>

#include <systhread/wdm.h>
#include <tpb/backend.hpp>
#include <tpb/runtime.hpp>

#include "every_backend.hpp"

namespace {

using namespace std::chrono_literals;

VOID wait_then_return(PVOID context) {
  LARGE_INTEGER timeout;
  timeout.QuadPart = -10LL * 10'000'000;  // 10 s, bounded
  KeWaitForSingleObject(context, Executive, KernelMode, FALSE, &timeout);
}

class FuzzRegressions : public ::testing::TestWithParam<std::string> {};

// One object given twice to a WaitAny wait: when it is signalled, the waiter is released once
// with the first index (the dispatcher used to follow a wait block it had just unlinked: a null
// dereference when the thread ended).
TEST_P(FuzzRegressions, SameObjectTwiceInWaitAny) {
  tpb::Runtime runtime(tpb::RuntimeOptions().backend(GetParam()));
  tpb::RuntimeScope scope(runtime);
  KEVENT go;
  KeInitializeEvent(&go, NotificationEvent, FALSE);
  HANDLE thread = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &wait_then_return, &go),
            STATUS_SUCCESS);
  HANDLE twice[] = {thread, thread, thread};
  LARGE_INTEGER poll{};
  EXPECT_EQ(ZwWaitForMultipleObjects(3, twice, WaitAny, FALSE, &poll), STATUS_TIMEOUT);
  KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
  LARGE_INTEGER timeout;
  timeout.QuadPart = -10LL * 10'000'000;
  EXPECT_EQ(ZwWaitForMultipleObjects(3, twice, WaitAny, FALSE, &timeout), STATUS_WAIT_0);
  EXPECT_EQ(ZwClose(thread), STATUS_SUCCESS);
  EXPECT_TRUE(runtime.wait_idle(10s));
}

// The same, with the waiter blocked before the signal: an event given twice, set by a thread.
TEST_P(FuzzRegressions, BlockedWaitAnyOnEventGivenTwice) {
  tpb::Runtime runtime(tpb::RuntimeOptions().backend(GetParam()));
  tpb::RuntimeScope scope(runtime);
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  HANDLE thread = nullptr;
  ASSERT_EQ(PsCreateSystemThread(
                &thread, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                [](PVOID e) {
                  LARGE_INTEGER delay;
                  delay.QuadPart = -20LL * 10'000;  // 20 ms: the waiter is usually blocked
                  KeDelayExecutionThread(KernelMode, FALSE, &delay);
                  KeSetEvent(static_cast<PRKEVENT>(e), IO_NO_INCREMENT, FALSE);
                },
                &event),
            STATUS_SUCCESS);
  PVOID objects[] = {&event, &event};
  LARGE_INTEGER timeout;
  timeout.QuadPart = -10LL * 10'000'000;
  EXPECT_EQ(KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, &timeout,
                                     nullptr),
            STATUS_WAIT_0);
  EXPECT_EQ(KeReadStateEvent(&event), 0);  // a synchronization event is taken once
  EXPECT_EQ(ZwWaitForSingleObject(thread, FALSE, &timeout), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(thread), STATUS_SUCCESS);
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, FuzzRegressions,
                         ::testing::ValuesIn(tpb::test::every_backend()),
                         [](const auto& info) { return info.param; });

}  // namespace
