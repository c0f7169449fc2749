// DDI: thread-notify routines (docs/contracts.md section 7.8).
#include <systhread/wdm.h>

#include "contract/bugcheck.hpp"
#include "contract/thread_notify.hpp"

using namespace tpb::detail;

extern "C" {

NTSTATUS PsSetCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine) {
  require_irql_at_most(PASSIVE_LEVEL, "PsSetCreateThreadNotifyRoutine");
  return add_thread_notify(NotifyRoutine, NotifyContext::creator);
}

NTSTATUS PsSetCreateThreadNotifyRoutineEx(PSCREATETHREADNOTIFYTYPE NotifyType,
                                          PVOID NotifyInformation) {
  require_irql_at_most(PASSIVE_LEVEL, "PsSetCreateThreadNotifyRoutineEx");
  if (NotifyType != PsCreateThreadNotifyNonSystem) return STATUS_INVALID_PARAMETER;
  return add_thread_notify(reinterpret_cast<PCREATE_THREAD_NOTIFY_ROUTINE>(NotifyInformation),
                           NotifyContext::new_thread);
}

NTSTATUS PsRemoveCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine) {
  require_irql_at_most(PASSIVE_LEVEL, "PsRemoveCreateThreadNotifyRoutine");
  return remove_thread_notify(NotifyRoutine);
}

}  // extern "C"
