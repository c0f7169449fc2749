// KAFFINITY masks (bit n = Linux CPU n, group 0 = CPUs 0..63) <-> CPU lists, and a thread's
// system and user affinity (docs/contracts.md section 7.4).
#pragma once

#include <vector>

#include <systhread/wdm.h>
#include <tpb/topology.hpp>

namespace tpb::detail {

struct ThreadRecord;

KAFFINITY mask_of(const std::vector<int>& cpus);
// The CPUs of `mask` this process may use, in hwloc order.
std::vector<int> cpus_of(KAFFINITY mask, const Topology& topology);
// Every CPU this process may use.
KAFFINITY allowed_mask(const Topology& topology);

// Puts the CPUs of `mask` this process may use in force as `self`'s system affinity, first
// remembering its user affinity (once per thread). A mask naming none of them changes nothing.
// `self` must be the calling thread.
void set_system_affinity(ThreadRecord& self, KAFFINITY mask, const Topology& topology);
// Back to the user affinity (if one was remembered); no system affinity in force afterwards.
void revert_to_user_affinity(ThreadRecord& self);

}  // namespace tpb::detail
