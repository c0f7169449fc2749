// The timer queue behind KTIMER (docs/contracts.md section 7.6): one host thread, started on the
// first KeSetTimer, signals each timer at its due time under the dispatcher lock and requeues
// periodic ones. It belongs to no runtime and never runs driver code.
#pragma once

#include <chrono>

#include <systhread/wdm.h>

namespace tpb::detail {

// Queues the timer at `due`, then every `period_ms` (0: once); a one-shot set clears its state.
// Returns whether it was queued before (that expiry is cancelled).
bool queue_timer(KTIMER& timer, std::chrono::steady_clock::time_point due, LONG period_ms);
// Dequeues the timer; returns whether it was queued.
bool dequeue_timer(KTIMER& timer);

}  // namespace tpb::detail
