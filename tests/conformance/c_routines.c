/* Start routines in C for the termination tests (see c_routines.h). */
#include "c_routines.h"

static __attribute__((noinline)) void terminate_from_c(struct CRoutineState* state) {
  PsTerminateSystemThread(state->exit_status);
  state->returned = 1; /* unreachable when the contract holds */
}

void c_terminating_routine(PVOID context) {
  struct CRoutineState* state = (struct CRoutineState*)context;
  state->irql = KeGetCurrentIrql();
  state->thread_id = PsGetCurrentThreadId();
  state->reached = 1;
  terminate_from_c(state);
  state->returned = 1;
}

void c_returning_routine(PVOID context) {
  struct CRoutineState* state = (struct CRoutineState*)context;
  state->irql = KeGetCurrentIrql();
  state->thread_id = PsGetCurrentThreadId();
  state->reached = 1;
}
