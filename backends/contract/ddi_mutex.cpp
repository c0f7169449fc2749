// DDI: kernel mutexes (docs/contracts.md section 7.5). Acquiring is a wait (KeWaitForSingleObject,
// KeWaitForMutexObject, KeWaitForMultipleObjects); the dispatcher records the owner.
#include <systhread/wdm.h>

#include <atomic>

#include "contract/bugcheck.hpp"
#include "contract/current.hpp"
#include "contract/dispatcher.hpp"
#include "contract/objects.hpp"

using namespace tpb::detail;

extern "C" {

VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level) {
  (void)Level;  // lock-order levels are not checked
  init_header(Mutex->Header, MutantObject, 1);
  Mutex->Header.Size = sizeof(KMUTANT) / sizeof(LONG);
  Mutex->MutantListEntry.Flink = Mutex->MutantListEntry.Blink = nullptr;
  Mutex->OwnerThread = nullptr;
  Mutex->Abandoned = FALSE;
  Mutex->ApcDisable = 1;
}

LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait) {
  (void)Wait;
  require_irql_at_most(DISPATCH_LEVEL, "KeReleaseMutex");
  LONG previous = 0;
  if (!release_mutex(*Mutex, current_thread(), previous))
    bug_check(BugCheck::driver_verifier_detected_violation,
              "KeReleaseMutex by a thread that does not own the mutex (Windows raises "
              "STATUS_MUTANT_NOT_OWNED)");
  return previous;
}

LONG KeReadStateMutex(PRKMUTEX Mutex) {
  return std::atomic_ref<LONG>(Mutex->Header.SignalState).load();
}

}  // extern "C"
