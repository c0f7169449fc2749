// Violations, the emulated bug check: docs/contracts.md section 3 behaviours 37 (0x7E), 47 (0x148)
// and 49 (0xCE), and section 6 "Violations" with the codes the wdm.h/harness.h comments name: 0xA
// (create/terminate/priority at DISPATCH_LEVEL or above; KeLowerIrql to a higher level), 0x9
// (KeRaiseIrql to a lower level), 0xC4 (KeSetPriorityThread outside 0..31; a semaphore released
// past its limit), 0xC (KeWaitForMultipleObjects with Count > 64, or > 3 without WaitBlockArray).
// Each is a death test: one line "BUGCHECK 0x<code> ..." on stderr, exit status 134. The death
// test style is "threadsafe" (set in the fixture): pool and TBB workers are alive.
#include <stdexcept>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

// Runs `body` in a system thread of a fresh runtime and waits (bounded) for it. When the expected
// bug check does not happen the child exits 0, which the death test reports as a failure.
void in_system_thread(const tpb::RuntimeOptions& options, std::function<void()> body) {
  tpb::Runtime rt(options);
  tpb::RuntimeScope scope(rt);
  HANDLE h = nullptr;
  if (spawn(&h, std::move(body)) == STATUS_SUCCESS) wait_handle(h);
  std::_Exit(0);
}

void throwing_routine(PVOID) {
  throw std::runtime_error("escaped from a start routine");
}

NTSTATUS entry_with_device(PDRIVER_OBJECT driver, PUNICODE_STRING) {
  PDEVICE_OBJECT device = nullptr;
  return IoCreateDevice(driver, 0, nullptr, FILE_DEVICE_UNKNOWN, 0, FALSE, &device);
}

KEVENT g_forever;  // never signaled: a thread that waits on it outlives its driver's unload

NTSTATUS entry_with_ps_thread(PDRIVER_OBJECT driver, PUNICODE_STRING) {
  KeInitializeEvent(&g_forever, NotificationEvent, FALSE);
  HANDLE h = nullptr;
  NTSTATUS s = spawn(&h, [] { wait_object(&g_forever, LONGLONG{4} * kWaitMs); });
  if (NT_SUCCESS(s)) ZwClose(h);
  (void)driver;
  return s;
}

}  // namespace

// 37: an unhandled C++ exception escaping a start routine -> BUGCHECK 0x7E, exit 134
TEST_P(Conformance, ExceptionEscapingRoutineIsBugCheck7E) {
  auto opts = options();
  EXPECT_EXIT(
      {
        tpb::Runtime rt(opts);
        tpb::RuntimeScope scope(rt);
        HANDLE h = nullptr;
        if (PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &throwing_routine, nullptr) == STATUS_SUCCESS)
          wait_handle(h);
        std::_Exit(0);
      },
      testing::ExitedWithCode(134), "BUGCHECK 0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED");
}

// 37: the same from an IoCreateSystemThread routine and from a StorPort routine
TEST_P(Conformance, ExceptionEscapingIoAndStorPortRoutines) {
  auto opts = options();
  EXPECT_EXIT(
      {
        tpb::Runtime rt(opts);
        tpb::RuntimeScope scope(rt);
        PDRIVER_OBJECT driver = nullptr;
        SysThreadLoadDriver(&entry_with_device, &driver);
        HANDLE h = nullptr;
        if (driver && IoCreateSystemThread(driver, &h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                           &throwing_routine, nullptr) == STATUS_SUCCESS)
          wait_handle(h);
        std::_Exit(0);
      },
      testing::ExitedWithCode(134), "BUGCHECK 0x7E");
  EXPECT_EXIT(
      {
        tpb::Runtime rt(opts);
        tpb::RuntimeScope scope(rt);
        PVOID ext = nullptr;
        SysThreadCreateAdapter(16, &ext);
        if (StorPortCreateSystemThread(ext, &throwing_routine, nullptr, nullptr, nullptr) ==
            STOR_STATUS_SUCCESS)
          rt.wait_idle(std::chrono::milliseconds(kWaitMs));
        std::_Exit(0);
      },
      testing::ExitedWithCode(134), "BUGCHECK 0x7E");
}

// 47: IoCreateSystemThread with an IoObject that is neither a driver nor a device -> 0x148
TEST_P(Conformance, BadIoObjectIsBugCheck148) {
  auto opts = options();
  auto with_object = [opts](PVOID object) {
    tpb::Runtime rt(opts);
    tpb::RuntimeScope scope(rt);
    HANDLE h = nullptr;
    PVOID job = make_job([] {});
    if (IoCreateSystemThread(object, &h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                             &function_routine, job) == STATUS_SUCCESS)
      wait_handle(h);
    std::_Exit(0);
  };
  EXPECT_EXIT(
      {
        KEVENT event;
        KeInitializeEvent(&event, NotificationEvent, FALSE);
        with_object(&event);
      },
      testing::ExitedWithCode(134), "BUGCHECK 0x148");
  EXPECT_EXIT(
      {
        DEVICE_OBJECT fake{};
        fake.Type = 99;
        with_object(&fake);
      },
      testing::ExitedWithCode(134), "BUGCHECK 0x148");
  EXPECT_EXIT(with_object(nullptr), testing::ExitedWithCode(134), "BUGCHECK 0x148");
}

// 49: unloading a driver whose PsCreateSystemThread thread still runs after DriverUnload -> 0xCE
TEST_P(Conformance, UnloadWithLivePsThreadIsBugCheckCE) {
  auto opts = options();
  EXPECT_EXIT(
      {
        tpb::Runtime rt(opts);
        tpb::RuntimeScope scope(rt);
        PDRIVER_OBJECT driver = nullptr;
        if (SysThreadLoadDriver(&entry_with_ps_thread, &driver) == STATUS_SUCCESS)
          SysThreadUnloadDriver(driver);
        std::_Exit(0);
      },
      testing::ExitedWithCode(134), "BUGCHECK 0xCE");
}

// section 6 decision 2: PsCreateSystemThread and IoCreateSystemThread at DISPATCH_LEVEL -> 0xA
TEST_P(Conformance, CreateAtDispatchLevelIsBugCheckA) {
  auto opts = options();
  EXPECT_EXIT(
      {
        tpb::Runtime rt(opts);
        tpb::RuntimeScope scope(rt);
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        HANDLE h = nullptr;
        spawn(&h, [] {});
        std::_Exit(0);
      },
      testing::ExitedWithCode(134), "BUGCHECK 0xA[^0-9A-Fa-f]");
  EXPECT_EXIT(in_system_thread(opts,
                               [] {
                                 KIRQL old;
                                 KeRaiseIrql(HIGH_LEVEL, &old);
                                 HANDLE h = nullptr;
                                 spawn(&h, [] {});
                               }),
              testing::ExitedWithCode(134), "BUGCHECK 0xA[^0-9A-Fa-f]");
  EXPECT_EXIT(
      {
        tpb::Runtime rt(opts);
        tpb::RuntimeScope scope(rt);
        PDRIVER_OBJECT driver = nullptr;
        SysThreadLoadDriver(&entry_with_device, &driver);
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        HANDLE h = nullptr;
        io_spawn(driver, &h, [] {});
        std::_Exit(0);
      },
      testing::ExitedWithCode(134), "BUGCHECK 0xA[^0-9A-Fa-f]");
}

// section 6 decision 2: PsTerminateSystemThread at DISPATCH_LEVEL -> 0xA
TEST_P(Conformance, TerminateAtDispatchLevelIsBugCheckA) {
  EXPECT_EXIT(in_system_thread(options(),
                               [] {
                                 KIRQL old;
                                 KeRaiseIrql(DISPATCH_LEVEL, &old);
                                 PsTerminateSystemThread(STATUS_SUCCESS);
                               }),
              testing::ExitedWithCode(134), "BUGCHECK 0xA[^0-9A-Fa-f]");
}

// section 6 decision 2: KeSetPriorityThread / KeSetBasePriorityThread at DISPATCH_LEVEL -> 0xA
TEST_P(Conformance, SetPriorityAtDispatchLevelIsBugCheckA) {
  auto opts = options();
  EXPECT_EXIT(in_system_thread(opts,
                               [] {
                                 KIRQL old;
                                 KeRaiseIrql(DISPATCH_LEVEL, &old);
                                 KeSetPriorityThread(KeGetCurrentThread(), 9);
                               }),
              testing::ExitedWithCode(134), "BUGCHECK 0xA[^0-9A-Fa-f]");
  EXPECT_EXIT(in_system_thread(opts,
                               [] {
                                 KIRQL old;
                                 KeRaiseIrql(DISPATCH_LEVEL, &old);
                                 KeSetBasePriorityThread(KeGetCurrentThread(), 1);
                               }),
              testing::ExitedWithCode(134), "BUGCHECK 0xA[^0-9A-Fa-f]");
}

// wdm.h IRQL: KeLowerIrql to a higher level -> 0xA; KeRaiseIrql to a lower level -> 0x9
TEST_P(Conformance, IrqlDirectionViolations) {
  auto opts = options();
  EXPECT_EXIT(in_system_thread(opts, [] { KeLowerIrql(APC_LEVEL); }), testing::ExitedWithCode(134),
              "BUGCHECK 0xA[^0-9A-Fa-f]");
  EXPECT_EXIT(in_system_thread(opts,
                               [] {
                                 KIRQL old;
                                 KeRaiseIrql(DISPATCH_LEVEL, &old);
                                 KeRaiseIrql(APC_LEVEL, &old);
                               }),
              testing::ExitedWithCode(134), "BUGCHECK 0x9[^0-9A-Fa-f]");
}

// 38 / section 6 decision 3: KeSetPriorityThread outside 0..31 -> 0xC4
TEST_P(Conformance, PriorityOutOfRangeIsBugCheckC4) {
  auto opts = options();
  EXPECT_EXIT(in_system_thread(opts, [] { KeSetPriorityThread(KeGetCurrentThread(), 32); }),
              testing::ExitedWithCode(134), "BUGCHECK 0xC4");
  EXPECT_EXIT(in_system_thread(opts, [] { KeSetPriorityThread(KeGetCurrentThread(), -1); }),
              testing::ExitedWithCode(134), "BUGCHECK 0xC4");
}

// wdm.h KeReleaseSemaphore: releasing past the limit -> 0xC4
TEST_P(Conformance, SemaphoreOverLimitIsBugCheckC4) {
  EXPECT_EXIT(in_system_thread(options(),
                               [] {
                                 KSEMAPHORE sem;
                                 KeInitializeSemaphore(&sem, 1, 2);
                                 KeReleaseSemaphore(&sem, 0, 2, FALSE);
                               }),
              testing::ExitedWithCode(134), "BUGCHECK 0xC4");
}

// wdm.h KeWaitForMultipleObjects: Count > 64 -> 0xC; Count > 3 without WaitBlockArray -> 0xC
TEST_P(Conformance, TooManyWaitObjectsIsBugCheckC) {
  auto opts = options();
  auto wait_on = [](ULONG count, bool blocks) {
    static KEVENT events[MAXIMUM_WAIT_OBJECTS + 1];
    PVOID objects[MAXIMUM_WAIT_OBJECTS + 1];
    for (ULONG i = 0; i < count; ++i) {
      KeInitializeEvent(&events[i], NotificationEvent, TRUE);
      objects[i] = &events[i];
    }
    std::vector<KWAIT_BLOCK> array(count);
    LARGE_INTEGER t = relative_ms(10);
    KeWaitForMultipleObjects(count, objects, WaitAny, Executive, KernelMode, FALSE, &t,
                             blocks ? array.data() : nullptr);
  };
  EXPECT_EXIT(in_system_thread(opts, [&] { wait_on(MAXIMUM_WAIT_OBJECTS + 1, true); }),
              testing::ExitedWithCode(134), "BUGCHECK 0xC[^0-9A-Fa-f]");
  EXPECT_EXIT(in_system_thread(opts, [&] { wait_on(THREAD_WAIT_OBJECTS + 1, false); }),
              testing::ExitedWithCode(134), "BUGCHECK 0xC[^0-9A-Fa-f]");
  // Not violations: 3 objects without wait blocks, 64 with.
  tpb::Runtime rt(opts);
  tpb::RuntimeScope scope(rt);
  wait_on(THREAD_WAIT_OBJECTS, false);
  wait_on(MAXIMUM_WAIT_OBJECTS, true);
}

}  // namespace tpb_conf
