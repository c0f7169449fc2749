// Thread lookup and thread-notify routines: docs/contracts.md section 7.8, behaviours 105-112.
// Notify routines are process-wide: each test removes what it registered (a scope guard), and
// counts only calls for the threads it created.
#include <mutex>
#include <thread>

#include "conformance.hpp"

namespace tpb_conf {
namespace {

// What the notify routines saw, for the ids a test cares about.
struct NotifyLog {
  std::mutex mutex;
  struct Call {
    HANDLE process, thread;
    BOOLEAN create;
    HANDLE running_on;  // PsGetCurrentThreadId() inside the call
    long host_tid;
  };
  std::vector<Call> calls;
  std::atomic<bool> block{false};  // the next call waits on `release`
  Gate* release = nullptr;
  std::atomic<bool> blocked{false};
};
NotifyLog g_log;

void record(HANDLE process, HANDLE thread, BOOLEAN create) {
  {
    std::lock_guard lock(g_log.mutex);
    g_log.calls.push_back({process, thread, create, PsGetCurrentThreadId(), gettid_now()});
  }
  if (g_log.block.exchange(false)) {
    g_log.blocked = true;
    g_log.release->wait();
  }
}
void record_ex(HANDLE process, HANDLE thread, BOOLEAN create) {
  record(process, thread, create);
}

std::vector<NotifyLog::Call> calls_for(HANDLE thread) {
  std::lock_guard lock(g_log.mutex);
  std::vector<NotifyLog::Call> out;
  for (const auto& c : g_log.calls)
    if (c.thread == thread) out.push_back(c);
  return out;
}

// Client ids repeat across runtimes: each test starts from an empty log.
bool clear_log() {
  std::lock_guard lock(g_log.mutex);
  g_log.calls.clear();
  return true;
}

struct Registered {
  PCREATE_THREAD_NOTIFY_ROUTINE routine;
  bool ok;
  explicit Registered(PCREATE_THREAD_NOTIFY_ROUTINE r, bool ex = false)
      : routine(r),
        ok(clear_log() && (ex ? PsSetCreateThreadNotifyRoutineEx(PsCreateThreadNotifyNonSystem,
                                                                 reinterpret_cast<PVOID>(r))
                              : PsSetCreateThreadNotifyRoutine(r)) == STATUS_SUCCESS) {}
  ~Registered() {
    if (ok) PsRemoveCreateThreadNotifyRoutine(routine);
  }
};

}  // namespace

// 105: PsLookupThreadByThreadId on a live thread -> the object ObReferenceObjectByHandle gives;
// the counters come back after ObDereferenceObject
TEST_P(Conformance, LookupThreadById) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  const Counters before = Counters::baseline(rt);
  Gate gate;
  HANDLE h = nullptr;
  CLIENT_ID cid{};
  ASSERT_EQ(spawn(
                &h, [&] { gate.wait(); }, &cid),
            STATUS_SUCCESS);
  PETHREAD found = nullptr;
  ASSERT_EQ(PsLookupThreadByThreadId(cid.UniqueThread, &found), STATUS_SUCCESS);
  PKTHREAD by_handle = reference_thread(h);
  EXPECT_EQ(reinterpret_cast<void*>(found), reinterpret_cast<void*>(by_handle));
  EXPECT_EQ(PsGetThreadId(found), cid.UniqueThread);
  ObDereferenceObject(by_handle);
  ObDereferenceObject(found);
  gate.open();
  join_and_close(h);
  EXPECT_TRUE(eventually([&] { return Counters::of(rt) == before; })) << Counters::of(rt);
}

// 106: a NULL id -> STATUS_INVALID_CID; an id no thread has -> STATUS_INVALID_PARAMETER
TEST_P(Conformance, LookupUnknownThreadId) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  PETHREAD found = nullptr;
  EXPECT_EQ(PsLookupThreadByThreadId(nullptr, &found), STATUS_INVALID_CID);
  EXPECT_EQ(PsLookupThreadByThreadId(reinterpret_cast<HANDLE>(0x7ffffff0), &found),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(found, nullptr);
}

// 107: an ended thread whose handle is open is still found; once the handle is closed it is not
TEST_P(Conformance, LookupEndedThreadWhileItsObjectLives) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  HANDLE h = nullptr;
  CLIENT_ID cid{};
  ASSERT_EQ(spawn(
                &h, [] {}, &cid),
            STATUS_SUCCESS);
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  PETHREAD found = nullptr;
  ASSERT_EQ(PsLookupThreadByThreadId(cid.UniqueThread, &found), STATUS_SUCCESS);
  ObDereferenceObject(found);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  EXPECT_TRUE(eventually([&] {
    PETHREAD again = nullptr;
    NTSTATUS s = PsLookupThreadByThreadId(cid.UniqueThread, &again);
    if (s == STATUS_SUCCESS) ObDereferenceObject(again);
    return s == STATUS_INVALID_PARAMETER;
  }));
}

// 108: PsGetThreadId / PsGetThreadProcessId match the client id; inside a system thread
// PsGetCurrentProcess and IoGetCurrentProcess are the system process
TEST_P(Conformance, ThreadAndProcessIdsAgree) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  PEPROCESS current = nullptr, io_current = nullptr, system = nullptr;
  HANDLE h = nullptr;
  CLIENT_ID cid{};
  ASSERT_EQ(spawn(
                &h,
                [&] {
                  current = PsGetCurrentProcess();
                  io_current = IoGetCurrentProcess();
                  system = PsInitialSystemProcess;
                },
                &cid),
            STATUS_SUCCESS);
  PKTHREAD t = reference_thread(h);
  join_and_close(h);
  EXPECT_EQ(PsGetThreadId(reinterpret_cast<PETHREAD>(t)), cid.UniqueThread);
  EXPECT_EQ(PsGetThreadProcessId(reinterpret_cast<PETHREAD>(t)), cid.UniqueProcess);
  EXPECT_EQ(ObReferenceObjectByPointer(t, SYNCHRONIZE, *PsThreadType, KernelMode), STATUS_SUCCESS);
  EXPECT_EQ(ObGetObjectType(t), *PsThreadType);
  EXPECT_EQ(ObReferenceObjectByPointer(t, SYNCHRONIZE, *PsProcessType, KernelMode),
            STATUS_OBJECT_TYPE_MISMATCH);
  ObDereferenceObject(t);
  ObDereferenceObject(t);
  EXPECT_EQ(current, system);
  EXPECT_EQ(io_current, system);
}

// 109: a PsSetCreateThreadNotifyRoutine routine -> (pid, tid, TRUE) on the creating thread before
// PsCreateSystemThread returns, (pid, tid, FALSE) on the ending thread before its object is
// signalled
TEST_P(Conformance, NotifyRoutineSeesCreationAndEnd) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Registered reg(&record);
  ASSERT_TRUE(reg.ok);
  HANDLE self = PsGetCurrentThreadId();
  std::atomic<long> thread_tid{0};
  HANDLE h = nullptr;
  CLIENT_ID cid{};
  ASSERT_EQ(spawn(
                &h, [&] { thread_tid = gettid_now(); }, &cid),
            STATUS_SUCCESS);
  const auto at_return = calls_for(cid.UniqueThread);
  ASSERT_EQ(wait_handle(h), STATUS_SUCCESS);
  const auto at_end = calls_for(cid.UniqueThread);
  EXPECT_EQ(ZwClose(h), STATUS_SUCCESS);
  ASSERT_GE(at_return.size(), 1u);
  EXPECT_EQ(at_return[0].create, TRUE);
  EXPECT_EQ(at_return[0].process, cid.UniqueProcess);
  EXPECT_EQ(at_return[0].running_on, self);
  ASSERT_EQ(at_end.size(), 2u);
  EXPECT_EQ(at_end[1].create, FALSE);
  EXPECT_EQ(at_end[1].running_on, cid.UniqueThread);
  EXPECT_EQ(at_end[1].host_tid, thread_tid.load());
}

// 110: a PsSetCreateThreadNotifyRoutineEx(PsCreateThreadNotifyNonSystem) routine -> the creation
// call runs on the new thread, before its start routine
TEST_P(Conformance, NotifyRoutineExRunsOnNewThread) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  Registered reg(&record_ex, true);
  ASSERT_TRUE(reg.ok);
  std::atomic<std::size_t> seen_at_start{0};
  HANDLE h = nullptr;
  CLIENT_ID cid{};
  ASSERT_EQ(spawn(
                &h, [&] { seen_at_start = calls_for(PsGetCurrentThreadId()).size(); }, &cid),
            STATUS_SUCCESS);
  join_and_close(h);
  const auto calls = calls_for(cid.UniqueThread);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].create, TRUE);
  EXPECT_EQ(calls[0].running_on, cid.UniqueThread);
  EXPECT_EQ(seen_at_start.load(), 1u);
  EXPECT_EQ(PsSetCreateThreadNotifyRoutineEx(PsCreateThreadNotifyNonSystem, nullptr),
            STATUS_INVALID_PARAMETER);
}

// 111: 64 registrations succeed; the 65th -> STATUS_INSUFFICIENT_RESOURCES
TEST_P(Conformance, AtMost64NotifyRoutines) {
  int registered = 0;
  for (int i = 0; i < 64; ++i)
    if (PsSetCreateThreadNotifyRoutine(&record) == STATUS_SUCCESS) ++registered;
  EXPECT_EQ(registered, 64);
  EXPECT_EQ(PsSetCreateThreadNotifyRoutine(&record), STATUS_INSUFFICIENT_RESOURCES);
  for (int i = 0; i < registered; ++i)
    EXPECT_EQ(PsRemoveCreateThreadNotifyRoutine(&record), STATUS_SUCCESS);
  EXPECT_EQ(PsRemoveCreateThreadNotifyRoutine(&record), STATUS_PROCEDURE_NOT_FOUND);
}

// 112: removing an unknown routine -> STATUS_PROCEDURE_NOT_FOUND; removing one while it runs
// returns only after that call has returned, and it is never called again
TEST_P(Conformance, RemovalWaitsForCallsInFlight) {
  tpb::Runtime rt(options());
  tpb::RuntimeScope scope(rt);
  EXPECT_EQ(PsRemoveCreateThreadNotifyRoutine(&record_ex), STATUS_PROCEDURE_NOT_FOUND);
  clear_log();
  Gate release;
  g_log.release = &release;
  g_log.blocked = false;
  ASSERT_EQ(PsSetCreateThreadNotifyRoutine(&record), STATUS_SUCCESS);
  g_log.block = true;
  HANDLE h = nullptr;
  CLIENT_ID cid{};
  std::thread creator([&] {  // blocks inside the creation call
    tpb::RuntimeScope creator_scope(rt);
    spawn(
        &h, [] {}, &cid);
  });
  ASSERT_TRUE(eventually([] { return g_log.blocked.load(); }));
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    PsRemoveCreateThreadNotifyRoutine(&record);
    removed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(removed.load()) << "removal returned while the routine was running";
  release.open();
  remover.join();
  creator.join();
  EXPECT_TRUE(removed.load());
  join_and_close(h);
  const std::size_t after = calls_for(cid.UniqueThread).size();
  HANDLE h2 = nullptr;
  CLIENT_ID cid2{};
  ASSERT_EQ(spawn(
                &h2, [] {}, &cid2),
            STATUS_SUCCESS);
  join_and_close(h2);
  EXPECT_EQ(calls_for(cid.UniqueThread).size(), after);
  EXPECT_TRUE(calls_for(cid2.UniqueThread).empty());
  g_log.release = nullptr;
}

}  // namespace tpb_conf
