// DDI: object types, handles and references, waiting, events and semaphores, thread information.
// Kernel mutexes and timers are in ddi_mutex.cpp and ddi_timer.cpp.
#include <systhread/wdm.h>

#include <string>

#include "contract/affinity.hpp"
#include "contract/bugcheck.hpp"
#include "contract/current.hpp"
#include "contract/dispatcher.hpp"
#include "contract/priority_boost.hpp"
#include "contract/runtime_state.hpp"
#include "host/cpus.hpp"
#include "host/sched.hpp"

using namespace tpb::detail;

struct _OBJECT_TYPE {
  const char* name;
};

namespace {

_OBJECT_TYPE g_thread_type{"Thread"};
_OBJECT_TYPE g_process_type{"Process"};
_OBJECT_TYPE g_event_type{"Event"};
_OBJECT_TYPE g_semaphore_type{"Semaphore"};
POBJECT_TYPE g_thread_type_ptr = &g_thread_type;
POBJECT_TYPE g_process_type_ptr = &g_process_type;
POBJECT_TYPE g_event_type_ptr = &g_event_type;
POBJECT_TYPE g_semaphore_type_ptr = &g_semaphore_type;

POBJECT_TYPE type_of(const KernelObject& object) {
  return object.kind == ObjectKind::thread ? &g_thread_type : &g_process_type;
}

// The object a handle names, with one more reference; pseudo-handles name the caller's thread
// and process.
KernelObject* reference_handle(HANDLE handle, ACCESS_MASK* granted) {
  if (handle == NtCurrentThread() || handle == NtCurrentProcess()) {
    ThreadRecord& self = current_thread();
    KernelObject* object = handle == NtCurrentThread() ? static_cast<KernelObject*>(&self)
                                                       : static_cast<KernelObject*>(self.process);
    reference(object);
    if (granted != nullptr) *granted = 0x001FFFFF;
    return object;
  }
  return current_runtime().handles().reference(handle, granted);
}

DISPATCHER_HEADER& waitable(void* object, const char* routine) {
  auto* header = static_cast<DISPATCHER_HEADER*>(object);
  if (header == nullptr || !is_waitable_type(header->Type))
    bug_check(BugCheck::driver_verifier_detected_violation,
              std::string(routine) + " was given something that is not a dispatcher object");
  return *header;
}

void check_wait_irql(const LARGE_INTEGER* timeout, const char* routine) {
  bool poll = timeout != nullptr && timeout->QuadPart == 0;
  require_irql_at_most(poll ? DISPATCH_LEVEL : APC_LEVEL, routine);
}

std::atomic_ref<LONG> state_of(DISPATCHER_HEADER& h) {
  return std::atomic_ref<LONG>(h.SignalState);
}

KernelObject* kernel_object(void* object, const char* routine) {
  auto* kernel = static_cast<KernelObject*>(object);
  if (kernel == nullptr || (as_thread(kernel) == nullptr && as_process(kernel) == nullptr))
    bug_check(BugCheck::driver_verifier_detected_violation,
              std::string(routine) + " was given something that is not a thread or process object");
  return kernel;
}

}  // namespace

extern "C" {

POBJECT_TYPE* PsThreadType = &g_thread_type_ptr;
POBJECT_TYPE* PsProcessType = &g_process_type_ptr;
POBJECT_TYPE* ExEventObjectType = &g_event_type_ptr;
POBJECT_TYPE* ExSemaphoreObjectType = &g_semaphore_type_ptr;

// ---- Handles and references -------------------------------------------------------------------

NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess,
                                   POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                                   PVOID* Object, PVOID HandleInformation) {
  (void)HandleInformation;
  if (Object == nullptr) return STATUS_INVALID_PARAMETER;
  ACCESS_MASK granted = 0;
  KernelObject* object = reference_handle(Handle, &granted);
  if (object == nullptr) return STATUS_INVALID_HANDLE;
  if (ObjectType != nullptr && ObjectType != type_of(*object)) {
    release(object);
    return STATUS_OBJECT_TYPE_MISMATCH;
  }
  // Access is compared only for user-mode requests (D-ObRef).
  constexpr ACCESS_MASK kGeneric = GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL;
  if (AccessMode == UserMode && (DesiredAccess & ~kGeneric & ~granted) != 0 &&
      (granted & GENERIC_ALL) == 0) {
    release(object);
    return STATUS_ACCESS_DENIED;
  }
  *Object = object;
  return STATUS_SUCCESS;
}

NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess,
                                    POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode) {
  (void)DesiredAccess, (void)AccessMode;  // pointers carry no granted access to compare
  KernelObject* object = kernel_object(Object, "ObReferenceObjectByPointer");
  if (ObjectType != nullptr && ObjectType != type_of(*object)) return STATUS_OBJECT_TYPE_MISMATCH;
  reference(object);
  return STATUS_SUCCESS;
}

POBJECT_TYPE ObGetObjectType(PVOID Object) {
  return type_of(*kernel_object(Object, "ObGetObjectType"));
}

LONG_PTR ObfReferenceObject(PVOID Object) {
  auto* object = static_cast<KernelObject*>(Object);
  return object->refs.fetch_add(1) + 1;
}

LONG_PTR ObfDereferenceObject(PVOID Object) {
  auto* object = static_cast<KernelObject*>(Object);
  long remaining = object->refs.load() - 1;
  release(object);
  return remaining;
}

NTSTATUS ZwClose(HANDLE Handle) {
  KernelObject* object = current_runtime().handles().remove(Handle);
  if (object == nullptr) return STATUS_INVALID_HANDLE;
  release(object);
  return STATUS_SUCCESS;
}

// ---- Waiting ---------------------------------------------------------------------------------

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                               BOOLEAN Alertable, PLARGE_INTEGER Timeout) {
  (void)WaitReason, (void)WaitMode, (void)Alertable;  // no APCs are ever delivered here
  DISPATCHER_HEADER& header = waitable(Object, "KeWaitForSingleObject");
  check_wait_irql(Timeout, "KeWaitForSingleObject");
  return wait_for(header, current_thread(), Deadline::from(Timeout));
}

NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                                  KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                                  BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                  PKWAIT_BLOCK WaitBlockArray) {
  (void)WaitReason, (void)WaitMode, (void)Alertable;
  if (Count > MAXIMUM_WAIT_OBJECTS || (Count > THREAD_WAIT_OBJECTS && WaitBlockArray == nullptr))
    bug_check(BugCheck::maximum_wait_objects_exceeded,
              "KeWaitForMultipleObjects with " + std::to_string(Count) + " objects" +
                  (WaitBlockArray == nullptr ? " and no WaitBlockArray" : ""));
  if (Count == 0 || Object == nullptr || (WaitType != WaitAll && WaitType != WaitAny))
    return STATUS_INVALID_PARAMETER;
  check_wait_irql(Timeout, "KeWaitForMultipleObjects");
  DISPATCHER_HEADER* headers[MAXIMUM_WAIT_OBJECTS];
  for (ULONG i = 0; i < Count; ++i) headers[i] = &waitable(Object[i], "KeWaitForMultipleObjects");
  return wait_for_multiple(Count, headers, WaitType, current_thread(), Deadline::from(Timeout));
}

NTSTATUS ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout) {
  (void)Alertable;
  require_irql_at_most(APC_LEVEL, "ZwWaitForSingleObject");
  KernelObject* object = reference_handle(Handle, nullptr);
  if (object == nullptr) return STATUS_INVALID_HANDLE;
  NTSTATUS status = wait_for(object->header, current_thread(), Deadline::from(Timeout));
  release(object);
  return status;
}

NTSTATUS ZwWaitForMultipleObjects(ULONG Count, HANDLE Handles[], WAIT_TYPE WaitType,
                                  BOOLEAN Alertable, PLARGE_INTEGER Timeout) {
  (void)Alertable;
  require_irql_at_most(PASSIVE_LEVEL, "ZwWaitForMultipleObjects");
  if (Count == 0 || Count > MAXIMUM_WAIT_OBJECTS || Handles == nullptr ||
      (WaitType != WaitAll && WaitType != WaitAny))
    return STATUS_INVALID_PARAMETER;
  KernelObject* objects[MAXIMUM_WAIT_OBJECTS];
  DISPATCHER_HEADER* headers[MAXIMUM_WAIT_OBJECTS];
  ULONG taken = 0;
  NTSTATUS status = STATUS_SUCCESS;
  for (; taken < Count; ++taken) {
    objects[taken] = reference_handle(Handles[taken], nullptr);
    if (objects[taken] == nullptr) {
      status = STATUS_INVALID_HANDLE;
      break;
    }
    headers[taken] = &objects[taken]->header;
  }
  if (NT_SUCCESS(status))
    status = wait_for_multiple(Count, headers, WaitType, current_thread(), Deadline::from(Timeout));
  for (ULONG i = 0; i < taken; ++i) release(objects[i]);
  return status;
}

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                PLARGE_INTEGER Interval) {
  (void)WaitMode, (void)Alertable;
  require_irql_at_most(APC_LEVEL, "KeDelayExecutionThread");
  if (Interval == nullptr) return STATUS_INVALID_PARAMETER;
  sleep_until(Deadline::from(Interval));
  return STATUS_SUCCESS;
}

// ---- Events and semaphores -------------------------------------------------------------------

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State) {
  init_header(Event->Header,
              Type == NotificationEvent ? EventNotificationObject : EventSynchronizationObject,
              State ? 1 : 0);
  Event->Header.Size = sizeof(KEVENT) / sizeof(LONG);
}

LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait) {
  (void)Wait;  // no IRQL is held across calls here
  return set_event(Event->Header, Increment);
}

LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait) {
  (void)Wait;
  return pulse_event(Event->Header, Increment);
}

LONG KeResetEvent(PRKEVENT Event) {
  return reset_event(Event->Header);
}

VOID KeClearEvent(PRKEVENT Event) {
  reset_event(Event->Header);
}

LONG KeReadStateEvent(PRKEVENT Event) {
  return state_of(Event->Header).load();
}

VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit) {
  init_header(Semaphore->Header, SemaphoreObject, Count);
  Semaphore->Header.Size = sizeof(KSEMAPHORE) / sizeof(LONG);
  Semaphore->Limit = Limit;
}

LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment,
                        BOOLEAN Wait) {
  (void)Wait;
  LONG previous = 0;
  if (!release_semaphore(*Semaphore, Adjustment, Increment, previous))
    bug_check(BugCheck::driver_verifier_detected_violation,
              "KeReleaseSemaphore past its limit (STATUS_SEMAPHORE_LIMIT_EXCEEDED): count " +
                  std::to_string(previous) + " + " + std::to_string(Adjustment) + " > " +
                  std::to_string(Semaphore->Limit));
  return previous;
}

LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore) {
  return state_of(Semaphore->Header).load();
}

// ---- Thread information
// --------------------------------------------------------------------------

NTSTATUS ZwQueryInformationThread(HANDLE ThreadHandle, THREADINFOCLASS ThreadInformationClass,
                                  PVOID ThreadInformation, ULONG ThreadInformationLength,
                                  PULONG ReturnLength) {
  if (ThreadInformationClass != ThreadBasicInformation) return STATUS_INVALID_INFO_CLASS;
  if (ThreadInformationLength != sizeof(THREAD_BASIC_INFORMATION))
    return STATUS_INFO_LENGTH_MISMATCH;
  if (ThreadInformation == nullptr) return STATUS_INVALID_PARAMETER;
  KernelObject* object = reference_handle(ThreadHandle, nullptr);
  if (object == nullptr) return STATUS_INVALID_HANDLE;
  ThreadRecord* thread = as_thread(object);
  if (thread == nullptr) {
    release(object);
    return STATUS_OBJECT_TYPE_MISMATCH;
  }
  THREAD_BASIC_INFORMATION info{};
  info.ExitStatus = thread->exit_status.load();
  info.TebBaseAddress = nullptr;
  info.ClientId.UniqueProcess = reinterpret_cast<HANDLE>(thread->process->id);
  info.ClientId.UniqueThread = reinterpret_cast<HANDLE>(thread->id);
  {
    std::lock_guard lock(thread->sched_mutex);
    info.Priority = decayed_priority(*thread);
    info.BasePriority = thread->base_priority;
    std::vector<int> cpus;
    if (thread->started && !thread->ended &&
        tpb::host::get_thread_affinity(thread->host_tid, cpus) == 0)
      info.AffinityMask = mask_of(cpus);
    else if (!thread->launch_cpus.empty())
      info.AffinityMask = mask_of(thread->launch_cpus);
    else
      info.AffinityMask = allowed_mask(thread->runtime->topology());
  }
  release(object);
  *static_cast<THREAD_BASIC_INFORMATION*>(ThreadInformation) = info;
  if (ReturnLength != nullptr) *ReturnLength = sizeof info;
  return STATUS_SUCCESS;
}

}  // extern "C"
