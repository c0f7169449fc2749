#include "contract/priorities.hpp"

#include <string>

#include "contract/priority_map.hpp"
#include "host/sched.hpp"

namespace tpb::detail {

PriorityDecision decide_priority(KPRIORITY priority, PriorityPolicy policy) {
  const HostSchedulingRights& rights = host_scheduling_rights();
  PriorityDecision d;
  d.requested = host_priority_for(priority);
  d.exact = permitted(d.requested, rights);
  d.effective = d.exact ? d.requested : nearest_permitted(d.requested, rights);
  d.refused = !d.exact && policy == PriorityPolicy::strict;
  return d;
}

Priorities::Priorities(PriorityPolicy policy, ThreadBackend& backend, Accounting& accounting)
    : policy_(policy),
      backend_(backend),
      mode_(backend.capabilities().priority),
      accounting_(accounting) {}

NTSTATUS Priorities::prepare_launch(ThreadRecord& thread, Launch& launch) {
  HostPriorityState& host = thread.host;
  host.priority = thread.priority;
  if (mode_ == Capabilities::Priority::none) {
    // Nothing to decide: the backend cannot apply a level, so nothing is refused either.
    host.requested = host_priority_for(thread.priority);
    launch.apply_priority = false;
    host.outcome = HostPriorityState::Outcome::unsupported;
    return STATUS_SUCCESS;
  }
  const PriorityDecision d = decide_priority(thread.priority, policy_);
  host.requested = d.requested;
  if (d.refused) return STATUS_PRIVILEGE_NOT_HELD;
  launch.priority = d.effective;
  if (mode_ == Capabilities::Priority::arena_level) {
    // The thread runs at its group's level; what the caller most needs to know first is that
    // best-effort moved the level, so `nearest` wins over `arena_level`.
    host.effective = backend_.effective_priority(d.effective);
    host.outcome =
        d.exact ? HostPriorityState::Outcome::arena_level : HostPriorityState::Outcome::nearest;
  } else {
    host.effective = d.effective;
    host.outcome =
        d.exact ? HostPriorityState::Outcome::applied : HostPriorityState::Outcome::nearest;
  }
  return STATUS_SUCCESS;
}

bool Priorities::retry_without_priority(ThreadRecord& thread, Launch& launch) {
  if (policy_ != PriorityPolicy::best_effort) return false;
  launch.apply_priority = false;
  thread.host.outcome = HostPriorityState::Outcome::unsupported;
  return true;
}

void Priorities::init_foreign(ThreadRecord& thread) {
  thread.host.priority = thread.priority;
  thread.host.requested = host_priority_for(thread.priority);
  host::read_host_priority(0, thread.host.effective);
  thread.host.outcome = HostPriorityState::Outcome::applied;
}

KPRIORITY Priorities::set(ThreadRecord& thread, KPRIORITY priority) {
  const PriorityDecision d = decide_priority(priority, policy_);
  std::lock_guard lock(thread.sched_mutex);
  KPRIORITY previous = thread.priority;
  thread.priority = priority;
  HostPriorityState& host = thread.host;
  host.priority = priority;
  host.requested = d.requested;
  // A host thread seen by the DDI is its own host thread: its level applies whatever the backend.
  const Capabilities::Priority mode = thread.system ? mode_ : Capabilities::Priority::applied;
  if (mode != Capabilities::Priority::applied) {
    host.outcome = HostPriorityState::Outcome::unsupported;
    return previous;
  }
  host.effective = d.effective;
  host.outcome =
      d.exact ? HostPriorityState::Outcome::applied : HostPriorityState::Outcome::nearest;
  if (d.refused)
    accounting_.report("KPRIORITY " + std::to_string(priority) +
                       " cannot be applied on this host (" + host_scheduling_rights().detail +
                       "); applied " + to_string(host.effective));
  if (!thread.started) {
    thread.priority_dirty = true;
  } else if (!thread.ended) {
    if (host::apply_host_priority(thread.host_thread, thread.host_tid, host.effective) != 0)
      host.outcome = HostPriorityState::Outcome::unsupported;
  }
  return previous;
}

void Priorities::apply_pending(ThreadRecord& thread) {
  if (thread.priority_dirty && mode_ == Capabilities::Priority::applied) {
    if (host::apply_own_priority(thread.host.effective) != 0)
      thread.host.outcome = HostPriorityState::Outcome::unsupported;
  }
  thread.priority_dirty = false;
}

HostPriorityState Priorities::read(ThreadRecord& thread) {
  std::lock_guard lock(thread.sched_mutex);
  return thread.host;
}

}  // namespace tpb::detail
