// Creation and the thread start environment: docs/contracts.md section 3 behaviours 1-17 and 59
// (1.2 PsCreateSystemThread, 1.8 OBJECT_ATTRIBUTES), as decided in section 6 (invalid attributes,
// caller IRQL, default priority 8, routing of DDI calls to runtimes), plus thread exhaustion
// (behaviour 11): RLIMIT_NPROC for one-host-thread-per-system-thread backends, the pool capacity
// for backends that reuse host threads.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

// What a start routine saw at its first statement.
struct StartView {
  PVOID context = nullptr;
  KIRQL irql = 0xFF;
  BOOLEAN apcs_disabled = FALSE;
  HANDLE thread_id = nullptr;
  HANDLE process_id = nullptr;
  PEPROCESS process = nullptr;
  PETHREAD thread = nullptr;
  HANDLE id_of_thread = nullptr;  // PsGetThreadId(PsGetCurrentThread())
  PKTHREAD kthread = nullptr;
  BOOLEAN is_system = FALSE;
  KPRIORITY priority = -1;
  PEPROCESS initial_system_process = nullptr;
  int ran = 0;
};

StartView* g_view = nullptr;  // the routine below writes here; one thread at a time

void view_routine(PVOID context) {
  StartView& v = *g_view;
  v.irql = KeGetCurrentIrql();
  v.apcs_disabled = KeAreApcsDisabled();
  v.context = context;
  v.thread_id = PsGetCurrentThreadId();
  v.process_id = PsGetCurrentProcessId();
  v.process = PsGetCurrentProcess();
  v.thread = PsGetCurrentThread();
  v.id_of_thread = PsGetThreadId(v.thread);
  v.kthread = KeGetCurrentThread();
  v.is_system = PsIsSystemThread(PsGetCurrentThread());
  v.priority = KeQueryPriorityThread(KeGetCurrentThread());
  v.initial_system_process = PsInitialSystemProcess;
  v.ran = 1;
}

void never_routine(PVOID context) {
  *static_cast<std::atomic<int>*>(context) += 1;
}

// Creates with the given access and attributes, waits, closes; returns the creation status.
NTSTATUS create_wait_close(ACCESS_MASK access, POBJECT_ATTRIBUTES oa, HANDLE* seen = nullptr) {
  StartView view;
  g_view = &view;
  HANDLE h = nullptr;
  NTSTATUS s = PsCreateSystemThread(&h, access, oa, nullptr, nullptr, &view_routine, &view);
  if (!NT_SUCCESS(s)) return s;
  EXPECT_NE(h, nullptr);
  EXPECT_NE(h, INVALID_HANDLE_VALUE);
  if (seen) *seen = h;
  join_and_close(h);
  EXPECT_EQ(view.ran, 1);
  return s;
}

}  // namespace

// 1: NULL process, OA{OBJ_KERNEL_HANDLE}, THREAD_ALL_ACCESS -> 0, handle not NULL/INVALID
TEST_P(Conformance, CreateKernelHandleAllAccess) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  EXPECT_EQ(create_wait_close(THREAD_ALL_ACCESS, &oa), STATUS_SUCCESS);
}

// 2, 3, 9 (section 6): DesiredAccess SYNCHRONIZE, GENERIC_ALL and 0 -> 0, and the kernel can wait
TEST_P(Conformance, CreateWithOtherAccessMasks) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  EXPECT_EQ(create_wait_close(SYNCHRONIZE, &oa), STATUS_SUCCESS);
  EXPECT_EQ(create_wait_close(GENERIC_ALL, &oa), STATUS_SUCCESS);
  EXPECT_EQ(create_wait_close(0, &oa), STATUS_SUCCESS);
}

// 4: ObjectAttributes NULL (legacy form) -> 0
TEST_P(Conformance, CreateWithoutObjectAttributes) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  EXPECT_EQ(create_wait_close(THREAD_ALL_ACCESS, nullptr), STATUS_SUCCESS);
}

// 5, 56-like: the routine sees StartContext bit-identical; a NULL context is passed as NULL
TEST_P(Conformance, StartContextIsPassedUnchanged) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  for (PVOID ctx : {reinterpret_cast<PVOID>(0xDEADBEEFCAFEF00Dull), static_cast<PVOID>(nullptr),
                    reinterpret_cast<PVOID>(1)}) {
    StartView view;
    view.context = reinterpret_cast<PVOID>(0x5555);
    g_view = &view;
    HANDLE h = nullptr;
    ASSERT_EQ(
        PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, &view_routine, ctx),
        STATUS_SUCCESS);
    join_and_close(h);
    EXPECT_EQ(view.ran, 1);
    EXPECT_EQ(view.context, ctx);
  }
}

// 6, 7: the routine runs on another thread id; ClientId is filled and matches the ids inside
TEST_P(Conformance, ClientIdMatchesIdsInsideTheRoutine) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  StartView view;
  g_view = &view;
  CLIENT_ID cid{reinterpret_cast<HANDLE>(0x77), reinterpret_cast<HANDLE>(0x77)};
  HANDLE h = nullptr;
  ASSERT_EQ(
      PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, &cid, &view_routine, nullptr),
      STATUS_SUCCESS);
  join_and_close(h);
  ASSERT_EQ(view.ran, 1);
  EXPECT_NE(view.thread_id, PsGetCurrentThreadId());
  EXPECT_EQ(cid.UniqueThread, view.thread_id);
  EXPECT_EQ(cid.UniqueProcess, view.process_id);
  EXPECT_NE(cid.UniqueThread, nullptr);
  EXPECT_EQ(view.id_of_thread, view.thread_id);
}

// 8 (section 6): OBJ_PERMANENT/EXCLUSIVE/OPENIF or a bit outside 0x7F2 -> STATUS_INVALID_PARAMETER,
// no thread runs, nothing written to ThreadHandle or ClientId
TEST_P(Conformance, InvalidObjectAttributesAreRejected) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  const auto created_before = rt.stats().threads_created;
  std::atomic<int> runs{0};
  for (ULONG bad :
       {ULONG(OBJ_PERMANENT), ULONG(OBJ_EXCLUSIVE), ULONG(OBJ_OPENIF),
        ULONG(OBJ_KERNEL_HANDLE | OBJ_PERMANENT), ULONG(0x1), ULONG(0x800), ULONG(0x80000000u)}) {
    SCOPED_TRACE(bad);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, nullptr, bad, nullptr, nullptr);
    HANDLE h = reinterpret_cast<HANDLE>(0x1234);
    CLIENT_ID cid{reinterpret_cast<HANDLE>(0x55), reinterpret_cast<HANDLE>(0x66)};
    EXPECT_EQ(
        PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, nullptr, &cid, &never_routine, &runs),
        STATUS_INVALID_PARAMETER);
    EXPECT_EQ(h, reinterpret_cast<HANDLE>(0x1234));
    EXPECT_EQ(cid.UniqueProcess, reinterpret_cast<HANDLE>(0x55));
    EXPECT_EQ(cid.UniqueThread, reinterpret_cast<HANDLE>(0x66));
  }
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(rt.stats().threads_created, created_before);
  EXPECT_EQ(Counters::of(rt), before);
}

void host_tid_routine(PVOID context) {
  static_cast<std::atomic<long>*>(context)->store(static_cast<long>(syscall(SYS_gettid)));
}

// Runtime::wait_idle (tpb/runtime.hpp): once it returns, the host thread of every ended system
// thread has left the host where the backend starts one per system thread, so its exit work
// cannot run inside what the caller measures next; backends that reuse host threads keep theirs.
TEST_P(Conformance, WaitIdleReturnsOnceEndedHostThreadsHaveLeft) {
  // On one CPU an ended thread's exit waits for the creator to block: without the wait it would
  // still be there at the check.
  cpu_set_t previous;
  ASSERT_EQ(sched_getaffinity(0, sizeof previous, &previous), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &previous)) {
      CPU_SET(cpu, &one);
      break;
    }
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  struct Restore {
    cpu_set_t* set;
    ~Restore() { sched_setaffinity(0, sizeof *set, set); }
  } restore{&previous};
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE(i);
    std::atomic<long> tid{0};
    HANDLE h = nullptr;
    ASSERT_EQ(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                   &host_tid_routine, &tid),
              STATUS_SUCCESS);
    ASSERT_EQ(ZwWaitForSingleObject(h, FALSE, nullptr), STATUS_SUCCESS);
    ZwClose(h);
    ASSERT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
    ASSERT_NE(tid.load(), 0);
    const bool gone =
        syscall(SYS_tgkill, static_cast<long>(getpid()), tid.load(), 0) != 0 && errno == ESRCH;
    EXPECT_EQ(gone, !caps().reuses_host_threads);
  }
}

// 8 (section 6): OBJ_OPENLINK, OBJ_INHERIT, OBJ_CASE_INSENSITIVE and OBJ_FORCE_ACCESS_CHECK are
// accepted
TEST_P(Conformance, ValidObjectAttributeBitsAreAccepted) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  for (ULONG ok : {ULONG(OBJ_OPENLINK), ULONG(OBJ_KERNEL_HANDLE | OBJ_OPENLINK),
                   ULONG(OBJ_INHERIT | OBJ_CASE_INSENSITIVE | OBJ_FORCE_ACCESS_CHECK), ULONG(0)}) {
    SCOPED_TRACE(ok);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, nullptr, ok, nullptr, nullptr);
    EXPECT_EQ(create_wait_close(THREAD_ALL_ACCESS, &oa), STATUS_SUCCESS);
  }
}

// 1.2 (bad arguments): NULL ThreadHandle or NULL StartRoutine -> STATUS_INVALID_PARAMETER, no
// thread runs
TEST_P(Conformance, NullOutHandleOrRoutineIsRejected) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  std::atomic<int> runs{0};
  EXPECT_EQ(PsCreateSystemThread(nullptr, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &never_routine, &runs),
            STATUS_INVALID_PARAMETER);
  HANDLE h = reinterpret_cast<HANDLE>(0x1234);
  EXPECT_EQ(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, nullptr, &runs),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(h, reinterpret_cast<HANDLE>(0x1234));
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(Counters::of(rt), before);
}

// 9: garbage or closed ProcessHandle -> STATUS_INVALID_HANDLE, no thread runs, nothing written
TEST_P(Conformance, InvalidProcessHandleIsRejected) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  HANDLE process = nullptr;
  ASSERT_EQ(SysThreadCreateProcess(&process), STATUS_SUCCESS);
  ASSERT_EQ(ZwClose(process), STATUS_SUCCESS);
  const auto before = Counters::baseline(rt);
  std::atomic<int> runs{0};
  for (HANDLE bad :
       {reinterpret_cast<HANDLE>(0x1234), reinterpret_cast<HANDLE>(0x7FFFFFF0), process}) {
    HANDLE h = reinterpret_cast<HANDLE>(0x99);
    EXPECT_EQ(
        PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, bad, nullptr, &never_routine, &runs),
        STATUS_INVALID_HANDLE);
    EXPECT_EQ(h, reinterpret_cast<HANDLE>(0x99));
  }
  // A thread handle is not a process handle: the creation fails.
  HANDLE thread = nullptr;
  Gate gate;
  ASSERT_EQ(spawn(&thread, [&] { gate.wait(); }), STATUS_SUCCESS);
  const auto with_thread = Counters::of(rt);
  HANDLE h = reinterpret_cast<HANDLE>(0x99);
  EXPECT_FALSE(NT_SUCCESS(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, thread, nullptr,
                                               &never_routine, &runs)));
  EXPECT_EQ(h, reinterpret_cast<HANDLE>(0x99));
  EXPECT_EQ(Counters::of(rt), with_thread);
  gate.open();
  join_and_close(thread);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

// 10: creating in a terminating process -> STATUS_PROCESS_IS_TERMINATING; the process object is
// signaled once its last thread ended; the host and system process cannot be terminated
TEST_P(Conformance, TerminatingProcessRefusesThreads) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const auto before = Counters::baseline(rt);
  HANDLE process = nullptr;
  ASSERT_EQ(SysThreadCreateProcess(&process), STATUS_SUCCESS);
  PVOID process_object = nullptr;
  ASSERT_EQ(ObReferenceObjectByHandle(process, SYNCHRONIZE, *PsProcessType, KernelMode,
                                      &process_object, nullptr),
            STATUS_SUCCESS);
  // A thread in that process, still running when the process is asked to terminate.
  Gate gate;
  StartView view;
  g_view = &view;
  HANDLE thread = nullptr;
  PVOID job = make_job([&] {
    view_routine(nullptr);
    gate.wait();
  });
  ASSERT_EQ(PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, nullptr, process, nullptr,
                                 &function_routine, job),
            STATUS_SUCCESS);
  EXPECT_EQ(ZwTerminateProcess(process, STATUS_SUCCESS), STATUS_SUCCESS);
  std::atomic<int> runs{0};
  HANDLE h = reinterpret_cast<HANDLE>(0x99);
  EXPECT_EQ(
      PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, process, nullptr, &never_routine, &runs),
      STATUS_PROCESS_IS_TERMINATING);
  EXPECT_EQ(h, reinterpret_cast<HANDLE>(0x99));
  EXPECT_EQ(poll_object(process_object), STATUS_TIMEOUT) << "signaled while a thread lives";
  gate.open();
  join_and_close(thread);
  EXPECT_EQ(wait_object(process_object), STATUS_SUCCESS) << "not signaled after its last thread";
  EXPECT_EQ(view.ran, 1);
  EXPECT_EQ(view.process, static_cast<PEPROCESS>(process_object));
  EXPECT_NE(view.process, view.initial_system_process);
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(ZwTerminateProcess(NtCurrentProcess(), STATUS_SUCCESS), STATUS_ACCESS_DENIED);
  ObDereferenceObject(process_object);
  EXPECT_EQ(ZwClose(process), STATUS_SUCCESS);
  EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

// 12: ProcessHandle = NtCurrentProcess() -> the thread lives in the caller's process
TEST_P(Conformance, CurrentProcessHandleCreatesInCallersProcess) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  StartView view;
  g_view = &view;
  HANDLE h = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, NtCurrentProcess(), nullptr,
                                 &view_routine, nullptr),
            STATUS_SUCCESS);
  join_and_close(h);
  ASSERT_EQ(view.ran, 1);
  EXPECT_EQ(view.process, PsGetCurrentProcess());
  EXPECT_EQ(view.process_id, PsGetCurrentProcessId());

  // From inside a system thread, NtCurrentProcess() is the system process.
  StartView nested;
  PEPROCESS parent_process = nullptr;
  HANDLE outer = nullptr;
  ASSERT_EQ(spawn(&outer,
                  [&] {
                    parent_process = PsGetCurrentProcess();
                    g_view = &nested;
                    HANDLE inner = nullptr;
                    if (PsCreateSystemThread(&inner, THREAD_ALL_ACCESS, nullptr, NtCurrentProcess(),
                                             nullptr, &view_routine, nullptr) == STATUS_SUCCESS) {
                      wait_handle(inner);
                      ZwClose(inner);
                    }
                  }),
            STATUS_SUCCESS);
  join_and_close(outer);
  EXPECT_EQ(nested.ran, 1);
  EXPECT_EQ(nested.process, parent_process);
  EXPECT_EQ(nested.process, nested.initial_system_process);
}

// 13: the returned handle is a kernel handle: the x64 kernel-handle bits 0xFFFFFFFF80000000 set
TEST_P(Conformance, HandleHasKernelHandleBits) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  HANDLE h = nullptr;
  ASSERT_EQ(create_wait_close(THREAD_ALL_ACCESS, &oa, &h), STATUS_SUCCESS);
  const auto bits = reinterpret_cast<std::uintptr_t>(h);
  EXPECT_EQ(bits & 0xFFFFFFFF80000000ull, 0xFFFFFFFF80000000ull) << std::hex << bits;
  EXPECT_NE(h, NtCurrentThread());
  EXPECT_NE(h, NtCurrentProcess());
}

// 14, 15, 16, 17: first statement at PASSIVE_LEVEL, APCs disabled, priority 8, system thread of
// the system process
TEST_P(Conformance, StartEnvironment) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  StartView view;
  g_view = &view;
  HANDLE h = nullptr;
  ASSERT_EQ(
      PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, &view_routine, &h),
      STATUS_SUCCESS);
  join_and_close(h);
  ASSERT_EQ(view.ran, 1);
  EXPECT_EQ(view.irql, PASSIVE_LEVEL);
  EXPECT_EQ(view.apcs_disabled, TRUE);
  EXPECT_EQ(view.priority, 8);
  EXPECT_EQ(view.is_system, TRUE);
  EXPECT_EQ(view.process, view.initial_system_process);
  EXPECT_EQ(view.initial_system_process, PsInitialSystemProcess);
  EXPECT_EQ(reinterpret_cast<void*>(view.thread), reinterpret_cast<void*>(view.kthread));
  // The test thread is not a system thread.
  EXPECT_EQ(PsIsSystemThread(PsGetCurrentThread()), FALSE);
}

// 14, 16 (section 6: initial priority configurable): a runtime with initial_thread_priority(12)
// starts threads at 12
TEST_P(Conformance, InitialPriorityIsConfigurable) {
  tpb::Runtime rt(options().initial_thread_priority(12));
  tpb::RuntimeScope scope(rt);
  StartView view;
  g_view = &view;
  HANDLE h = nullptr;
  ASSERT_EQ(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, &view_routine,
                                 nullptr),
            STATUS_SUCCESS);
  join_and_close(h);
  EXPECT_EQ(view.priority, 12);
}

// 14 (section 6: caller IRQL): creation at APC_LEVEL succeeds and the routine still starts at
// PASSIVE_LEVEL; the caller's IRQL is unchanged
TEST_P(Conformance, CreateAtApcLevel) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  StartView view;
  g_view = &view;
  KIRQL old = 0xFF;
  KeRaiseIrql(APC_LEVEL, &old);
  EXPECT_EQ(old, PASSIVE_LEVEL);
  HANDLE h = nullptr;
  NTSTATUS s = PsCreateSystemThread(&h, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, &view_routine,
                                    nullptr);
  EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
  KeLowerIrql(old);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  ASSERT_EQ(s, STATUS_SUCCESS);
  join_and_close(h);
  EXPECT_EQ(view.irql, PASSIVE_LEVEL);
}

// 36 and ZwQueryInformationThread: basic information of a running and of an ended thread; wrong
// length and class are rejected
TEST_P(Conformance, QueryBasicInformation) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Gate gate;
  CLIENT_ID cid{};
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(
                &h, [&] { gate.wait(); }, &cid),
            STATUS_SUCCESS);
  THREAD_BASIC_INFORMATION info{};
  ASSERT_EQ(basic_info(h, info), STATUS_SUCCESS);
  EXPECT_EQ(info.ExitStatus, STATUS_PENDING);
  EXPECT_EQ(info.TebBaseAddress, nullptr);
  EXPECT_EQ(info.ClientId.UniqueThread, cid.UniqueThread);
  EXPECT_EQ(info.ClientId.UniqueProcess, cid.UniqueProcess);
  EXPECT_EQ(info.Priority, 8);
  EXPECT_EQ(info.BasePriority, 8);
  ULONG length = 0;
  EXPECT_EQ(ZwQueryInformationThread(h, ThreadBasicInformation, &info, sizeof info - 1, &length),
            STATUS_INFO_LENGTH_MISMATCH);
  EXPECT_EQ(ZwQueryInformationThread(h, ThreadTimes, &info, sizeof info, &length),
            STATUS_INVALID_INFO_CLASS);
  EXPECT_EQ(ZwQueryInformationThread(reinterpret_cast<HANDLE>(0x4321), ThreadBasicInformation,
                                     &info, sizeof info, &length),
            STATUS_INVALID_HANDLE);
  gate.open();
  EXPECT_EQ(wait_handle(h), STATUS_SUCCESS);
  ASSERT_EQ(basic_info(h, info), STATUS_SUCCESS);
  EXPECT_EQ(info.ExitStatus, STATUS_SUCCESS);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
}

// 59: InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL)
TEST_P(Conformance, InitializeObjectAttributesFields) {
  OBJECT_ATTRIBUTES oa;
  std::memset(&oa, 0xAB, sizeof oa);
  InitializeObjectAttributes(&oa, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
  EXPECT_EQ(oa.Length, sizeof(OBJECT_ATTRIBUTES));
  EXPECT_EQ(sizeof(OBJECT_ATTRIBUTES), 48u);
  EXPECT_EQ(oa.Attributes, 0x200u);
  EXPECT_EQ(oa.RootDirectory, nullptr);
  EXPECT_EQ(oa.ObjectName, nullptr);
  EXPECT_EQ(oa.SecurityDescriptor, nullptr);
  EXPECT_EQ(oa.SecurityQualityOfService, nullptr);
  EXPECT_EQ(sizeof(CLIENT_ID), 16u);
}

// wdm.h header: a DDI call inside a system thread acts on the runtime that created it, whatever
// scope the caller had; a RuntimeScope routes the test thread's calls
TEST_P(Conformance, CallsRouteToTheCreatingRuntime) {
  tpb::Runtime rt(options());
  tpb::Runtime other(options());
  const auto other_before = other.stats().threads_created;
  std::uint64_t created_before = 0;
  HANDLE outer = nullptr;
  {
    tpb::RuntimeScope scope(rt);
    created_before = rt.stats().threads_created;
    ASSERT_EQ(spawn(&outer,
                    [] {
                      HANDLE inner = nullptr;
                      if (spawn(&inner, [] {}) == STATUS_SUCCESS) {
                        wait_handle(inner);
                        ZwClose(inner);
                      }
                    }),
              STATUS_SUCCESS);
    {
      tpb::RuntimeScope nested(other);  // scopes nest: the thread's runtime is still `rt`
      EXPECT_EQ(ZwClose(outer), STATUS_INVALID_HANDLE) << "a handle of rt is valid in `other`";
    }
    EXPECT_TRUE(rt.wait_idle(std::chrono::milliseconds(kWaitMs)));
    EXPECT_EQ(ZwClose(outer), STATUS_SUCCESS);
  }
  EXPECT_EQ(rt.stats().threads_created, created_before + 2);
  EXPECT_EQ(other.stats().threads_created, other_before);
}

// harness.h: SysThreadSelectBackend picks the default runtime's backend; unknown names fail; the
// default runtime runs threads with it
TEST_P(Conformance, SelectBackendForDefaultRuntime) {
  EXPECT_EQ(SysThreadSelectBackend("no-such-backend"), STATUS_OBJECT_NAME_NOT_FOUND);
  ASSERT_EQ(SysThreadSelectBackend(GetParam().name.c_str()), STATUS_SUCCESS);
  EXPECT_EQ(tpb::Runtime::default_runtime().backend_name(), GetParam().name);
  Gate gate;
  HANDLE h = nullptr;
  ASSERT_EQ(spawn(&h, [&] { gate.wait(); }), STATUS_SUCCESS);
  const char* other = GetParam().name == "pthread" ? "std_thread" : "pthread";
  EXPECT_EQ(SysThreadSelectBackend(other), STATUS_INVALID_DEVICE_STATE)
      << "backend changed while the default runtime has live threads";
  gate.open();
  join_and_close(h);
  EXPECT_TRUE(tpb::Runtime::default_runtime().wait_idle(std::chrono::milliseconds(kWaitMs)));
}

// 11: thread exhaustion -> STATUS_INSUFFICIENT_RESOURCES, and nothing leaks. Backends with one host
// thread per system thread meet RLIMIT_NPROC (in a child that dropped root, since root ignores
// the limit); backends that reuse host threads meet their pool capacity (1 worker per CPU here).
TEST_P(Conformance, ExhaustionReportsInsufficientResources) {
  const bool pooled = caps().reuses_host_threads;
  auto body = [this, pooled]() -> int {
    tpb::BackendOptions bo = GetParam().options;
    bo.set("capacity", "1").set("max", "1");  // a pool refuses only at a configured limit
    if (!pooled) {
      rlimit limit{8, 8};
      if (setrlimit(RLIMIT_NPROC, &limit) != 0) return 10;
      // RLIMIT_NPROC counts every thread of the user: a uid of this case's own (no account
      // needed), so tests running at the same time as `nobody` cannot spend its budget.
      const auto uid = static_cast<uid_t>(61000 + std::hash<std::string>{}(GetParam().name) % 1000);
      if (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0) return 11;
    }
    tpb::Runtime rt(options().backend_options(bo));
    tpb::RuntimeScope scope(rt);
    const auto before = Counters::baseline(rt);
    Gate gate;
    std::vector<HANDLE> handles;
    NTSTATUS last = STATUS_SUCCESS;
    HANDLE h = reinterpret_cast<HANDLE>(0x99);
    for (int i = 0; i < 256; ++i) {
      h = reinterpret_cast<HANDLE>(0x99);
      last = spawn(&h, [&gate] { gate.wait(); });
      if (!NT_SUCCESS(last)) break;
      handles.push_back(h);
    }
    const auto at_failure = Counters::of(rt);
    gate.open();
    for (HANDLE t : handles) {
      if (wait_handle(t) != STATUS_SUCCESS) return 12;
      if (ZwClose(t) != STATUS_SUCCESS) return 13;
    }
    if (!rt.wait_idle(std::chrono::milliseconds(kWaitMs))) return 14;
    std::fprintf(stderr, "created %zu, then 0x%lX\n", handles.size(),
                 static_cast<unsigned long>(static_cast<ULONG>(last)));
    if (last != STATUS_INSUFFICIENT_RESOURCES) return 20;
    if (h != reinterpret_cast<HANDLE>(0x99)) return 21;
    if (at_failure.open_handles != before.open_handles + handles.size()) return 22;
    if (!eventually([&] { return Counters::of(rt) == before; })) return 23;
    // After the failure the runtime still creates threads.
    // (Exited host threads leave the kernel's count a little after they end: retry briefly.)
    HANDLE again = nullptr;
    if (!eventually([&] { return spawn(&again, [] {}) == STATUS_SUCCESS; })) return 24;
    if (wait_handle(again) != STATUS_SUCCESS || ZwClose(again) != STATUS_SUCCESS) return 25;
    return 0;
  };
  if (pooled) {
    // The pool is exhausted in-process: no privileges to drop.
    EXPECT_EQ(body(), 0);
  } else {
    EXPECT_EXIT(std::_Exit(body()), testing::ExitedWithCode(0), "created [0-9]+, then 0xC000009A");
  }
}

}  // namespace tpb_conf
