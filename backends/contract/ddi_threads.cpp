// DDI: creating, identifying and ending system threads; IRQL; priorities; affinity.
#include <systhread/wdm.h>

#include <algorithm>
#include <string>

#include "contract/affinity.hpp"
#include "contract/bugcheck.hpp"
#include "contract/current.hpp"
#include "contract/priority_boost.hpp"
#include "contract/runtime_state.hpp"
#include "host/cpus.hpp"
#include "host/sched.hpp"

using namespace tpb::detail;

namespace {

ThreadRecord& thread_arg(void* thread, const char* routine) {
  ThreadRecord* record = as_thread(thread);
  if (record == nullptr)
    bug_check(BugCheck::driver_verifier_detected_violation,
              std::string(routine) + " was given something that is not a thread object");
  return *record;
}

// The request both Ps and Io creation make; the caller adds what differs.
CreateRequest thread_request(PHANDLE handle, ULONG access, POBJECT_ATTRIBUTES attributes,
                             HANDLE process, PCLIENT_ID client_id, PKSTART_ROUTINE routine,
                             PVOID context) {
  CreateRequest request;
  request.handle_out = handle;
  request.access = access;
  request.attributes = attributes;
  request.process = process;
  request.client_id_out = client_id;
  request.routine = routine;
  request.context = context;
  return request;
}

}  // namespace

extern "C" {

NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
                              POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                              PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext) {
  require_irql_at_most(APC_LEVEL, "PsCreateSystemThread");
  if (ThreadHandle == nullptr) return STATUS_INVALID_PARAMETER;
  return current_runtime().threads().create(thread_request(ThreadHandle, DesiredAccess,
                                                           ObjectAttributes, ProcessHandle,
                                                           ClientId, StartRoutine, StartContext));
}

NTSTATUS IoCreateSystemThread(PVOID IoObject, PHANDLE ThreadHandle, ULONG DesiredAccess,
                              POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                              PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext) {
  require_irql_at_most(APC_LEVEL, "IoCreateSystemThread");
  RuntimeState& runtime = current_runtime();
  IoReference io = runtime.io().reference_for(IoObject);
  if (ThreadHandle == nullptr) return STATUS_INVALID_PARAMETER;
  CreateRequest request = thread_request(ThreadHandle, DesiredAccess, ObjectAttributes,
                                         ProcessHandle, ClientId, StartRoutine, StartContext);
  request.io = io;
  return runtime.threads().create(request);
}

NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus) {
  ThreadRecord& self = current_thread();
  if (!self.system) return STATUS_INVALID_PARAMETER;
  require_irql_at_most(APC_LEVEL, "PsTerminateSystemThread");
  if (self.io) self.terminated_by_ps = true;
  throw ThreadTermination{ExitStatus};
}

HANDLE PsGetCurrentThreadId(void) {
  return reinterpret_cast<HANDLE>(current_thread().id);
}

HANDLE PsGetCurrentProcessId(void) {
  return reinterpret_cast<HANDLE>(current_thread().process->id);
}

PETHREAD PsGetCurrentThread(void) {
  return reinterpret_cast<PETHREAD>(&current_thread());
}

PEPROCESS PsGetCurrentProcess(void) {
  return reinterpret_cast<PEPROCESS>(current_thread().process);
}

PEPROCESS PsGetInitialSystemProcess(void) {
  return reinterpret_cast<PEPROCESS>(current_runtime().processes().system());
}

PKTHREAD KeGetCurrentThread(void) {
  return reinterpret_cast<PKTHREAD>(&current_thread());
}

BOOLEAN PsIsSystemThread(PETHREAD Thread) {
  ThreadRecord* record = as_thread(Thread);
  return record != nullptr && record->system ? TRUE : FALSE;
}

HANDLE PsGetThreadId(PETHREAD Thread) {
  return reinterpret_cast<HANDLE>(thread_arg(Thread, "PsGetThreadId").id);
}

HANDLE PsGetThreadProcessId(PETHREAD Thread) {
  return reinterpret_cast<HANDLE>(thread_arg(Thread, "PsGetThreadProcessId").process->id);
}

PEPROCESS IoGetCurrentProcess(void) {
  return PsGetCurrentProcess();
}

NTSTATUS PsLookupThreadByThreadId(HANDLE ThreadId, PETHREAD* Thread) {
  require_irql_at_most(APC_LEVEL, "PsLookupThreadByThreadId");
  if (Thread == nullptr) return STATUS_INVALID_PARAMETER;
  if (ThreadId == nullptr) return STATUS_INVALID_CID;  // behaviour 106
  ThreadRecord* thread =
      current_runtime().threads().reference_by_id(reinterpret_cast<std::uint64_t>(ThreadId));
  if (thread == nullptr) return STATUS_INVALID_PARAMETER;
  *Thread = reinterpret_cast<PETHREAD>(thread);
  return STATUS_SUCCESS;
}

// ---- IRQL --------------------------------------------------------------------------------------

KIRQL KeGetCurrentIrql(void) {
  return current_irql();
}

VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql) {
  ThreadRecord& self = current_thread();
  if (NewIrql < self.irql)
    bug_check(BugCheck::irql_not_greater_or_equal,
              "KeRaiseIrql to " + std::to_string(NewIrql) + " from " + std::to_string(self.irql));
  if (OldIrql != nullptr) *OldIrql = self.irql;
  self.irql = NewIrql;
}

VOID KeLowerIrql(KIRQL NewIrql) {
  ThreadRecord& self = current_thread();
  if (NewIrql > self.irql)
    bug_check(BugCheck::irql_not_less_or_equal,
              "KeLowerIrql to " + std::to_string(NewIrql) + " from " + std::to_string(self.irql));
  self.irql = NewIrql;
}

// ---- Priorities --------------------------------------------------------------------------------

KPRIORITY KeQueryPriorityThread(PKTHREAD Thread) {
  ThreadRecord& thread = thread_arg(Thread, "KeQueryPriorityThread");
  std::lock_guard lock(thread.sched_mutex);
  return decayed_priority(thread);
}

KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority) {
  require_irql_at_most(APC_LEVEL, "KeSetPriorityThread");
  ThreadRecord& thread = thread_arg(Thread, "KeSetPriorityThread");
  if (Priority < LOW_PRIORITY || Priority > HIGH_PRIORITY)
    bug_check(
        BugCheck::driver_verifier_detected_violation,
        "KeSetPriorityThread with priority " + std::to_string(Priority) + " (allowed: 0..31)");
  KPRIORITY boosted;
  {
    std::lock_guard lock(thread.sched_mutex);
    boosted = decayed_priority(thread);
    end_boost(thread);
  }
  thread.runtime->priorities().set(thread, Priority == LOW_PRIORITY ? 1 : Priority);
  return boosted;
}

LONG KeSetBasePriorityThread(PKTHREAD Thread, LONG Increment) {
  require_irql_at_most(APC_LEVEL, "KeSetBasePriorityThread");
  ThreadRecord& thread = thread_arg(Thread, "KeSetBasePriorityThread");
  const KPRIORITY process_base = thread.process->base_priority;
  const bool realtime = process_base >= LOW_REALTIME_PRIORITY;
  const KPRIORITY lowest = realtime ? LOW_REALTIME_PRIORITY : 1;
  const KPRIORITY highest = realtime ? HIGH_PRIORITY : LOW_REALTIME_PRIORITY - 1;
  constexpr LONG kSaturation = (HIGH_PRIORITY + 1) / 2;
  LONG previous;
  KPRIORITY base;
  {
    std::lock_guard lock(thread.sched_mutex);
    previous = thread.base_saturation != 0 ? thread.base_saturation * kSaturation
                                           : thread.base_priority - process_base;
    if (Increment >= kSaturation || Increment <= -kSaturation) {
      thread.base_saturation = Increment > 0 ? 1 : -1;
      base = Increment > 0 ? highest : lowest;
    } else {
      thread.base_saturation = 0;
      base = std::clamp<KPRIORITY>(process_base + Increment, lowest, highest);
      if (base != process_base + Increment)
        thread.runtime->accounting().report(
            "KeSetBasePriorityThread increment " + std::to_string(Increment) +
            " leaves the priority class; base kept at " + std::to_string(base));
    }
    thread.base_priority = base;
    end_boost(thread);
  }
  thread.runtime->priorities().set(thread, base);
  return previous;
}

// ---- Processors and affinity -----------------------------------------------------------------

KAFFINITY KeSetSystemAffinityThreadEx(KAFFINITY Affinity) {
  require_irql_at_most(DISPATCH_LEVEL, "KeSetSystemAffinityThreadEx");
  ThreadRecord& self = current_thread();
  KAFFINITY previous = self.system_affinity;
  set_system_affinity(self, Affinity, current_runtime().topology());
  return previous;
}

VOID KeRevertToUserAffinityThreadEx(KAFFINITY Affinity) {
  require_irql_at_most(DISPATCH_LEVEL, "KeRevertToUserAffinityThreadEx");
  ThreadRecord& self = current_thread();
  if (Affinity == 0)
    revert_to_user_affinity(self);
  else
    set_system_affinity(self, Affinity, current_runtime().topology());
}

VOID KeSetSystemAffinityThread(KAFFINITY Affinity) {
  (void)KeSetSystemAffinityThreadEx(Affinity);
}

VOID KeRevertToUserAffinityThread(void) {
  KeRevertToUserAffinityThreadEx(0);
}

}  // extern "C"
