// The I/O manager: docs/contracts.md section 3 behaviours 46, 48, 49 (1.3 IoCreateSystemThread) and
// section 6 decisions 6-7, through <systhread/harness.h> (SysThreadLoadDriver,
// SysThreadUnloadDriver) and IoCreateDevice/IoDeleteDevice. The bug checks of 47 (0x148) and 49
// (0xCE) are in violations_test; decision 6's verifier report is in verifier_test.
#include "conformance.hpp"

namespace tpb_conf {
namespace {

// DriverEntry and DriverUnload are plain C-style callbacks: they talk to the test through this.
struct DriverScript {
  NTSTATUS entry_status = STATUS_SUCCESS;
  bool create_device = true;
  PDEVICE_OBJECT device = nullptr;
  Gate unload_gate;  // opened by DriverUnload: the driver's threads wait on it
  int unload_calls = 0;
  std::function<void(PDRIVER_OBJECT)> in_entry;
};
DriverScript* g_script = nullptr;

void driver_unload(PDRIVER_OBJECT) {
  g_script->unload_calls += 1;
  g_script->unload_gate.open();
}

NTSTATUS driver_entry(PDRIVER_OBJECT driver, PUNICODE_STRING) {
  DriverScript& s = *g_script;
  driver->DriverUnload = &driver_unload;
  if (s.create_device) {
    NTSTATUS st = IoCreateDevice(driver, 32, nullptr, FILE_DEVICE_UNKNOWN, 0, FALSE, &s.device);
    if (!NT_SUCCESS(st)) return st;
  }
  if (s.in_entry) s.in_entry(driver);
  return s.entry_status;
}

LONG refcount(PDEVICE_OBJECT device) {
  return std::atomic_ref<LONG>(device->ReferenceCount).load();
}

}  // namespace

// harness.h: SysThreadLoadDriver runs DriverEntry and returns a driver object with its device;
// unloading it calls DriverUnload once and frees everything
TEST_P(Conformance, LoadAndUnloadDriver) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  DriverScript script;
  g_script = &script;
  PDRIVER_OBJECT driver = nullptr;
  ASSERT_EQ(SysThreadLoadDriver(&driver_entry, &driver), STATUS_SUCCESS);
  ASSERT_NE(driver, nullptr);
  EXPECT_EQ(driver->Type, IO_TYPE_DRIVER);
  ASSERT_NE(script.device, nullptr);
  EXPECT_EQ(script.device->Type, IO_TYPE_DEVICE);
  EXPECT_EQ(script.device->DriverObject, driver);
  EXPECT_EQ(driver->DeviceObject, script.device);
  EXPECT_EQ(refcount(script.device), 0);
  unload_bounded(rt, driver);
  EXPECT_EQ(script.unload_calls, 1);
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

// harness.h: a failing DriverEntry returns its status, and the driver and its device are freed
TEST_P(Conformance, FailedDriverEntryFreesTheDriver) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  DriverScript script;
  script.entry_status = STATUS_INSUFFICIENT_RESOURCES;
  g_script = &script;
  PDRIVER_OBJECT driver = reinterpret_cast<PDRIVER_OBJECT>(0x99);
  EXPECT_EQ(SysThreadLoadDriver(&driver_entry, &driver), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(script.unload_calls, 0);
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

// 46: IoCreateSystemThread(device) -> 0; the device reference is +1 before the routine runs and
// dropped only after it returns
TEST_P(Conformance, IoThreadHoldsDeviceReference) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  DriverScript script;
  g_script = &script;
  PDRIVER_OBJECT driver = nullptr;
  ASSERT_EQ(SysThreadLoadDriver(&driver_entry, &driver), STATUS_SUCCESS);
  PDEVICE_OBJECT device = script.device;
  ASSERT_NE(device, nullptr);
  const LONG base = refcount(device);
  LONG at_start = -1, at_end = -1;
  Gate gate;
  HANDLE h = nullptr;
  ASSERT_EQ(io_spawn(device, &h,
                     [&] {
                       at_start = refcount(device);
                       gate.wait();
                       at_end = refcount(device);
                     }),
            STATUS_SUCCESS);
  gate.open();
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  EXPECT_EQ(at_start, base + 1);
  EXPECT_EQ(at_end, base + 1);
  EXPECT_EQ(refcount(device), base) << "reference not dropped after the thread ended";
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  // Two threads, two references.
  Gate both;
  HANDLE a = nullptr, b = nullptr;
  ASSERT_EQ(io_spawn(device, &a, [&] { both.wait(); }), STATUS_SUCCESS);
  ASSERT_EQ(io_spawn(device, &b, [&] { both.wait(); }), STATUS_SUCCESS);
  EXPECT_EQ(refcount(device), base + 2);
  both.open();
  join_and_close(a);
  join_and_close(b);
  EXPECT_EQ(refcount(device), base);
  unload_bounded(rt, driver);
}

// 46 (driver object as IoObject), 1.3: the routine behaves as a PsCreateSystemThread routine
// (PASSIVE_LEVEL, priority 8, system thread, exit status 0 on return)
TEST_P(Conformance, IoThreadOnDriverObject) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  DriverScript script;
  script.create_device = false;
  g_script = &script;
  PDRIVER_OBJECT driver = nullptr;
  ASSERT_EQ(SysThreadLoadDriver(&driver_entry, &driver), STATUS_SUCCESS);
  KIRQL irql = 0xFF;
  KPRIORITY priority = -1;
  BOOLEAN system = FALSE;
  HANDLE h = nullptr;
  ASSERT_EQ(io_spawn(driver, &h,
                     [&] {
                       irql = KeGetCurrentIrql();
                       priority = KeQueryPriorityThread(KeGetCurrentThread());
                       system = PsIsSystemThread(PsGetCurrentThread());
                     }),
            STATUS_SUCCESS);
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  THREAD_BASIC_INFORMATION info{};
  ASSERT_EQ(basic_info(h, info), STATUS_SUCCESS);
  EXPECT_EQ(info.ExitStatus, STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_EQ(irql, PASSIVE_LEVEL);
  EXPECT_EQ(priority, 8);
  EXPECT_EQ(system, TRUE);
  unload_bounded(rt, driver);
}

// 48 (section 6 decision 7): any failure leaves the IoObject reference count unchanged and runs
// no routine
TEST_P(Conformance, FailedIoCreateLeavesReferenceUnchanged) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  DriverScript script;
  g_script = &script;
  PDRIVER_OBJECT driver = nullptr;
  ASSERT_EQ(SysThreadLoadDriver(&driver_entry, &driver), STATUS_SUCCESS);
  PDEVICE_OBJECT device = script.device;
  const LONG base = refcount(device);
  const auto before = Counters::baseline(rt);
  std::atomic<int> runs{0};
  auto routine = [](PVOID c) { static_cast<std::atomic<int>*>(c)->fetch_add(1); };
  OBJECT_ATTRIBUTES bad;
  InitializeObjectAttributes(&bad, nullptr, OBJ_PERMANENT, nullptr, nullptr);
  HANDLE h = reinterpret_cast<HANDLE>(0x99);
  EXPECT_EQ(
      IoCreateSystemThread(device, &h, THREAD_ALL_ACCESS, &bad, nullptr, nullptr, routine, &runs),
      STATUS_INVALID_PARAMETER);
  EXPECT_EQ(IoCreateSystemThread(device, nullptr, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 routine, &runs),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(IoCreateSystemThread(device, &h, THREAD_ALL_ACCESS, nullptr,
                                 reinterpret_cast<HANDLE>(0x1234), nullptr, routine, &runs),
            STATUS_INVALID_HANDLE);
  EXPECT_EQ(h, reinterpret_cast<HANDLE>(0x99));
  EXPECT_EQ(refcount(device), base);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(Counters::of(rt), before);
  unload_bounded(rt, driver);
}

// 48 + per-CPU limit: an IoCreateSystemThread refused by the per-CPU limit leaves the reference
// unchanged too
TEST_P(Conformance, IoCreateAtLimitLeavesReferenceUnchanged) {
  const int cpu = allowed_cpus().back();
  tpb::Runtime rt(options().per_cpu_limit(1).placement(tpb::ThreadPlacement::on_cpu(cpu)));
  tpb::RuntimeScope scope(rt);
  DriverScript script;
  g_script = &script;
  PDRIVER_OBJECT driver = nullptr;
  ASSERT_EQ(SysThreadLoadDriver(&driver_entry, &driver), STATUS_SUCCESS);
  PDEVICE_OBJECT device = script.device;
  Gate gate;
  HANDLE first = nullptr;
  ASSERT_EQ(io_spawn(device, &first, [&] { gate.wait(); }), STATUS_SUCCESS);
  const LONG held = refcount(device);
  HANDLE second = reinterpret_cast<HANDLE>(0x99);
  EXPECT_EQ(io_spawn(device, &second, [] {}), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(second, reinterpret_cast<HANDLE>(0x99));
  EXPECT_EQ(refcount(device), held);
  gate.open();
  join_and_close(first);
  unload_bounded(rt, driver);
}

// 49: unloading while IoCreateSystemThread threads live: DriverUnload runs, then the unload
// returns only after they exited (driver not freed meanwhile)
TEST_P(Conformance, UnloadWaitsForIoThreads) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  DriverScript script;
  g_script = &script;
  PDRIVER_OBJECT driver = nullptr;
  ASSERT_EQ(SysThreadLoadDriver(&driver_entry, &driver), STATUS_SUCCESS);
  std::atomic<int> finished{0};
  HANDLE on_device = nullptr, on_driver = nullptr;
  auto body = [&] {
    script.unload_gate.wait();
    // Still running after DriverUnload returned: the unload must wait for this.
    LARGE_INTEGER d = relative_ms(20);
    KeDelayExecutionThread(KernelMode, FALSE, &d);
    finished.fetch_add(1);
  };
  ASSERT_EQ(io_spawn(script.device, &on_device, body), STATUS_SUCCESS);
  ASSERT_EQ(io_spawn(driver, &on_driver, body), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(on_device), STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(on_driver), STATUS_SUCCESS);
  unload_bounded(rt, driver);
  EXPECT_EQ(script.unload_calls, 1);
  EXPECT_EQ(finished.load(), 2) << "unload returned before the I/O threads ended";
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

// 49 (no bug check when they ended): PsCreateSystemThread threads the driver created in
// DriverEntry that ended before the unload are fine
TEST_P(Conformance, UnloadAfterPsThreadsEnded) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  DriverScript script;
  HANDLE ps = nullptr;
  script.in_entry = [&](PDRIVER_OBJECT) { spawn(&ps, [] {}); };
  g_script = &script;
  PDRIVER_OBJECT driver = nullptr;
  ASSERT_EQ(SysThreadLoadDriver(&driver_entry, &driver), STATUS_SUCCESS);
  ASSERT_NE(ps, nullptr);
  join_and_close(ps);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  unload_bounded(rt, driver);
}

// wdm.h IoDeleteDevice: the device leaves its driver's list at once and is freed after the last
// thread referencing it ended
TEST_P(Conformance, DeleteDeviceWithLiveThread) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  DriverScript script;
  g_script = &script;
  PDRIVER_OBJECT driver = nullptr;
  ASSERT_EQ(SysThreadLoadDriver(&driver_entry, &driver), STATUS_SUCCESS);
  PDEVICE_OBJECT device = script.device;
  Gate gate;
  HANDLE h = nullptr;
  ASSERT_EQ(io_spawn(device, &h, [&] { gate.wait(); }), STATUS_SUCCESS);
  const auto with_device = Counters::of(rt);
  IoDeleteDevice(device);
  EXPECT_EQ(driver->DeviceObject, nullptr);
  EXPECT_EQ(Counters::of(rt).live_objects, with_device.live_objects) << "freed while referenced";
  gate.open();
  join_and_close(h);
  EXPECT_TRUE(eventually([&] {
    return Counters::of(rt).live_objects == with_device.live_objects - 2;
  })) << "device (and thread) not freed: "
      << Counters::of(rt);
  unload_bounded(rt, driver);
}

// 10, 48: IoCreateSystemThread into a terminating process -> STATUS_PROCESS_IS_TERMINATING, and the
// IoObject reference count is unchanged
TEST_P(Conformance, IoCreateInTerminatingProcess) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  DriverScript script;
  g_script = &script;
  PDRIVER_OBJECT driver = nullptr;
  ASSERT_EQ(SysThreadLoadDriver(&driver_entry, &driver), STATUS_SUCCESS);
  PDEVICE_OBJECT device = script.device;
  const LONG base = refcount(device);
  HANDLE process = nullptr;
  ASSERT_EQ(SysThreadCreateProcess(&process), STATUS_SUCCESS);
  ASSERT_EQ(ZwTerminateProcess(process, STATUS_SUCCESS), STATUS_SUCCESS);
  std::atomic<int> runs{0};
  auto routine = [](PVOID c) { static_cast<std::atomic<int>*>(c)->fetch_add(1); };
  HANDLE h = reinterpret_cast<HANDLE>(0x99);
  EXPECT_EQ(IoCreateSystemThread(device, &h, THREAD_ALL_ACCESS, nullptr, process, nullptr, routine,
                                 &runs),
            STATUS_PROCESS_IS_TERMINATING);
  EXPECT_EQ(h, reinterpret_cast<HANDLE>(0x99));
  EXPECT_EQ(refcount(device), base);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(ZwClose(process), STATUS_SUCCESS);
  unload_bounded(rt, driver);
}

}  // namespace tpb_conf
