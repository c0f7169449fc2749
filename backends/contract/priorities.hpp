// Priorities of one runtime: what a KPRIORITY becomes on the host (docs/contracts.md 6,
// "Priorities on Linux"). The contract value is always stored as asked (behaviours 16, 38-40,
// KeQueryPriorityThread returns it); the host level is decided once, by decide_priority(), and
// applied by tid.
#pragma once

#include <systhread/wdm.h>
#include <tpb/backend.hpp>
#include <tpb/runtime.hpp>

#include "contract/accounting.hpp"
#include "contract/objects.hpp"

namespace tpb::detail {

// The host level a KPRIORITY gets in this process.
struct PriorityDecision {
  HostPriority requested;  // host_priority_for(priority)
  HostPriority effective;  // requested, or the nearest level the process may apply
  bool exact = false;      // the process may apply `requested` itself
  bool refused = false;    // strict policy and not exact: creation fails, a change is reported
};

// The one decision: a level the process may apply is applied; otherwise best-effort takes the
// nearest permitted level, and strict refuses (STATUS_PRIVILEGE_NOT_HELD at creation).
PriorityDecision decide_priority(KPRIORITY priority, PriorityPolicy policy);

class Priorities {
 public:
  Priorities(PriorityPolicy policy, ThreadBackend& backend, Accounting& accounting);

  // Sets a new system thread's host priority state and the launch's priority. A backend without
  // host priorities leaves it unsupported; one with a level per group of workers records the
  // group's level. STATUS_PRIVILEGE_NOT_HELD: refused, the thread must not be created.
  NTSTATUS prepare_launch(ThreadRecord& thread, Launch& launch);
  // The host refused a launch the rights probe allowed (e.g. a cgroup without an RT budget):
  // best-effort launches again without a host priority; strict keeps the refusal.
  bool retry_without_priority(ThreadRecord& thread, Launch& launch);
  // A host thread seen by the DDI: it keeps the host priority it has.
  void init_foreign(ThreadRecord& thread);

  // KeSetPriorityThread and StorPortSetPriorityThread: stores the contract value and applies the
  // host level by tid now, or when the thread starts (apply_pending). Returns the previous
  // KPRIORITY. Never fails: a strict refusal is a verifier report, the nearest level applies.
  KPRIORITY set(ThreadRecord& thread, KPRIORITY priority);
  // Called by a starting system thread, under its sched_mutex.
  void apply_pending(ThreadRecord& thread);
  HostPriorityState read(ThreadRecord& thread);

 private:
  const PriorityPolicy policy_;
  ThreadBackend& backend_;
  const Capabilities::Priority mode_;
  Accounting& accounting_;
};

}  // namespace tpb::detail
