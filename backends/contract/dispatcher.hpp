// Waiting and signaling on dispatcher objects (events, semaphores, threads, processes), with the
// header's SignalState as a futex word. Single waits sleep on the object itself; multiple-object
// waits sleep on one process-wide sequence word that every signal bumps while such waits exist.
#pragma once

#include <chrono>

#include <systhread/wdm.h>

namespace tpb::detail {

// A wait's time limit, from the DDI's PLARGE_INTEGER (NULL forever, 0 poll, <0 relative,
// >0 absolute system time, 100 ns units).
struct Deadline {
  bool forever = true;
  std::chrono::steady_clock::time_point at{};
  static Deadline from(const LARGE_INTEGER* timeout);
  bool expired() const { return !forever && std::chrono::steady_clock::now() >= at; }
};

void init_header(DISPATCHER_HEADER& header, UCHAR type, LONG signal_state);

// Makes the object signaled for good (thread and process ends) and wakes every waiter.
void signal_forever(DISPATCHER_HEADER& header);

// Wakes up to `count` single waiters of the object and every multiple-object waiter.
void wake_waiters(DISPATCHER_HEADER& header, int count);

// Waits until the object is signaled and, for synchronization events and semaphores, consumes
// it. STATUS_SUCCESS or STATUS_TIMEOUT.
NTSTATUS wait_for(DISPATCHER_HEADER& header, const Deadline& deadline);

// KeWaitForMultipleObjects' semantics over valid headers.
NTSTATUS wait_for_multiple(ULONG count, DISPATCHER_HEADER* const* headers, WAIT_TYPE type,
                           const Deadline& deadline);

// Sleeps until the deadline (KeDelayExecutionThread); returns at once for `forever`.
void sleep_until(const Deadline& deadline);

// A valid dispatcher header type byte?
bool is_waitable_type(UCHAR type);

}  // namespace tpb::detail
