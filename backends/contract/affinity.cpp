#include "contract/affinity.hpp"

namespace tpb::detail {

KAFFINITY mask_of(const std::vector<int>& cpus) {
  KAFFINITY mask = 0;
  for (int cpu : cpus)
    if (cpu >= 0 && cpu < 64) mask |= KAFFINITY{1} << cpu;
  return mask;
}

std::vector<int> cpus_of(KAFFINITY mask, const Topology& topology) {
  std::vector<int> cpus;
  for (const auto& cpu : topology.cpus())
    if (cpu.os_index < 64 && (mask & (KAFFINITY{1} << cpu.os_index)) != 0)
      cpus.push_back(cpu.os_index);
  return cpus;
}

KAFFINITY allowed_mask(const Topology& topology) {
  KAFFINITY mask = 0;
  for (const auto& cpu : topology.cpus())
    if (cpu.os_index < 64) mask |= KAFFINITY{1} << cpu.os_index;
  return mask;
}

}  // namespace tpb::detail
