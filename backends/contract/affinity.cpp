#include "contract/affinity.hpp"

#include "contract/objects.hpp"
#include "host/cpus.hpp"

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

void set_system_affinity(ThreadRecord& self, KAFFINITY mask, const Topology& topology) {
  std::vector<int> cpus = cpus_of(mask, topology);
  if (cpus.empty()) return;
  if (self.user_affinity.empty()) host::get_thread_affinity(0, self.user_affinity);
  if (host::set_thread_affinity(0, cpus) == 0) self.system_affinity = mask_of(cpus);
}

void revert_to_user_affinity(ThreadRecord& self) {
  if (!self.user_affinity.empty()) host::set_thread_affinity(0, self.user_affinity);
  self.system_affinity = 0;
}

}  // namespace tpb::detail
