/* Start routines written in C, compiled as C (docs/design.md section 7: PsTerminateSystemThread
   unwinds through the caller's C frames, which needs the unwind tables GCC emits for x86-64 C by
   default).
 */
#ifndef TPB_CONFORMANCE_C_ROUTINES_H
#define TPB_CONFORMANCE_C_ROUTINES_H

#include <systhread/wdm.h>

SYSTHREAD_BEGIN_DECLS

struct CRoutineState {
  NTSTATUS exit_status; /* what the routine passes to PsTerminateSystemThread */
  int reached;          /* set before terminating */
  int returned;         /* set if PsTerminateSystemThread ever returned: must stay 0 */
  HANDLE thread_id;     /* PsGetCurrentThreadId() inside */
  KIRQL irql;           /* KeGetCurrentIrql() at entry */
};

/* Terminates from two C frames deep with state->exit_status. */
void c_terminating_routine(PVOID context);
/* Returns normally. */
void c_returning_routine(PVOID context);

SYSTHREAD_END_DECLS

#endif
