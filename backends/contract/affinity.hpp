// KAFFINITY masks (bit n = Linux CPU n, group 0 = CPUs 0..63) <-> CPU lists.
#pragma once

#include <vector>

#include <systhread/wdm.h>
#include <tpb/topology.hpp>

namespace tpb::detail {

KAFFINITY mask_of(const std::vector<int>& cpus);
// The CPUs of `mask` this process may use, in hwloc order.
std::vector<int> cpus_of(KAFFINITY mask, const Topology& topology);
// Every CPU this process may use.
KAFFINITY allowed_mask(const Topology& topology);

}  // namespace tpb::detail
