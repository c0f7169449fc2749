// The dispatcher: waiting on and signalling dispatcher objects (events, semaphores, kernel mutexes,
// timers, threads, processes), as Windows does it under its dispatcher lock (docs/contracts.md
// behaviours 60-69).
//
// One process-wide lock guards every object's state change and its wait list. A signal changes
// the state and satisfies waiters in the same step: the satisfied waiter owns what it waited for
// before the signalling call returns, so a third thread can never take it. Waiters sit in each
// object's WaitListHead first-in, first-out; WaitAll is satisfied only when every object can be
// taken at once, and then takes them all together. A blocked waiter sleeps on a word of its own.
#pragma once

#include <chrono>
#include <mutex>

#include <systhread/wdm.h>

namespace tpb::detail {

struct ThreadRecord;

// A wait's time limit, from the DDI's PLARGE_INTEGER (NULL forever, 0 poll, <0 relative,
// >0 absolute system time, 100 ns units).
struct Deadline {
  bool forever = true;
  std::chrono::steady_clock::time_point at{};
  static Deadline from(const LARGE_INTEGER* timeout);
  bool expired() const { return !forever && std::chrono::steady_clock::now() >= at; }
};

// The steady-clock instant a DDI due time names (negative relative, positive absolute system
// time, 100 ns units; an absolute time is converted now).
std::chrono::steady_clock::time_point due_instant(LONGLONG due_time);

void init_header(DISPATCHER_HEADER& header, UCHAR type, LONG signal_state);

// A valid dispatcher header type byte?
bool is_waitable_type(UCHAR type);

// Makes a thread or process object signalled for good and satisfies every waiter.
void signal_forever(DISPATCHER_HEADER& header);

// Events. Each returns the previous state.
LONG set_event(DISPATCHER_HEADER& event, KPRIORITY increment);
LONG pulse_event(DISPATCHER_HEADER& event, KPRIORITY increment);
LONG reset_event(DISPATCHER_HEADER& event);

// Adds `adjustment` to the count and hands it to waiters. False (nothing changed) when the count
// would pass the limit or the adjustment is not positive; `previous` receives the count before.
bool release_semaphore(KSEMAPHORE& semaphore, LONG adjustment, KPRIORITY increment, LONG& previous);

// Releases one level of `self`'s ownership. False (nothing changed) when `self` does not own it;
// `previous` receives the state before.
bool release_mutex(KMUTANT& mutex, ThreadRecord& self, LONG& previous);

// Waits until the object can be taken by `self`, and takes it (consuming events, semaphores and
// timers as their type says; mutexes become owned). STATUS_SUCCESS or STATUS_TIMEOUT.
NTSTATUS wait_for(DISPATCHER_HEADER& header, ThreadRecord& self, const Deadline& deadline);

// KeWaitForMultipleObjects' semantics over valid headers (count <= MAXIMUM_WAIT_OBJECTS).
NTSTATUS wait_for_multiple(ULONG count, DISPATCHER_HEADER* const* headers, WAIT_TYPE type,
                           ThreadRecord& self, const Deadline& deadline);

// Sleeps until the deadline (KeDelayExecutionThread); returns at once for `forever`.
void sleep_until(const Deadline& deadline);

// For the timer queue: the lock, and satisfying waiters of an object whose state the caller just
// made signalled while holding `lock`. Returns with the lock released (waiters are woken after
// it), and the object must not be touched afterwards: a woken waiter may already have freed it.
std::unique_lock<std::mutex> lock_dispatcher();
void satisfy_waiters(std::unique_lock<std::mutex>& lock, DISPATCHER_HEADER& header,
                     KPRIORITY increment);

}  // namespace tpb::detail
