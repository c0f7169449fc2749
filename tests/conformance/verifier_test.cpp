// The verifier: docs/contracts.md section 6 "Violations" (softer misuse reported when the verifier
// is on, by RuntimeOptions::verifier(true) or SYSTHREAD_VERIFIER=1): handles never closed at
// runtime shutdown, threads still running at shutdown, PsTerminateSystemThread inside an
// IoCreateSystemThread routine (decision 6, whose IoObject reference is still released), a
// StorPortTerminateSystemThread with a foreign context (storport.h), and priorities out of range
// (KeSetBasePriorityThread leaving the process's priority class). Reports are read with
// Runtime::verifier_reports() and, for those made at shutdown, from stderr.
#include <cstdlib>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

bool any_mentions(const std::vector<std::string>& reports, const std::string& word) {
  for (const auto& r : reports)
    if (r.find(word) != std::string::npos) return true;
  return false;
}

std::string joined(const std::vector<std::string>& reports) {
  std::string out;
  for (const auto& r : reports) out += r + "\n";
  return out;
}

NTSTATUS entry_with_device(PDRIVER_OBJECT driver, PUNICODE_STRING) {
  PDEVICE_OBJECT device = nullptr;
  return IoCreateDevice(driver, 0, nullptr, FILE_DEVICE_UNKNOWN, 0, FALSE, &device);
}

}  // namespace

// section 6 decision 6: PsTerminateSystemThread inside an IoCreateSystemThread routine: the thread
// ends with that status, the IoObject reference is still released, the verifier reports it
TEST_P(Conformance, VerifierReportsTerminateInsideIoRoutine) {
  tpb::Runtime rt(options().verifier(true));
  tpb::RuntimeScope scope(rt);
  PDRIVER_OBJECT driver = nullptr;
  ASSERT_EQ(SysThreadLoadDriver(&entry_with_device, &driver), STATUS_SUCCESS);
  PDEVICE_OBJECT device = driver->DeviceObject;
  ASSERT_NE(device, nullptr);
  const LONG base = std::atomic_ref<LONG>(device->ReferenceCount).load();
  HANDLE h = nullptr;
  ASSERT_EQ(io_spawn(device, &h, [] { PsTerminateSystemThread(static_cast<NTSTATUS>(0x42)); }),
            STATUS_SUCCESS);
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  THREAD_BASIC_INFORMATION info{};
  ASSERT_EQ(basic_info(h, info), STATUS_SUCCESS);
  EXPECT_EQ(info.ExitStatus, 0x42);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(std::atomic_ref<LONG>(device->ReferenceCount).load(), base);
  const auto reports = rt.verifier_reports();
  EXPECT_TRUE(any_mentions(reports, "PsTerminateSystemThread")) << joined(reports);
  unload_bounded(rt, driver);
}

// storport.h: StorPortTerminateSystemThread with another thread's context is ignored and reported
TEST_P(Conformance, VerifierReportsForeignStorPortTerminate) {
  tpb::Runtime rt(options().verifier(true));
  tpb::RuntimeScope scope(rt);
  PVOID ext = nullptr;
  ASSERT_EQ(SysThreadCreateAdapter(16, &ext), STATUS_SUCCESS);
  Gate gate;
  PVOID victim = nullptr;
  ASSERT_EQ(stor_spawn(
                ext, [&] { gate.wait(); }, nullptr, &victim),
            STOR_STATUS_SUCCESS);
  std::atomic<int> went_on{0};
  ASSERT_EQ(stor_spawn(
                ext,
                [&] {
                  StorPortTerminateSystemThread(ext, victim);
                  went_on = 1;
                },
                nullptr, nullptr),
            STOR_STATUS_SUCCESS);
  EXPECT_TRUE(eventually([&] { return went_on.load() == 1; }));
  gate.open();
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_FALSE(rt.verifier_reports().empty());
  EXPECT_TRUE(any_mentions(rt.verifier_reports(), "StorPortTerminateSystemThread"))
      << joined(rt.verifier_reports());
  EXPECT_EQ(SysThreadDestroyAdapter(ext), STATUS_SUCCESS);
}

// section 6 verifier "priorities out of range": KeSetBasePriorityThread asking for a base outside
// the process's class (8 + 10 = 18 in the variable class) is clamped to 15 and reported
TEST_P(Conformance, VerifierReportsPriorityOutOfClass) {
  tpb::Runtime rt(options().verifier(true));
  tpb::RuntimeScope scope(rt);
  KPRIORITY stored = -1;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [&] {
                    KeSetBasePriorityThread(KeGetCurrentThread(), 10);
                    stored = KeQueryPriorityThread(KeGetCurrentThread());
                  }),
            STATUS_SUCCESS);
  join_and_close(h);
  EXPECT_EQ(stored, 15);
  EXPECT_TRUE(any_mentions(rt.verifier_reports(), "KeSetBasePriorityThread"))
      << joined(rt.verifier_reports());
}

// section 6: handles never closed are reported at runtime shutdown (by stderr)
TEST_P(Conformance, VerifierReportsUnclosedHandlesAtShutdown) {
  std::string text;
  {
    StderrCapture capture;
    {
      tpb::Runtime rt(options().verifier(true));
      tpb::RuntimeScope scope(rt);
      HANDLE h = nullptr;
      ASSERT_EQ(spawn(&h, [] {}), STATUS_SUCCESS);
      ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
      EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
      // h is deliberately left open.
    }
    text = capture.text();
  }
  EXPECT_NE(text.find("handle"), std::string::npos) << text;
}

// section 6: with the verifier off, the same misuse is not reported
TEST_P(Conformance, VerifierOffReportsNothing) {
  tpb::Runtime rt(options().verifier(false));
  tpb::RuntimeScope scope(rt);
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [] { KeSetBasePriorityThread(KeGetCurrentThread(), 10); }), STATUS_SUCCESS);
  join_and_close(h);
  PVOID ext = nullptr;
  ASSERT_EQ(SysThreadCreateAdapter(16, &ext), STATUS_SUCCESS);
  int foreign = 0;
  std::atomic<int> went_on{0};
  ASSERT_EQ(stor_spawn(
                ext,
                [&] {
                  StorPortTerminateSystemThread(ext, &foreign);
                  went_on = 1;
                },
                nullptr, nullptr),
            STOR_STATUS_SUCCESS);
  EXPECT_TRUE(eventually([&] { return went_on.load() == 1; }));
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_TRUE(rt.verifier_reports().empty()) << joined(rt.verifier_reports());
  EXPECT_EQ(SysThreadDestroyAdapter(ext), STATUS_SUCCESS);
}

// section 6: SYSTHREAD_VERIFIER=1 turns the verifier on for runtimes that do not choose
TEST_P(Conformance, VerifierFromEnvironment) {
  const auto param = GetParam();
  EXPECT_EXIT(
      {
        // In the death test's child, before it starts any thread.
        setenv("SYSTHREAD_VERIFIER", "1", 1);  // NOLINT(concurrency-mt-unsafe)
        tpb::Runtime rt(tpb::RuntimeOptions()
                            .backend(param.name)
                            .backend_options(param.options));  // verifier not chosen
        int code = 1;
        {
          tpb::RuntimeScope scope(rt);
          HANDLE h = nullptr;
          if (spawn(&h, [] { KeSetBasePriorityThread(KeGetCurrentThread(), 10); }) ==
              STATUS_SUCCESS) {
            wait_handle(h);
            ZwClose(h);
            rt.wait_idle(std::chrono::milliseconds(kWaitMs));
            if (!rt.verifier_reports().empty()) code = 0;
          }
        }
        std::fprintf(stderr, "verifier from environment: %s\n", code == 0 ? "on" : "off");
        std::_Exit(code);
      },
      testing::ExitedWithCode(0), "verifier from environment: on");
}

}  // namespace tpb_conf
