// KPRIORITY <-> host scheduling (docs/contracts.md 6, "Priorities on Linux"): the one mapping
// table, the process's rights, and what best-effort applies when a level is out of reach.
#pragma once

#include <tpb/runtime.hpp>

namespace tpb::detail {

// True when the process may apply `p` exactly.
bool permitted(const HostPriority& p, const HostSchedulingRights& rights);
// The closest level to `p` the process may apply.
HostPriority nearest_permitted(const HostPriority& p, const HostSchedulingRights& rights);

}  // namespace tpb::detail
