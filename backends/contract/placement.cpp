#include "contract/placement.hpp"

#include <algorithm>

#include "host/cpus.hpp"

namespace tpb::detail {

Placement::Placement(ThreadPlacement policy, unsigned per_cpu_limit, const Topology& topology)
    : policy_(policy), limit_(per_cpu_limit), topology_(topology) {
  int max_cpu = 0;
  for (const auto& cpu : topology_.cpus()) max_cpu = std::max(max_cpu, cpu.os_index);
  slots_ = max_cpu + 1;
  load_ = std::make_unique<std::atomic<unsigned>[]>(static_cast<std::size_t>(slots_));
}

bool Placement::charge(int cpu, PlacedThread& out) {
  if (limit_ == 0) return true;
  if (cpu < 0 || cpu >= slots_) return false;
  // Optimistic: take the slot, and give it back when that went past the limit, so concurrent
  // creators never both get the last one.
  if (load_[cpu].fetch_add(1) < limit_) {
    out.charged = cpu;
    return true;
  }
  load_[cpu].fetch_sub(1);
  return false;
}

NTSTATUS Placement::place(PlacedThread& out) {
  switch (policy_.kind) {
    case ThreadPlacement::Kind::inherit:
      // The thread may run wherever its creator may; it is counted where the creator runs now.
      out.home = host::current_cpu();
      return charge(out.home, out) ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
    case ThreadPlacement::Kind::cpu:
      out.home = policy_.cpu;
      out.cpus = {out.home};
      return charge(out.home, out) ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
    case ThreadPlacement::Kind::spread: {
      const auto& cpus = topology_.cpus();
      unsigned start = spread_next_.fetch_add(1);
      for (std::size_t k = 0; k < cpus.size(); ++k) {
        int cpu = cpus[(start + k) % cpus.size()].os_index;
        if (charge(cpu, out)) {
          out.home = cpu;
          out.cpus = {cpu};
          return STATUS_SUCCESS;
        }
      }
      return STATUS_INSUFFICIENT_RESOURCES;
    }
  }
  return STATUS_INVALID_PARAMETER;
}

void Placement::uncharge(int cpu) {
  if (cpu >= 0) load_[cpu].fetch_sub(1);
}

}  // namespace tpb::detail
