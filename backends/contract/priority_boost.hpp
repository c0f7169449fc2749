// The priority increment a satisfied wait gives (docs/contracts.md section 7.3): a variable-class
// thread runs at base + increment, capped at 15 (if that is above its current priority), and
// loses one level per quantum of CPU time it uses until it is back at its base. Real-time threads
// are never boosted. The boost is part of the contract's priority only: the host priority stays at
// the level of the unboosted priority, so a wake costs no scheduler call.
#pragma once

#include <systhread/wdm.h>

namespace tpb::detail {

struct ThreadRecord;

// One quantum of the thread's own CPU time (about two Windows clock ticks).
inline constexpr long long kBoostQuantumNs = 30'000'000;

// Called by `self` after a signal with `increment` satisfied its wait.
void boost_after_wait(ThreadRecord& self, KPRIORITY increment);
// The thread's priority with the decay so far applied. Caller holds thread.sched_mutex.
KPRIORITY decayed_priority(ThreadRecord& thread);
// Drops any boost (KeSetPriorityThread sets a priority outright). Caller holds sched_mutex.
void end_boost(ThreadRecord& thread);

}  // namespace tpb::detail
