// DDI: timers (docs/contracts.md section 7.6). DPCs are not emulated: a timer only signals.
#include <systhread/wdm.h>

#include <atomic>
#include <string>

#include "contract/bugcheck.hpp"
#include "contract/dispatcher.hpp"
#include "contract/timer_queue.hpp"

using namespace tpb::detail;

namespace {

BOOLEAN set_timer(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc,
                  const char* routine) {
  require_irql_at_most(DISPATCH_LEVEL, routine);
  if (Dpc != nullptr)
    bug_check(BugCheck::driver_verifier_detected_violation,
              std::string(routine) + " with a DPC: DPCs are not emulated, wait on the timer");
  if (Period < 0)
    bug_check(BugCheck::driver_verifier_detected_violation,
              std::string(routine) + " with a negative period " + std::to_string(Period));
  return queue_timer(*Timer, due_instant(DueTime.QuadPart), Period) ? TRUE : FALSE;
}

}  // namespace

extern "C" {

VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type) {
  init_header(Timer->Header,
              Type == SynchronizationTimer ? TimerSynchronizationObject : TimerNotificationObject,
              0);
  Timer->Header.Size = sizeof(KTIMER) / sizeof(LONG);
  Timer->DueTime.QuadPart = 0;
  Timer->TimerListEntry.Flink = Timer->TimerListEntry.Blink = nullptr;
  Timer->Dpc = nullptr;
  Timer->Processor = 0;
  Timer->Period = 0;
}

VOID KeInitializeTimer(PKTIMER Timer) {
  KeInitializeTimerEx(Timer, NotificationTimer);
}

BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc) {
  return set_timer(Timer, DueTime, 0, Dpc, "KeSetTimer");
}

BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc) {
  return set_timer(Timer, DueTime, Period, Dpc, "KeSetTimerEx");
}

BOOLEAN KeCancelTimer(PKTIMER Timer) {
  require_irql_at_most(DISPATCH_LEVEL, "KeCancelTimer");
  return dequeue_timer(*Timer) ? TRUE : FALSE;
}

BOOLEAN KeReadStateTimer(PKTIMER Timer) {
  return std::atomic_ref<LONG>(Timer->Header.SignalState).load() != 0 ? TRUE : FALSE;
}

}  // extern "C"
