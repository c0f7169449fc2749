// The only file that includes hwloc.h: the machine's processors, restricted to the CPUs this
// process may use, in hwloc order.
#include <tpb/topology.hpp>

#include <hwloc.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace tpb {
namespace {

// Index of `obj`'s ancestor of `type`, or `fallback` when the machine has no such level.
int ancestor_index(hwloc_topology_t topo, hwloc_obj_t obj, hwloc_obj_type_t type, int fallback) {
  hwloc_obj_t ancestor = hwloc_get_ancestor_obj_by_type(topo, type, obj);
  return ancestor ? static_cast<int>(ancestor->logical_index) : fallback;
}

int numa_index(hwloc_topology_t topo, hwloc_obj_t pu) {
  // NUMA nodes are memory children in hwloc 2; find the one whose cpuset holds the PU.
  for (hwloc_obj_t node = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, nullptr); node;
       node = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, node))
    if (hwloc_bitmap_isset(node->cpuset, pu->os_index))
      return static_cast<int>(node->logical_index);
  return 0;
}

std::vector<LogicalCpu> read_host_cpus() {
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) != 0 || hwloc_topology_load(topo) != 0)
    throw std::runtime_error("hwloc could not read this machine's topology");
  // The CPUs the process may use (cgroups, offline CPUs), not the calling thread's binding: the
  // topology is read once, maybe from a thread a benchmark has pinned.
  hwloc_bitmap_t allowed = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(topo));
  std::vector<LogicalCpu> cpus;
  for (hwloc_obj_t pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, nullptr); pu;
       pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, pu)) {
    if (!hwloc_bitmap_isset(allowed, pu->os_index)) continue;
    LogicalCpu cpu;
    cpu.os_index = static_cast<int>(pu->os_index);
    cpu.package = ancestor_index(topo, pu, HWLOC_OBJ_PACKAGE, 0);
    cpu.core = ancestor_index(topo, pu, HWLOC_OBJ_CORE, static_cast<int>(pu->logical_index));
    cpu.l3 = ancestor_index(topo, pu, HWLOC_OBJ_L3CACHE, cpu.package);
    cpu.numa = numa_index(topo, pu);
    cpus.push_back(cpu);
  }
  hwloc_bitmap_free(allowed);
  hwloc_topology_destroy(topo);
  if (cpus.empty()) throw std::runtime_error("hwloc found no CPU this process may use");
  return cpus;
}

int distinct(const std::vector<LogicalCpu>& cpus, int LogicalCpu::*field) {
  std::set<int> seen;
  for (const auto& c : cpus) seen.insert(c.*field);
  return static_cast<int>(seen.size());
}

// How two distinct CPUs relate: the closest level they share.
Placement relation(const LogicalCpu& a, const LogicalCpu& b) {
  if (a.os_index == b.os_index) return Placement::same_cpu;
  if (a.core == b.core) return Placement::smt_sibling;
  if (a.l3 == b.l3) return Placement::same_l3;
  if (a.numa == b.numa) return Placement::other_l3;
  return Placement::other_numa;
}

const char* absent_reason(Placement p) {
  switch (p) {
    case Placement::same_cpu:
      return "";
    case Placement::smt_sibling:
      return "no core has two hardware threads (SMT off or absent)";
    case Placement::same_l3:
      return "no two cores share an L3 cache";
    case Placement::other_l3:
      return "one NUMA node holds no two L3 groups";
    case Placement::other_numa:
      return "the machine has one NUMA node";
  }
  return "";
}

}  // namespace

const char* to_string(Placement p) {
  switch (p) {
    case Placement::same_cpu:
      return "same_cpu";
    case Placement::smt_sibling:
      return "smt_sibling";
    case Placement::same_l3:
      return "same_l3";
    case Placement::other_l3:
      return "other_l3";
    case Placement::other_numa:
      return "other_numa";
  }
  return "?";
}

Topology::Topology(std::vector<LogicalCpu> cpus) : cpus_(std::move(cpus)) {
  packages_ = distinct(cpus_, &LogicalCpu::package);
  numa_nodes_ = distinct(cpus_, &LogicalCpu::numa);
  l3_groups_ = distinct(cpus_, &LogicalCpu::l3);
  cores_ = distinct(cpus_, &LogicalCpu::core);
}

const Topology& Topology::host() {
  static const Topology topology(read_host_cpus());
  return topology;
}

const LogicalCpu* Topology::find(int os_index) const {
  for (const auto& c : cpus_)
    if (c.os_index == os_index) return &c;
  return nullptr;
}

std::vector<PlacementPair> Topology::placements() const {
  std::vector<PlacementPair> out;
  for (Placement p : {Placement::same_cpu, Placement::smt_sibling, Placement::same_l3,
                      Placement::other_l3, Placement::other_numa}) {
    PlacementPair pair;
    pair.placement = p;
    if (p == Placement::same_cpu) {
      pair.available = true;
      pair.cpu_a = pair.cpu_b = cpus_.front().os_index;
    }
    for (std::size_t i = 0; i < cpus_.size() && !pair.available; ++i)
      for (std::size_t j = i + 1; j < cpus_.size() && !pair.available; ++j)
        if (relation(cpus_[i], cpus_[j]) == p) {
          pair.available = true;
          pair.cpu_a = cpus_[i].os_index;
          pair.cpu_b = cpus_[j].os_index;
        }
    if (!pair.available)
      pair.skipped_reason =
          cpus_.size() < 2 ? "the process may use one CPU only" : absent_reason(p);
    out.push_back(pair);
  }
  return out;
}

std::string Topology::summary() const {
  auto plural = [](int n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return plural(packages_, "package", "packages") + ", " +
         plural(numa_nodes_, "NUMA node", "NUMA nodes") + ", " + plural(l3_groups_, "L3", "L3s") +
         ", " + plural(cores_, "core", "cores") + ", " + plural(logical_cpus(), "PU", "PUs");
}

}  // namespace tpb
