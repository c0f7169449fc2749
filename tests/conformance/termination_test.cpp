// Termination: docs/contracts.md section 3 behaviours 33-36 (1.4 PsTerminateSystemThread), section
// 6 decisions 4 (return = STATUS_SUCCESS) and 5 (terminate from a non-system thread),
// docs/design.md section 7 (unwinding through C frames), and runtime shutdown with threads still
// alive (bounded wait, then a report naming them). Behaviour 37 (unhandled exception) is in
// violations_test.
#include <cstdio>
#include <string>

#include "c_routines.h"
#include "conformance.hpp"

namespace tpb_conf {
namespace {

struct CountsDestruction {
  std::atomic<int>* counter;
  ~CountsDestruction() { counter->fetch_add(1); }
};

}  // namespace

// 33: PsTerminateSystemThread(X) never returns; the exit status is X; the stack unwinds (C++
// destructors in the routine run)
TEST_P(Conformance, TerminateNeverReturnsAndSetsExitStatus) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  std::atomic<int> destroyed{0}, returned{0};
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [&] {
                    CountsDestruction guard{&destroyed};
                    PsTerminateSystemThread(static_cast<NTSTATUS>(0x12345678));
                    returned = 1;
                  }),
            STATUS_SUCCESS);
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  THREAD_BASIC_INFORMATION info{};
  ASSERT_EQ(basic_info(h, info), STATUS_SUCCESS);
  EXPECT_EQ(info.ExitStatus, static_cast<NTSTATUS>(0x12345678));
  EXPECT_EQ(returned.load(), 0);
  EXPECT_EQ(destroyed.load(), 1);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// 33, DESIGN 7: a C start routine terminating from two C frames deep unwinds to the trampoline
TEST_P(Conformance, TerminateFromCFrames) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  CRoutineState state{};
  state.exit_status = static_cast<NTSTATUS>(0xC0000123);
  CLIENT_ID cid{};
  HANDLE h = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, &cid,
                                 &c_terminating_routine, &state),
            STATUS_SUCCESS);
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  EXPECT_EQ(state.reached, 1);
  EXPECT_EQ(state.returned, 0);
  EXPECT_EQ(state.irql, PASSIVE_LEVEL);
  EXPECT_EQ(state.thread_id, cid.UniqueThread);
  THREAD_BASIC_INFORMATION info{};
  ASSERT_EQ(basic_info(h, info), STATUS_SUCCESS);
  EXPECT_EQ(info.ExitStatus, static_cast<NTSTATUS>(0xC0000123));
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  // The host context survives (capabilities().termination): the runtime keeps creating threads.
  EXPECT_TRUE(caps().termination) << "backend cannot survive PsTerminateSystemThread";
  CRoutineState second{};
  ASSERT_EQ(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &c_returning_routine, &second),
            STATUS_SUCCESS);
  join_and_close(h);
  EXPECT_EQ(second.reached, 1);
}

// 33 (section 6: terminate at APC_LEVEL allowed): termination at APC_LEVEL ends the thread
TEST_P(Conformance, TerminateAtApcLevel) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h,
                  [] {
                    KIRQL old;
                    KeRaiseIrql(APC_LEVEL, &old);
                    PsTerminateSystemThread(static_cast<NTSTATUS>(7));
                  }),
            STATUS_SUCCESS);
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  THREAD_BASIC_INFORMATION info{};
  ASSERT_EQ(basic_info(h, info), STATUS_SUCCESS);
  EXPECT_EQ(info.ExitStatus, 7);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// 34 (section 6 decision 5): PsTerminateSystemThread from a non-system thread returns
// STATUS_INVALID_PARAMETER and the caller goes on
TEST_P(Conformance, TerminateFromNonSystemThreadFails) {
  tpb::Runtime rt(options());
  {
    tpb::RuntimeScope scope(rt);
    EXPECT_EQ(PsTerminateSystemThread(STATUS_SUCCESS), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(PsTerminateSystemThread(static_cast<NTSTATUS>(0x1234)), STATUS_INVALID_PARAMETER);
    // The caller went on and still creates threads.
    HANDLE h = nullptr;
    ASSERT_EQ(spawn(&h, [] {}), STATUS_SUCCESS);
    join_and_close(h);
  }
  // And with no scope: the default runtime.
  EXPECT_EQ(PsTerminateSystemThread(STATUS_SUCCESS), STATUS_INVALID_PARAMETER);
}

// 35, 36 (section 6 decision 4): a routine that returns ends with STATUS_SUCCESS and the object
// is signaled; while running the exit status is STATUS_PENDING
TEST_P(Conformance, ReturningRoutineExitsWithSuccess) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Gate gate;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [&] { gate.wait(); }), STATUS_SUCCESS);
  THREAD_BASIC_INFORMATION info{};
  ASSERT_EQ(basic_info(h, info), STATUS_SUCCESS);
  EXPECT_EQ(info.ExitStatus, STATUS_PENDING);
  EXPECT_EQ(rt.stats().live_threads, 1u);
  gate.open();
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  ASSERT_EQ(basic_info(h, info), STATUS_SUCCESS);
  EXPECT_EQ(info.ExitStatus, STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(rt.stats().live_threads, 0u);
}

// 35: a C routine that returns ends with STATUS_SUCCESS
TEST_P(Conformance, CRoutineReturning) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  CRoutineState state{};
  HANDLE h = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &c_returning_routine, &state),
            STATUS_SUCCESS);
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  THREAD_BASIC_INFORMATION info{};
  ASSERT_EQ(basic_info(h, info), STATUS_SUCCESS);
  EXPECT_EQ(info.ExitStatus, STATUS_SUCCESS);
  EXPECT_EQ(state.reached, 1);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// 33, pools: a host worker reused after PsTerminateSystemThread runs the next system thread at
// PASSIVE_LEVEL with a fresh identity (ids are unique while their objects live)
TEST_P(Conformance, ManyTerminationsInARow) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  constexpr int kThreads = 16;
  std::vector<HANDLE> handles, ids(kThreads);
  std::vector<KIRQL> irqls(kThreads, 0xFF);
  for (int i = 0; i < kThreads; ++i) {
    HANDLE h = nullptr;
    ASSERT_EQ(spawn(&h,
                    [&, i] {
                      irqls[i] = KeGetCurrentIrql();
                      ids[i] = PsGetCurrentThreadId();
                      if (i % 2 == 0) {
                        KIRQL old;
                        KeRaiseIrql(APC_LEVEL, &old);  // left raised: must not leak to the next
                        PsTerminateSystemThread(i);
                      }
                    }),
              STATUS_SUCCESS);
    ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
    handles.push_back(h);
  }
  for (int i = 0; i < kThreads; ++i) {
    THREAD_BASIC_INFORMATION info{};
    ASSERT_EQ(basic_info(handles[i], info), STATUS_SUCCESS);
    EXPECT_EQ(info.ExitStatus, i % 2 == 0 ? i : STATUS_SUCCESS) << "thread " << i;
    EXPECT_EQ(irqls[i], PASSIVE_LEVEL) << "thread " << i;
    for (int j = 0; j < i; ++j) EXPECT_NE(ids[j], ids[i]) << "threads " << j << ", " << i;
  }
  for (HANDLE h : handles) EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// section 6 / runtime.hpp: destroying a runtime with a thread still alive does not hang: it waits
// shutdown_timeout, then reports the thread by name and id on stderr and abandons it safely
TEST_P(Conformance, ShutdownWithLiveThreadIsBoundedAndReported) {
  // Static: the thread outlives the runtime and this frame may be gone before it ends.
  static KEVENT release;
  static std::atomic<int> finished;
  KeInitializeEvent(&release, NotificationEvent, FALSE);
  finished = 0;
  CLIENT_ID cid{};
  std::string report;
  {
    StderrCapture capture;
    auto* rt = new tpb::Runtime(options().shutdown_timeout(std::chrono::milliseconds(200)));
    {
      tpb::RuntimeScope scope(*rt);
      HANDLE h = nullptr;
      PVOID job = make_job([] {
        wait_object(&release, LONGLONG{20} * kWaitMs);
        finished = 1;
      });
      ASSERT_EQ(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, &cid,
                                     &function_routine, job),
                STATUS_SUCCESS);
      EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
    }
    run_bounded("~Runtime with a live thread", [rt] { delete rt; });
    report = capture.text();
  }
  EXPECT_EQ(finished.load(), 0);
  const auto id = reinterpret_cast<std::uintptr_t>(cid.UniqueThread);
  char hex[32];
  std::snprintf(hex, sizeof hex, "%lx", static_cast<unsigned long>(id));
  const bool names_id =
      report.find(std::to_string(id)) != std::string::npos || report.find(hex) != std::string::npos;
  EXPECT_TRUE(names_id) << "report does not name thread id " << id << ":\n" << report;
  // The abandoned thread still runs correctly once released.
  KeSetEvent(&release, 0, FALSE);
  EXPECT_TRUE(eventually([] { return finished.load() == 1; }));
}

}  // namespace tpb_conf
